"""FlowRelease objects and manifest files for benchmark runs (mode A: promote a checked-in version)."""

from __future__ import annotations

from pathlib import Path

import yaml

from flowrelease.api.models import API_VERSION, KIND, FlowRelease

BENCH_NAMESPACE = "bench"
DEMO_FLOW_NAME = "Support IVR"
DEMO_FLOW_VERSION = "3.0"  # the demo org publishes 2.0; promoting 3.0 does a real publish


def promotion_manifest(
    *, name: str, environment: str, flow_name: str, version: str, flow_type: str = "inboundcall"
) -> dict[str, object]:
    """A minimal mode-A FlowRelease: no bake stages and no Git export, so it measures publish alone."""
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": name, "namespace": BENCH_NAMESPACE},
        "spec": {
            "genesys": {"environment": environment},
            "flow": {"type": flow_type, "name": flow_name},
            "version": version,
            "release": {"label": f"bench-{version}"},
        },
    }


def promotion_release(
    *, name: str, environment: str, flow_name: str, version: str, flow_type: str = "inboundcall"
) -> FlowRelease:
    return FlowRelease.model_validate(
        promotion_manifest(
            name=name, environment=environment, flow_name=flow_name, version=version, flow_type=flow_type
        )
    )


def write_sync_manifest(folder: Path) -> Path:
    """One manifest promoting the demo org's "Support IVR" to a checked-in version, for `flowrelease sync`."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = promotion_manifest(
        name="support-ivr",
        environment="mypurecloud.com",  # `--emulator` points it at the in-process emulator
        flow_name=DEMO_FLOW_NAME,
        version=DEMO_FLOW_VERSION,
    )
    (folder / "support-ivr.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return folder
