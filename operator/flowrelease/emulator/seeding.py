"""Loading a seed document (clients, divisions, resources, flows with versions and traffic) into an org.

The seed format is JSON, the same for `POST /_emulator/seed` and for the built-in demo org:

    {"organization"?: {"id"?, "name"?, "defaultCountryCode"?, "defaultLanguage"?, "domain"?,
                       "products"?: ["engage", …]},
     "clients":   [{"id", "secret", "name"?, "tokenTtlSeconds"?, "rateLimitPerMinute"?}],
     "divisions": [{"name", "id"?}],
     "resources": [{"type": "QUEUE"|"DATAACTION"|"SYSTEMPROMPT"|…, "name", "category"?, "id"?}],
     "flows":     [{"name", "type", "id"?, "division"?, "description"?,
                    "versions": [{"configuration": {…}}
                                 | {"queues": [..], "dataActions": [{"category", "name"}],
                                    "flows": [..], "prompts": [..], "holdPrompts": [..],
                                    "outcomes": [..]}],
                    "publishedVersion"?: "2.0",
                    "traffic"?: {"entriesPerMinute", "failureRatio"?, "abandonRatio"?, "flowSeconds"?,
                                 "versionFailureRatios"?: {"3.0": 0.4}},
                    "analytics"?: {"nFlow", "nFlowOutcome", "nFlowOutcomeFailed"}}]}

A version given by its references gets a small Archy document built around them, so dependency tracking,
validate jobs and export see the same facts as for an imported flow; `outcomes` names flow outcomes the
version initializes and sets (Initialize/Set Flow Outcome actions), so its traffic reports outcomes.
Seeded versions are checked in. `traffic` starts simulated traffic into the flow when the seed is applied
(see `traffic`); `analytics` sets fixed counts (see `analytics`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flowrelease.emulator.model import Client, Counts, Flow
from flowrelease.emulator.state import Org, stable_id
from flowrelease.emulator.traffic import IN_QUEUE_FLOW_TYPES
from flowrelease.emulator.traffic_json import traffic_source, version_failure_ratios
from flowrelease.emulator.vocabulary import (
    ARCHY_KEY_BY_FLOW_TYPE,
    FLOW_TYPES,
    RESOURCE_TYPES,
    STARTUP_TASK_FLOW_TYPES,
)
from flowrelease.emulator.wire import JsonObject, bad_request

DAY_SECONDS = 86_400.0


def _list(document: JsonObject, key: str) -> list[Any]:
    value = document.get(key, [])
    if not isinstance(value, list):
        raise bad_request(f"seed.{key} must be a list.", field=key)
    return value


def _text(entry: Any, key: str, where: str, default: str | None = None) -> str:
    value = entry.get(key, default) if isinstance(entry, dict) else None
    if not isinstance(value, str) or (default is None and not value):
        raise bad_request(f"{where}.{key} must be a non-empty string.", field=key)
    return value


def _int(entry: JsonObject, key: str, where: str, default: int) -> int:
    value = entry.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise bad_request(f"{where}.{key} must be a non-negative integer.", field=key)
    return value


def apply_seed(org: Org, document: object) -> None:
    """Add everything in `document` to `org` (existing objects with the same id are replaced)."""
    if not isinstance(document, dict):
        raise bad_request("The seed must be a JSON object.", field="body")
    if "organization" in document:
        _seed_organization(org, document["organization"])
    for index, entry in enumerate(_list(document, "clients")):
        where = f"clients[{index}]"
        org.add_client(
            Client(
                id=_text(entry, "id", where),
                secret=_text(entry, "secret", where),
                name=_text(
                    entry, "name", where, default=entry.get("id", "") if isinstance(entry, dict) else ""
                ),
                token_ttl_seconds=_int(entry, "tokenTtlSeconds", where, 86_400),
                rate_limit_per_minute=max(1, _int(entry, "rateLimitPerMinute", where, 300)),
            )
        )
    for index, entry in enumerate(_list(document, "divisions")):
        org.add_division(
            _text(entry, "name", f"divisions[{index}]"), _text(entry, "id", "divisions", default="")
        )
    for index, entry in enumerate(_list(document, "resources")):
        where = f"resources[{index}]"
        kind = _text(entry, "type", where)
        if kind not in RESOURCE_TYPES:
            raise bad_request(
                f"{where}.type '{kind}' is not one of {', '.join(RESOURCE_TYPES)}.", field="type"
            )
        category, resource_id = (
            _text(entry, "category", where, default=""),
            _text(entry, "id", where, default=""),
        )
        org.add_resource(kind, _text(entry, "name", where), category, resource_id)
    for index, entry in enumerate(_list(document, "flows")):
        _seed_flow(org, entry, f"flows[{index}]")


def _seed_organization(org: Org, entry: Any) -> None:
    where = "organization"
    if not isinstance(entry, dict):
        raise bad_request(f"seed.{where} must be an object.", field=where)
    current = org.organization
    products = entry.get("products", current.products)
    if not isinstance(products, list) or not all(isinstance(p, str) and p for p in products):
        raise bad_request(f"{where}.products must be a list of product ids.", field="products")
    org.organization = replace(
        current,
        id=_text(entry, "id", where, default=current.id) or current.id,
        name=_text(entry, "name", where, default=current.name) or current.name,
        default_country_code=_text(entry, "defaultCountryCode", where, default=current.default_country_code),
        default_language=_text(entry, "defaultLanguage", where, default=current.default_language),
        domain=_text(entry, "domain", where, default=current.domain),
        products=list(products),
    )


def _seed_flow(org: Org, entry: Any, where: str) -> None:
    name = _text(entry, "name", where)
    flow_type = _text(entry, "type", where).upper()
    if flow_type not in FLOW_TYPES:
        raise bad_request(f"{where}.type '{flow_type}' is not a flow type.", field="type")
    division_name = _text(entry, "division", where, default="Home")
    division = org.division_named(division_name) or org.add_division(division_name)
    existing = [f for f in org.flows_named(name) if f.type == flow_type]
    for stale in existing:
        del org.flows[stale.id]
    flow = org.create_flow(
        name,
        flow_type,
        "seed",
        division_id=division.id,
        description=_text(entry, "description", where, default=""),
        flow_id=_text(entry, "id", where, default="") or stable_id("flow", flow_type, name),
        lock=False,
    )
    versions = entry.get("versions", [])
    if not isinstance(versions, list):
        raise bad_request(f"{where}.versions must be a list.", field="versions")
    for number, spec in enumerate(versions, start=1):
        if not isinstance(spec, dict):
            raise bad_request(f"{where}.versions[{number - 1}] must be an object.", field="versions")
        configuration = spec.get("configuration")
        if not isinstance(configuration, dict):
            _check_version_spec(spec, f"{where}.versions[{number - 1}]")
            if spec.get("outcomes") and flow_type in IN_QUEUE_FLOW_TYPES:
                raise bad_request(
                    f"{where}.versions[{number - 1}].outcomes: in-queue flows cannot set flow outcomes.",
                    field="outcomes",
                )
            configuration = archy_document(flow_type, name, flow.description, division_name, spec, number)
        version = org.add_version(flow, configuration, "seed", "CHECKIN")
        age = (len(versions) - number + 1) * DAY_SECONDS
        version.date_created = version.date_saved = version.date_checked_in = org.clock.now() - age
    published = _text(entry, "publishedVersion", where, default="")
    if published:
        version = org.version(flow, str(published))
        org.publish_now(flow, version, "seed")
        version.date_published = version.date_checked_in
    flow.current_operation = None
    analytics = entry.get("analytics")
    if analytics is not None and not isinstance(analytics, dict):
        raise bad_request(f"{where}.analytics must be an object of counts.", field="analytics")
    if isinstance(analytics, dict):
        org.flow_counts[flow.id] = counts_from(analytics, f"{where}.analytics")
    _seed_traffic(org, flow, entry.get("traffic"), f"{where}.traffic")


def _seed_traffic(org: Org, flow: Flow, traffic: object, where: str) -> None:
    org.traffic.clear(flow.id)
    if traffic is None:
        return
    if not isinstance(traffic, dict):
        raise bad_request(f'{where} must be an object such as {{"entriesPerMinute": 6}}.', field="traffic")
    source = traffic_source(traffic, None, where)
    failures = version_failure_ratios(traffic, where)
    org.traffic.start(flow, source, org.clock.now())
    for version, failure in failures.items():
        org.traffic.set_version_failure(flow.id, version, failure)


def _check_version_spec(spec: JsonObject, where: str) -> None:
    for key in ("queues", "flows", "prompts", "holdPrompts", "outcomes"):
        names = spec.get(key, [])
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise bad_request(f"{where}.{key} must be a list of names.", field=key)
    actions = spec.get("dataActions", [])
    if not isinstance(actions, list) or not all(
        isinstance(a, dict) and isinstance(a.get("category"), str) and isinstance(a.get("name"), str)
        for a in actions
    ):
        raise bad_request(f"{where}.dataActions must be a list of {{category, name}}.", field="dataActions")


def counts_from(entry: JsonObject, where: str) -> Counts:
    if "failureRatio" in entry:
        samples = _int(entry, "samples", where, 100)
        ratio = entry["failureRatio"]
        if not isinstance(ratio, int | float) or not 0 <= ratio <= 1:
            raise bad_request(f"{where}.failureRatio must be a number between 0 and 1.", field="failureRatio")
        return Counts(n_flow=samples, n_flow_outcome=samples, n_flow_outcome_failed=round(samples * ratio))
    return Counts(
        n_flow=_int(entry, "nFlow", where, 0),
        n_flow_outcome=_int(entry, "nFlowOutcome", where, 0),
        n_flow_outcome_failed=_int(entry, "nFlowOutcomeFailed", where, 0),
        n_flow_milestone=_int(entry, "nFlowMilestone", where, 0),
        t_flow_ms=_int(entry, "tFlowMs", where, 0),
    )


def archy_document(
    flow_type: str, name: str, description: str, division: str, spec: JsonObject, number: int
) -> JsonObject:
    """A small, valid Archy document that references exactly the resources `spec` lists."""
    key = ARCHY_KEY_BY_FLOW_TYPE.get(flow_type, flow_type.lower())
    outcomes = spec.get("outcomes", [])
    actions: list[JsonObject] = [
        {"initializeFlowOutcome": {"name": f"Start {outcome}", "flowOutcome": {"lit": {"name": outcome}}}}
        for outcome in outcomes
    ]
    for action in spec.get("dataActions", []):
        actions.append(
            {
                "callData": {
                    "name": f"Call {action['name']}",
                    "category": {action["category"]: {"dataAction": {action["name"]: {"inputs": {}}}}},
                }
            }
        )
    for prompt in spec.get("prompts", []):
        actions.append(
            {"playAudio": {"name": f"Play {prompt}", "audio": {"lit": {"name": f"PromptSystem.{prompt}"}}}}
        )
    for target in spec.get("flows", []):
        actions.append({"transferToFlow": {"name": f"To {target}", "targetFlow": {"lit": {"name": target}}}})
    for outcome in outcomes:
        actions.append(
            {
                "setFlowOutcome": {
                    "name": f"Reached {outcome}",
                    "flowOutcome": {"lit": {"name": outcome}},
                    "flowOutcomeValue": {"lit": "SUCCESS"},
                }
            }
        )
    for queue in spec.get("queues", []):
        actions.append({"transferToAcd": {"name": f"To {queue}", "targetQueue": {"lit": {"name": queue}}}})
    body: JsonObject = {
        "name": name,
        "description": description or f"{name} (version {number})",
        "division": division,
        "defaultLanguage": "en-us",
        "supportedLanguages": {"en-us": {"defaultLanguageSkill": {"noValue": True}}},
    }
    hold = [
        {"holdMusic": {"name": "Hold Music", "prompt": {"lit": {"name": f"PromptSystem.{p}"}}}}
        for p in spec.get("holdPrompts", [])
    ]
    if flow_type in STARTUP_TASK_FLOW_TYPES:
        body["startUpTaskActions"] = [*hold, *actions] or [{"disconnect": {"name": "Disconnect"}}]
        return {key: body}
    if flow_type == "INBOUNDCALL":
        body["initialGreeting"] = {"tts": f"Welcome to {name}. This is release {number}."}
    body["startUpRef"] = f"/{key}/tasks/task[Main Task_10]"
    body["tasks"] = [
        {
            "task": {
                "name": "Main Task",
                "refId": "Main Task_10",
                "actions": [*actions, {"disconnect": {"name": "Disconnect"}}],
            }
        }
    ]
    return {key: body}
