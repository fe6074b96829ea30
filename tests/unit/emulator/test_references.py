"""References found in the real Archy fixtures: what dependency tracking will report for them."""

from __future__ import annotations

import pytest
import yaml

from flowrelease.emulator.archy import substitute
from flowrelease.emulator.clock import ManualClock
from flowrelease.emulator.demo import FIXTURE_SUBSTITUTIONS, demo_seed
from flowrelease.emulator.dependencies import consumed_resources
from flowrelease.emulator.references import find_references
from flowrelease.emulator.seeding import apply_seed
from flowrelease.emulator.state import Org
from tests.support.paths import third_party_archy


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        (
            "architect-flow-public-api",
            {
                ("DATAACTION", "Genesys Cloud Data Actions", "Agents Logged Into Queue"),
                ("QUEUE", "", "Secondary Queue Example"),
            },
        ),
        (
            "cx-as-code-cicd",
            {("DATAACTION", "ComprehendDataAction", "LookupQueueName"), ("QUEUE", "", "GeneralSupport")},
        ),
        ("deploy-webmessaging", set()),
        (
            "simple-ivr",
            {("QUEUE", "", "Simple Financial 401K queue"), ("QUEUE", "", "Simple Financial IRA queue")},
        ),
        ("terraform-provider", {("SYSTEMPROMPT", "", "on_hold_music")}),
        ("webhook-workflow", {("DATAACTION", "Web Services Data Actions", "Create Workitem")}),
    ],
)
def test_fixture_references(prefix: str, expected: set[tuple[str, str, str]]) -> None:
    fixture = third_party_archy(prefix)
    document = yaml.safe_load(substitute(fixture.read_text(), FIXTURE_SUBSTITUTIONS))
    assert {(r.kind, r.category, r.name) for r in find_references(document)} == expected


def test_expressions_are_not_dependencies_and_locations_name_the_item() -> None:
    document = {
        "inboundCall": {
            "tasks": [
                {
                    "task": {
                        "name": "Route",
                        "refId": "Route_1",
                        "actions": [
                            {"transferToAcd": {"name": "Dynamic", "targetQueue": {"exp": "Task.Queue"}}},
                            {
                                "transferToFlow": {
                                    "name": "Next",
                                    "targetFlow": {"lit": {"name": "Billing IVR"}},
                                }
                            },
                        ],
                    }
                }
            ]
        }
    }
    (reference,) = find_references(document)
    assert (reference.kind, reference.name) == ("FLOW", "Billing IVR")
    assert reference.location == "/inboundCall/tasks/task[Route_1]/actions/transferToFlow[Next]/targetFlow"


def test_a_flow_reference_reports_the_target_flow_type_and_its_published_version() -> None:
    org = Org(ManualClock())
    apply_seed(org, demo_seed())
    apply_seed(
        org,
        {"flows": [{"name": "Front Door", "type": "INBOUNDCALL", "versions": [{"flows": ["Billing IVR"]}]}]},
    )
    front = org.flows_named("Front Door")[0]
    (dependency,) = consumed_resources(org, front.versions["1.0"])
    assert (dependency["type"], dependency["name"], dependency["version"]) == (
        "INBOUNDCALLFLOW",
        "Billing IVR",
        "2.0",
    )
