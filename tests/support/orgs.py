"""Several Genesys orgs for promotion tests: one in-process emulator per environment (dev, test, prod), each
with its own OAuth client, its own queue names and, as every org does, its own flow and version ids.

`support_ivr_yaml(greeting)` is one change of the "Support IVR" flow as Archy YAML with `{{support_queue}}`
left for each environment's substitution; a different greeting is a different change.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pytest

from flowrelease.emulator.control import EmulatorControl
from flowrelease.emulator.demo import demo_seed
from flowrelease.emulator.server import EmulatorServer
from flowrelease.emulator.wire import JsonObject

ENVIRONMENTS = ("dev", "test", "prod")
QUICK_TIMING = {
    "publishSeconds": 0.4,
    "checkinSeconds": 0.2,
    "importJobSeconds": 0.6,
    "exportJobSeconds": 0.2,
    "validateJobSeconds": 0.2,
    "jitter": 0.25,
}
"""The realistic profile's behaviours with its async work shortened to fractions of a second."""


def queue_of(env: str) -> str:
    return f"Support {env.capitalize()}"


def org_seed(env: str) -> JsonObject:
    """The demo org with this environment's OAuth client and its own support queue."""
    seed = demo_seed(f"flowrelease-{env}", f"{env}-secret-{env[::-1]}")
    resources = seed["resources"]
    assert isinstance(resources, list)
    resources.append({"type": "QUEUE", "name": queue_of(env)})
    seed["organization"] = {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"org:{env}")), "name": f"Example {env}"}
    flows = seed["flows"]
    assert isinstance(flows, list)
    for flow in flows:
        assert isinstance(flow, dict)
        flow["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{env}:{flow['name']}"))
    return seed


@dataclass(frozen=True)
class Org:
    env: str
    server: EmulatorServer
    control: EmulatorControl

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def client_id(self) -> str:
        return f"flowrelease-{self.env}"

    @property
    def client_secret(self) -> str:
        return f"{self.env}-secret-{self.env[::-1]}"

    def reset(self) -> None:
        self.control.reset(org_seed(self.env))
        self.control.set_behaviour(timing=QUICK_TIMING)
        # Healthy traffic for every version of "Support IVR", the imported ones included: the bake stages
        # here last a second of real time, too short for the emulator's own per-version traffic.
        flow_id = self.control.flow_id("Support IVR")
        self.control.set_analytics(flow_id, n_flow=240, n_flow_outcome=200, n_flow_outcome_failed=2)

    def imports(self) -> int:
        """Architect import jobs registered in this org so far."""
        return self.control.request_count(method="POST", path="/api/v2/flows/jobs")


def started_orgs() -> Iterator[dict[str, Org]]:
    """dev, test and prod emulators on the realistic profile, stopped when the generator closes."""
    servers = {
        env: EmulatorServer(
            seed=org_seed(env),
            client_id=f"flowrelease-{env}",
            client_secret=f"{env}-secret-{env[::-1]}",
            profile="realistic",
        ).start()
        for env in ENVIRONMENTS
    }
    controls = {env: EmulatorControl(server.base_url) for env, server in servers.items()}
    try:
        yield {env: Org(env, servers[env], controls[env]) for env in ENVIRONMENTS}
    finally:
        for env in ENVIRONMENTS:
            controls[env].close()
            servers[env].stop()


def support_ivr_yaml(greeting: str) -> str:
    """ "Support IVR" as Archy YAML: a menu that transfers to `{{support_queue}}`."""
    return f"""\
inboundCall:
  name: Support IVR
  description: Support line, promoted dev -> test -> prod by flowrelease
  division: Home
  startUpRef: "/inboundCall/menus/menu[Main Menu_10]"
  defaultLanguage: en-us
  supportedLanguages:
    en-us:
      defaultLanguageSkill:
        noValue: true
  initialGreeting:
    tts: {greeting}
  menus:
    - menu:
        name: Main Menu
        refId: Main Menu_10
        audio:
          tts: Press 1 for support, 9 to disconnect
        choices:
          - menuDisconnect:
              name: Disconnect
              dtmf: digit_9
          - menuTransferToAcd:
              name: Support
              dtmf: digit_1
              targetQueue:
                lit:
                  name: {{{{support_queue}}}}
"""


def promotion_documents(
    org: Org,
    *,
    flow_yaml: str,
    requires: tuple[str, ...] = (),
    soak_seconds: int = 0,
    bake_seconds: int = 1,
    namespaces: Mapping[str, str] | None = None,
) -> str:
    """The Secret, ConfigMap and FlowRelease `support-ivr-<env>` in namespace `cc-<env>` (or
    `namespaces[env]`) as one YAML text; `requires` names upstream environments."""
    env = org.env
    where = namespaces or {name: f"cc-{name}" for name in ENVIRONMENTS}
    namespace = where[env]
    needs = "".join(f"\n      - {{name: support-ivr-{up}, namespace: {where[up]}}}" for up in requires)
    promotion = f"\n  promotion:\n    soakSeconds: {soak_seconds}\n    requires:{needs}" if requires else ""
    indented = "".join(f"    {line}\n" for line in flow_yaml.splitlines())
    return f"""\
apiVersion: v1
kind: Secret
metadata: {{name: genesys-{env}, namespace: {namespace}}}
stringData: {{clientId: {org.client_id}, clientSecret: {org.client_secret}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: support-ivr-flow, namespace: {namespace}}}
data:
  flow.yaml: |
{indented}---
apiVersion: flowrelease.io/v1alpha1
kind: FlowRelease
metadata: {{name: support-ivr-{env}, namespace: {namespace}}}
spec:
  genesys:
    environment: {org.base_url}
    credentialsSecretRef: {{name: genesys-{env}}}
  flow: {{type: inboundcall, name: Support IVR}}
  source:
    configMapRef: {{name: support-ivr-flow, key: flow.yaml}}
    substitutions: {{support_queue: {queue_of(env)}}}
  verify:
    stages:
      - {{name: bake, bakeSeconds: {bake_seconds}, maxFailureRatio: 0.05, minSamples: 1,
         settleSeconds: 0}}{promotion}
"""


@pytest.fixture(scope="module")
def module_orgs() -> Iterator[dict[str, Org]]:
    """The three orgs, started once per test module."""
    yield from started_orgs()


@pytest.fixture
def orgs(module_orgs: dict[str, Org]) -> dict[str, Org]:
    """The module's orgs, each reset to its seeded state."""
    for org in module_orgs.values():
        org.reset()
    return module_orgs
