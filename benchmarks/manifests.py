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


def source_release(*, name: str, environment: str, flow_name: str) -> FlowRelease:
    """A minimal mode-B FlowRelease: import the Archy YAML of `archy_source(flow_name)` and publish it."""
    manifest = promotion_manifest(name=name, environment=environment, flow_name=flow_name, version="")
    spec = manifest["spec"]
    assert isinstance(spec, dict)
    del spec["version"]
    spec["source"] = {"configMapRef": {"name": name, "key": "flow.yaml"}}
    return FlowRelease.model_validate(manifest)


def archy_source(flow_name: str) -> str:
    """An inbound call flow for `flow_name`: one menu transferring to the bench org's Support queue."""
    return f"""inboundCall:
  name: {flow_name}
  description: imported by the source-mode benchmark
  division: Home
  startUpRef: "/inboundCall/menus/menu[Main Menu_10]"
  defaultLanguage: en-us
  supportedLanguages:
    en-us:
      defaultLanguageSkill:
        noValue: true
  initialGreeting:
    tts: Thank you for calling.
  menus:
    - menu:
        name: Main Menu
        refId: Main Menu_10
        audio:
          tts: Press 1 for support, 9 to hang up.
        choices:
          - menuTransferToAcd:
              name: Support
              dtmf: digit_1
              globalDtmf: false
              globalSpeechRecTerms: false
              targetQueue:
                lit:
                  name: Support
          - menuDisconnect:
              name: Hang up
              dtmf: digit_9
              globalDtmf: false
              globalSpeechRecTerms: false
"""


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
