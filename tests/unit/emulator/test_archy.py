"""Archy YAML import checks: each problem is named with where it is and what exists instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowrelease.emulator.archy import ArchyRejected, parse_archy, substitute
from flowrelease.emulator.clock import ManualClock
from flowrelease.emulator.demo import FIXTURE_SUBSTITUTIONS, demo_seed
from flowrelease.emulator.seeding import apply_seed
from flowrelease.emulator.state import Org
from tests.support.paths import third_party_params


@pytest.fixture(scope="module")
def org() -> Org:
    org = Org(ManualClock())
    apply_seed(org, demo_seed())
    return org


def rejected(text: str, org: Org) -> list[str]:
    with pytest.raises(ArchyRejected) as problem:
        parse_archy(text, org)
    return [m.text for m in problem.value.messages]


@pytest.mark.parametrize("fixture", third_party_params())
def test_every_fixture_passes_after_substitution(fixture: Path, org: Org) -> None:
    parsed = parse_archy(substitute(fixture.read_text(), FIXTURE_SUBSTITUTIONS), org)
    assert parsed.name and parsed.flow_type


def test_document_needs_exactly_one_known_flow_type_key(org: Org) -> None:
    assert "exactly one flow-type key" in rejected("inboundCalls:\n  name: x\n", org)[0]
    assert "exactly one flow-type key" in rejected("inboundCall: {name: a}\nworkflow: {name: b}\n", org)[0]
    assert "mapping" in rejected("- just a list\n", org)[0]


def test_missing_name_and_startup(org: Org) -> None:
    messages = rejected("inboundCall:\n  description: nameless\n", org)
    assert any("no name" in m for m in messages)
    assert any("startUpRef` is missing" in m for m in messages)


def test_in_queue_flows_may_start_with_startup_task_actions(org: Org) -> None:
    parsed = parse_archy("inqueueCall:\n  name: Q\n  startUpTaskActions:\n    - disconnect: {name: D}\n", org)
    assert parsed.flow_type == "INQUEUECALL"


def test_unresolved_refs_list_the_available_ref_ids(org: Org) -> None:
    text = """
inboundCall:
  name: Menu test
  startUpRef: "/inboundCall/menus/menu[Main_2]"
  menus:
    - menu:
        name: Main
        refId: Main_1
        choices:
          - menuJumpToTask:
              targetTaskRef: "/inboundCall/tasks/task[Nope_3]"
"""
    messages = rejected(text, org)
    assert any("menu[Main_2]" in m and "Available refIds: Main_1" in m for m in messages)
    assert any("task[Nope_3]" in m and "no task items" in m for m in messages)


def test_missing_queue_and_data_action_say_where_and_what_exists(org: Org) -> None:
    text = """
workflow:
  name: Refs
  startUpRef: "/workflow/states/state[S_1]"
  states:
    - state:
        name: S
        refId: S_1
        actions:
          - transferToAcd:
              name: Go
              targetQueue:
                lit:
                  name: Nowhere
          - callData:
              name: Call
              category:
                Web Services Data Actions:
                  dataAction:
                    Missing Action: {}
"""
    messages = rejected(text, org)
    queue = next(m for m in messages if "Queue 'Nowhere'" in m)
    assert "/workflow/states/state[S_1]/actions/transferToAcd[Go]/targetQueue" in queue and "Support" in queue
    action = next(m for m in messages if "Data action 'Missing Action'" in m)
    assert "Web Services Data Actions/Lookup Account" in action


def test_placeholders_are_reported_by_name(org: Org) -> None:
    messages = rejected(
        'inboundCall:\n  name: "{{flow_name}}"\n  startUpRef: "/inboundCall/menus/menu[M_1]"\n', org
    )
    assert any("{{flow_name}}" in m for m in messages)


def test_unknown_division_is_an_error(org: Org) -> None:
    text = "inqueueCall:\n  name: Q\n  division: Mars\n  startUpTaskActions: []\n"
    assert any("Division 'Mars'" in m for m in rejected(text, org))
