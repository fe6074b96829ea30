"""A hypothesis state machine drives valid and invalid API call sequences and checks the org's invariants.

Machines start on either profile (ideal or realistic) and may switch single knobs (read lag, draft ids,
older/missing-version publishes, registered polls, operation ids) between steps; someone else may publish.
After every step: no 5xx; a flow's publishedVersion is a PUBLISH version, its checkedInVersion is not a draft,
its savedVersion is its only SAVE version, checked-in versions are numbered `N.0` without duplicates, and an
in-flight operation is shown as not complete.
"""

from __future__ import annotations

import warnings
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from flowrelease.emulator import create_app
from flowrelease.emulator.clock import ManualClock
from flowrelease.emulator.demo import FIXTURE_SUBSTITUTIONS, demo_seed
from flowrelease.emulator.runtime import EmulatorRuntime

CONFIG = {"inboundCall": {"name": "x", "startUpRef": "/inboundCall/tasks/task[T_1]", "tasks": []}}
ACTIONS = ["checkout", "checkin", "publish", "revert", "unlock", "deactivate"]


class OrgMachine(RuleBasedStateMachine):
    @initialize(
        mode=st.sampled_from(["immediate", "polls", "seconds"]),
        profile=st.sampled_from(["ideal", "realistic"]),
    )
    def start(self, mode: str, profile: str) -> None:
        self.clock = ManualClock()
        app = create_app(demo_seed(), self.clock, profile=profile)
        self.runtime: EmulatorRuntime = getattr(app, "runtime")  # noqa: B009 - typed attribute of the gateway
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.client = TestClient(app, raise_server_exceptions=True).__enter__()
        self.client.put("/_emulator/transitions", json={"default": {"mode": mode, "polls": 2, "seconds": 10}})
        self.client.post("/_emulator/seed", json={"clients": [{"id": "other", "secret": "s"}]})
        self.tokens = {
            cid: self._token(cid, secret)
            for cid, secret in (("flowrelease-demo", "flowrelease-demo-secret"), ("other", "s"))
        }
        self.flow_ids = [f.id for f in self.runtime.org.flows.values()]

    def _token(self, client_id: str, secret: str) -> str:
        response = self.client.post(
            "/oauth/token", auth=(client_id, secret), data={"grant_type": "client_credentials"}
        )
        return str(response.json()["access_token"])

    def call(self, who: str, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        response = self.client.request(method, path, headers=headers, **kwargs)
        assert response.status_code < 500, (method, path, response.text)
        return response

    who = st.sampled_from(["flowrelease-demo", "other"])

    @rule(
        who=who,
        index=st.integers(0, 20),
        action=st.sampled_from(ACTIONS),
        version=st.sampled_from(["", "1.0", "2.0", "3.0", "4.0"]),
    )
    def act(self, who: str, index: int, action: str, version: str) -> None:
        flow_id = self.flow_ids[index % len(self.flow_ids)]
        params = {"flow": flow_id, **({"version": version} if version else {})}
        self.call(who, "POST", f"/api/v2/flows/actions/{action}", params=params)

    @rule(who=who, index=st.integers(0, 20))
    def save_draft(self, who: str, index: int) -> None:
        self.call(
            who, "POST", f"/api/v2/flows/{self.flow_ids[index % len(self.flow_ids)]}/versions", json=CONFIG
        )

    @rule(who=who, index=st.integers(0, 20))
    def observe(self, who: str, index: int) -> None:
        self.call(who, "GET", f"/api/v2/flows/{self.flow_ids[index % len(self.flow_ids)]}")

    @rule(who=who, name=st.sampled_from(["A", "B", "Support IVR"]))
    def create(self, who: str, name: str) -> None:
        response = self.call(who, "POST", "/api/v2/flows", json={"name": name, "type": "INBOUNDCALL"})
        if response.status_code == 200:
            self.flow_ids.append(response.json()["id"])

    @rule(who=who, index=st.integers(0, 20))
    def delete(self, who: str, index: int) -> None:
        self.call(who, "DELETE", f"/api/v2/flows/{self.flow_ids[index % len(self.flow_ids)]}")

    @rule(who=who, index=st.integers(0, 20), version=st.sampled_from(["1.0", "2.0", "4.0", ""]))
    def export_and_validate(self, who: str, index: int, version: str) -> None:
        reference = {
            "id": self.flow_ids[index % len(self.flow_ids)],
            **({"version": version} if version else {}),
        }
        for kind in ("export", "validate"):
            job = self.call(who, "POST", f"/api/v2/flows/{kind}/jobs", json={"flows": [{"flow": reference}]})
            if job.status_code == 200:
                self.call(who, "GET", f"/api/v2/flows/{kind}/jobs/{job.json()['id']}?expand=messages")

    @rule(who=who, name=st.sampled_from(["Support IVR", "Job Flow"]))
    def architect_job(self, who: str, name: str) -> None:
        job = self.call(who, "POST", "/api/v2/flows/jobs").json()
        text = (
            f"inqueueCall:\n  name: {name}\n  startUpTaskActions: []\n"
            if name == "Job Flow"
            else (
                f"inboundCall:\n  name: {name}\n  startUpRef: /inboundCall/tasks/task[T_1]\n"
                "  tasks:\n    - task:\n        name: T\n        refId: T_1\n"
            )
        )
        self.client.put(
            job["presignedUrl"],
            content=text.replace("{{default_language}}", FIXTURE_SUBSTITUTIONS["default_language"]),
            headers=job["headers"],
        )
        self.call(who, "GET", f"/api/v2/flows/jobs/{job['id']}")

    @rule(index=st.integers(0, 20))
    def lock_as_someone_else(self, index: int) -> None:
        self.client.post(
            f"/_emulator/flows/{self.flow_ids[index % len(self.flow_ids)]}/lock", json={"clientId": "ui"}
        )

    @rule(
        knob=st.sampled_from(
            [
                {"readLag": {"reads": 2, "seconds": 1.5}},
                {"readLag": {"reads": 0, "seconds": 0}},
                {"draftIds": "savedVersionUuid"},
                {"draftIds": "numbered"},
                {"olderVersionPublish": "ignore"},
                {"olderVersionPublish": "refuse"},
                {"missingVersionPublish": "ignore"},
                {"jobRegisteredPolls": 2},
                {"operationIdMismatch": True},
                {"messagelessFailures": True},
                {"validateJobs": 404},
                {"deletedFlowStatus": 410},
                {"timing": None},
                {"profile": "realistic"},
                {"profile": "ideal"},
            ]
        )
    )
    def change_a_knob(self, knob: dict[str, Any]) -> None:
        assert self.client.put("/_emulator/behaviour", json=knob).status_code == 200

    @rule(
        index=st.integers(0, 20),
        version=st.sampled_from(["", "1.0", "2.0", "4.0"]),
        result=st.sampled_from(["SUCCESS", "FAILURE"]),
    )
    def someone_else_publishes(self, index: int, version: str, result: str) -> None:
        flow_id = self.flow_ids[index % len(self.flow_ids)]
        body = {"clientId": "architect-ui", "version": version, "result": result}
        response = self.client.post(f"/_emulator/flows/{flow_id}/publish-as", json=body)
        assert response.status_code in {200, 400, 404, 409}, response.text

    @rule(seconds=st.sampled_from([1, 5, 11]))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(seconds)

    def teardown(self) -> None:
        if hasattr(self, "client"):
            self.client.__exit__(None, None, None)

    @invariant()
    def versions_are_consistent(self) -> None:
        for flow in self.runtime.org.flows.values():
            drafts = [v.id for v in flow.versions.values() if v.type == "SAVE"]
            assert drafts == ([flow.saved_version_id] if flow.saved_version_id else []), flow
            if flow.published_version_id:
                assert flow.versions[flow.published_version_id].type == "PUBLISH"
            if flow.checked_in_version_id:
                assert flow.versions[flow.checked_in_version_id].type != "SAVE"
            numbered = [v for v in flow.versions.values() if v.type != "SAVE"]
            assert all(v.id == f"{v.number}.0" for v in numbered), flow
            assert len({v.number for v in numbered}) == len(numbered)
            assert all(v.number < flow.next_version_number for v in numbered)
            if flow.pending is not None:
                assert (
                    flow.current_operation is flow.pending.operation and not flow.current_operation.complete
                )


TestOrgMachine = OrgMachine.TestCase
TestOrgMachine.settings = settings(max_examples=50, stateful_step_count=30, deadline=None)
