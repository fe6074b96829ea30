"""Export renders the same bytes for the same flow version, single files and zips alike."""

from __future__ import annotations

from flowrelease.emulator.clock import ManualClock
from flowrelease.emulator.demo import demo_seed
from flowrelease.emulator.export import archy_yaml, export_file_name, zip_files
from flowrelease.emulator.seeding import apply_seed
from flowrelease.emulator.state import Org


def demo_org() -> Org:
    org = Org(ManualClock())
    apply_seed(org, demo_seed())
    return org


def test_same_version_exports_byte_identical_yaml_across_orgs() -> None:
    first, second = demo_org(), demo_org()
    flow_a, flow_b = first.flows_named("Support IVR")[0], second.flows_named("Support IVR")[0]
    assert flow_a.id == flow_b.id
    assert archy_yaml(flow_a, flow_a.versions["2.0"]) == archy_yaml(flow_b, flow_b.versions["2.0"])
    assert archy_yaml(flow_a, flow_a.versions["2.0"]) != archy_yaml(flow_a, flow_a.versions["3.0"])


def test_file_names_follow_cx_as_code_and_zips_are_deterministic() -> None:
    org = demo_org()
    flow = org.flows_named("Support IVR")[0]
    assert export_file_name(flow) == f"Support_IVR-INBOUNDCALL-{flow.id}.yaml"
    assert export_file_name(flow, "my flow!") == "my_flow_.yaml"
    files = [("b.yaml", b"b: 1\n"), ("a.yaml", b"a: 1\n")]
    assert zip_files(files) == zip_files(list(reversed(files)))
