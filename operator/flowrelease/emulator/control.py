"""`EmulatorControl`: a small typed client for the control plane, sync and async.

    control = EmulatorControl(server.base_url)
    control.add_fault(path="/api/v2/flows/*", method="GET", status=503, count=2)
    assert control.request_count(path="/api/v2/flows/*") == 3
    control.reset(profile="realistic")                        # fresh org, every behaviour on
    control.set_behaviour(read_lag={"reads": 0}, validateJobs="available")   # then one knob at a time
    control.set_traffic(flow_id, entries_per_minute=6)        # interactions enter the flow from now on
    control.fail_version(flow_id, "3.0", 0.4)                 # … and version 3.0 fails 40 % of its own

`AsyncEmulatorControl` has the same methods as coroutines. Both raise `httpx.HTTPStatusError` when the
control plane refuses a call (its body is an ErrorBody naming the field).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class ControlCall:
    method: str
    path: str
    body: Any = None
    params: dict[str, str] | None = None


def _drop_none(**values: Any) -> JsonObject:
    return {key: value for key, value in values.items() if value is not None}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def knob_body(knobs: dict[str, Any]) -> JsonObject:
    """Knobs as the control plane names them: `read_lag` and `readLag` both become `readLag`, also inside
    the `readLag` and `timing` objects (`publish_seconds` → `publishSeconds`)."""
    body: JsonObject = {}
    for name, value in knobs.items():
        body[_camel(name)] = (
            {_camel(key): item for key, item in value.items()} if isinstance(value, dict) else value
        )
    return body


class ControlCalls:
    """The control-plane calls, as data; the sync and async clients only execute them."""

    @staticmethod
    def reset(
        seed: JsonObject | None = None, *, empty: bool = False, profile: str | None = None
    ) -> ControlCall:
        body = _drop_none(seed=seed, empty=empty or None, profile=profile)
        return ControlCall("POST", "/_emulator/reset", body)

    @staticmethod
    def behaviour() -> ControlCall:
        return ControlCall("GET", "/_emulator/behaviour")

    @staticmethod
    def set_behaviour(**knobs: Any) -> ControlCall:
        """`profile=` first, then each knob (snake_case or the JSON camelCase name)."""
        return ControlCall("PUT", "/_emulator/behaviour", knob_body(knobs))

    @staticmethod
    def publish_as(
        flow_id: str,
        *,
        client_id: str = "architect-ui-other-client",
        version: str = "",
        result: str = "SUCCESS",
    ) -> ControlCall:
        body = {"clientId": client_id, "version": version, "result": result}
        return ControlCall("POST", f"/_emulator/flows/{flow_id}/publish-as", body)

    @staticmethod
    def seed(document: JsonObject) -> ControlCall:
        return ControlCall("POST", "/_emulator/seed", document)

    @staticmethod
    def state() -> ControlCall:
        return ControlCall("GET", "/_emulator/state")

    @staticmethod
    def add_fault(
        *,
        path: str = "*",
        method: str = "*",
        status: int | None = None,
        latency_ms: int = 0,
        probability: float = 1.0,
        count: int | None = None,
        code: str = "",
        message: str = "",
        retry_after_seconds: int = 1,
    ) -> ControlCall:
        body = _drop_none(
            path=path, method=method, status=status, latencyMs=latency_ms, probability=probability
        )
        body.update(count=count, code=code, message=message, retryAfterSeconds=retry_after_seconds)
        return ControlCall("POST", "/_emulator/faults", body)

    @staticmethod
    def clear_faults() -> ControlCall:
        return ControlCall("DELETE", "/_emulator/faults")

    @staticmethod
    def fail_operation(
        flow_id: str,
        *,
        action: str = "PUBLISH",
        version: str = "",
        error_message: str = "",
        count: int | None = 1,
    ) -> ControlCall:
        body: JsonObject = {"flowId": flow_id, "action": action, "version": version, "count": count}
        if error_message:
            body["errorMessage"] = error_message
        return ControlCall("POST", "/_emulator/operation-faults", body)

    @staticmethod
    def refuse_older_publish(refuse: bool = True) -> ControlCall:
        return ControlCall("PUT", "/_emulator/settings", {"refuseOlderVersionPublish": refuse})

    @staticmethod
    def set_random_seed(random_seed: int) -> ControlCall:
        return ControlCall("PUT", "/_emulator/settings", {"randomSeed": random_seed})

    @staticmethod
    def set_transition_mode(
        mode: str = "polls", *, polls: int = 1, seconds: float = 0.0, rules: list[JsonObject] | None = None
    ) -> ControlCall:
        body = {"default": {"mode": mode, "polls": polls, "seconds": seconds}, "rules": rules or []}
        return ControlCall("PUT", "/_emulator/transitions", body)

    @staticmethod
    def set_analytics(
        flow_id: str,
        *,
        version: str = "",
        n_flow: int | None = None,
        n_flow_outcome: int | None = None,
        n_flow_outcome_failed: int | None = None,
        failure_ratio: float | None = None,
        samples: int | None = None,
    ) -> ControlCall:
        body = _drop_none(
            flowId=flow_id,
            version=version,
            nFlow=n_flow,
            nFlowOutcome=n_flow_outcome,
            nFlowOutcomeFailed=n_flow_outcome_failed,
            failureRatio=failure_ratio,
            samples=samples,
        )
        return ControlCall("PUT", "/_emulator/analytics", body)

    @staticmethod
    def set_traffic(
        flow_id: str,
        *,
        entries_per_minute: float | None = None,
        failure_ratio: float | None = None,
        abandon_ratio: float | None = None,
        flow_seconds: float | None = None,
        version_failure_ratios: dict[str, float] | None = None,
    ) -> ControlCall:
        body = _drop_none(
            flowId=flow_id,
            entriesPerMinute=entries_per_minute,
            failureRatio=failure_ratio,
            abandonRatio=abandon_ratio,
            flowSeconds=flow_seconds,
            versionFailureRatios=version_failure_ratios,
        )
        return ControlCall("PUT", "/_emulator/traffic", body)

    @staticmethod
    def fail_version(flow_id: str, version: str, failure_ratio: float | None) -> ControlCall:
        body = {"flowId": flow_id, "version": version, "failureRatio": failure_ratio}
        return ControlCall("PUT", "/_emulator/traffic/versions", body)

    @staticmethod
    def traffic(flow_id: str = "") -> ControlCall:
        return ControlCall("GET", "/_emulator/traffic", params={"flowId": flow_id} if flow_id else None)

    @staticmethod
    def clear_traffic(flow_id: str = "") -> ControlCall:
        return ControlCall("DELETE", "/_emulator/traffic", params={"flowId": flow_id} if flow_id else None)

    @staticmethod
    def set_validation_warnings(flow_id: str, warnings: list[str], *, version: str = "") -> ControlCall:
        return ControlCall(
            "PUT",
            "/_emulator/validation-warnings",
            {"flowId": flow_id, "version": version, "warnings": warnings},
        )

    @staticmethod
    def lock_flow(
        flow_id: str, *, client_id: str = "architect-ui-other-client", client_name: str = ""
    ) -> ControlCall:
        body = {"clientId": client_id, "clientName": client_name or client_id}
        return ControlCall("POST", f"/_emulator/flows/{flow_id}/lock", body)

    @staticmethod
    def unlock_flow(flow_id: str) -> ControlCall:
        return ControlCall("DELETE", f"/_emulator/flows/{flow_id}/lock")

    @staticmethod
    def delete_resource(resource_id: str) -> ControlCall:
        return ControlCall("DELETE", f"/_emulator/resources/{resource_id}")

    @staticmethod
    def request_log(
        *, method: str = "", path: str = "", client_id: str = "", status: int | None = None
    ) -> ControlCall:
        params = {"method": method, "path": path, "clientId": client_id}
        if status is not None:
            params["status"] = str(status)
        return ControlCall("GET", "/_emulator/requests", params={k: v for k, v in params.items() if v})

    @staticmethod
    def uploads() -> ControlCall:
        return ControlCall("GET", "/_emulator/uploads")

    @staticmethod
    def clear_request_log() -> ControlCall:
        return ControlCall("DELETE", "/_emulator/requests")

    @staticmethod
    def clock() -> ControlCall:
        return ControlCall("GET", "/_emulator/clock")

    @staticmethod
    def advance_clock(seconds: float) -> ControlCall:
        return ControlCall("POST", "/_emulator/clock/advance", {"seconds": seconds})


def _result(response: httpx.Response) -> Any:
    response.raise_for_status()
    return response.json() if response.content else None


class EmulatorControl:
    """Synchronous control-plane client; use as a context manager or call `close()`."""

    calls = ControlCalls

    def __init__(self, base_url: str, client: httpx.Client | None = None) -> None:
        self._client = client or httpx.Client(base_url=base_url, timeout=30.0)

    def call(self, call: ControlCall) -> Any:
        return _result(self._client.request(call.method, call.path, json=call.body, params=call.params))

    def reset(
        self, seed: JsonObject | None = None, *, empty: bool = False, profile: str | None = None
    ) -> JsonObject:
        """A fresh org; `profile` None keeps the emulator's start-up profile."""
        result: JsonObject = self.call(ControlCalls.reset(seed, empty=empty, profile=profile))
        return result

    def behaviour(self) -> JsonObject:
        """Every knob and the profile last applied."""
        result: JsonObject = self.call(ControlCalls.behaviour())
        return result

    def set_behaviour(self, **knobs: Any) -> JsonObject:
        """E.g. `set_behaviour(profile="ideal", read_lag={"reads": 2})`; returns every knob."""
        result: JsonObject = self.call(ControlCalls.set_behaviour(**knobs))
        return result

    def publish_as(self, flow_id: str, **options: Any) -> JsonObject:
        """Someone else publishes the flow (`client_id`, `version`, `result` SUCCESS|FAILURE)."""
        result: JsonObject = self.call(ControlCalls.publish_as(flow_id, **options))
        return result

    def seed(self, document: JsonObject) -> JsonObject:
        result: JsonObject = self.call(ControlCalls.seed(document))
        return result

    def state(self) -> JsonObject:
        result: JsonObject = self.call(ControlCalls.state())
        return result

    def flow_id(self, name: str) -> str:
        """The id of the (non-deleted) flow called `name`."""
        flow_id: str = next(f["id"] for f in self.state()["flows"] if f["name"] == name and not f["deleted"])
        return flow_id

    def add_fault(self, **rule: Any) -> JsonObject:
        result: JsonObject = self.call(ControlCalls.add_fault(**rule))
        return result

    def clear_faults(self) -> None:
        self.call(ControlCalls.clear_faults())

    def fail_operation(self, flow_id: str, **options: Any) -> JsonObject:
        result: JsonObject = self.call(ControlCalls.fail_operation(flow_id, **options))
        return result

    def refuse_older_publish(self, refuse: bool = True) -> None:
        self.call(ControlCalls.refuse_older_publish(refuse))

    def set_random_seed(self, random_seed: int) -> None:
        """Seed every random choice (fault probabilities, timing jitter), now and after each reset."""
        self.call(ControlCalls.set_random_seed(random_seed))

    def set_transition_mode(self, mode: str = "polls", **options: Any) -> JsonObject:
        result: JsonObject = self.call(ControlCalls.set_transition_mode(mode, **options))
        return result

    def set_analytics(self, flow_id: str, **counts: Any) -> JsonObject:
        result: JsonObject = self.call(ControlCalls.set_analytics(flow_id, **counts))
        return result

    def set_traffic(self, flow_id: str, **source: Any) -> JsonObject:
        """Traffic into the flow from now on: `entries_per_minute`, `failure_ratio`, `abandon_ratio`,
        `flow_seconds`, `version_failure_ratios` (each optional; missing ones keep their value)."""
        result: JsonObject = self.call(ControlCalls.set_traffic(flow_id, **source))
        return result

    def fail_version(self, flow_id: str, version: str, failure_ratio: float | None) -> JsonObject:
        """Version `version` fails `failure_ratio` of the interactions entering it from now on."""
        result: JsonObject = self.call(ControlCalls.fail_version(flow_id, version, failure_ratio))
        return result

    def traffic(self, flow_id: str) -> JsonObject:
        """The flow's traffic source and, per version, what was drawn so far."""
        flows: list[JsonObject] = self.call(ControlCalls.traffic(flow_id))["flows"]
        return flows[0] if flows else {"flowId": flow_id, "versions": []}

    def clear_traffic(self, flow_id: str = "") -> None:
        self.call(ControlCalls.clear_traffic(flow_id))

    def set_validation_warnings(self, flow_id: str, warnings: list[str], *, version: str = "") -> None:
        self.call(ControlCalls.set_validation_warnings(flow_id, warnings, version=version))

    def lock_flow(self, flow_id: str, **options: Any) -> JsonObject:
        result: JsonObject = self.call(ControlCalls.lock_flow(flow_id, **options))
        return result

    def unlock_flow(self, flow_id: str) -> None:
        self.call(ControlCalls.unlock_flow(flow_id))

    def delete_resource(self, resource_id: str) -> None:
        self.call(ControlCalls.delete_resource(resource_id))

    def request_log(self, **filters: Any) -> list[JsonObject]:
        result: list[JsonObject] = self.call(ControlCalls.request_log(**filters))["requests"]
        return result

    def uploads(self) -> list[str]:
        """The text of every file an Architect import job received, oldest first."""
        result: list[JsonObject] = self.call(ControlCalls.uploads())["uploads"]
        return [str(upload["text"]) for upload in result]

    def request_count(self, **filters: Any) -> int:
        return len(self.request_log(**filters))

    def clear_request_log(self) -> None:
        self.call(ControlCalls.clear_request_log())

    def advance_clock(self, seconds: float) -> None:
        self.call(ControlCalls.advance_clock(seconds))

    def now(self) -> float:
        """The emulator clock, in seconds since the epoch."""
        return float(self.call(ControlCalls.clock())["now"])

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> EmulatorControl:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncEmulatorControl:
    """The same calls for async code: `await control.call(ControlCalls.add_fault(...))` or the shortcuts."""

    calls = ControlCalls

    def __init__(self, base_url: str, client: httpx.AsyncClient | None = None) -> None:
        self._client = client or httpx.AsyncClient(base_url=base_url, timeout=30.0)

    async def call(self, call: ControlCall) -> Any:
        return _result(await self._client.request(call.method, call.path, json=call.body, params=call.params))

    async def reset(
        self, seed: JsonObject | None = None, *, empty: bool = False, profile: str | None = None
    ) -> JsonObject:
        result: JsonObject = await self.call(ControlCalls.reset(seed, empty=empty, profile=profile))
        return result

    async def behaviour(self) -> JsonObject:
        result: JsonObject = await self.call(ControlCalls.behaviour())
        return result

    async def set_behaviour(self, **knobs: Any) -> JsonObject:
        result: JsonObject = await self.call(ControlCalls.set_behaviour(**knobs))
        return result

    async def publish_as(self, flow_id: str, **options: Any) -> JsonObject:
        result: JsonObject = await self.call(ControlCalls.publish_as(flow_id, **options))
        return result

    async def advance_clock(self, seconds: float) -> None:
        await self.call(ControlCalls.advance_clock(seconds))

    async def add_fault(self, **rule: Any) -> JsonObject:
        result: JsonObject = await self.call(ControlCalls.add_fault(**rule))
        return result

    async def set_analytics(self, flow_id: str, **counts: Any) -> JsonObject:
        result: JsonObject = await self.call(ControlCalls.set_analytics(flow_id, **counts))
        return result

    async def set_traffic(self, flow_id: str, **source: Any) -> JsonObject:
        result: JsonObject = await self.call(ControlCalls.set_traffic(flow_id, **source))
        return result

    async def fail_version(self, flow_id: str, version: str, failure_ratio: float | None) -> JsonObject:
        result: JsonObject = await self.call(ControlCalls.fail_version(flow_id, version, failure_ratio))
        return result

    async def request_count(self, **filters: Any) -> int:
        return len((await self.call(ControlCalls.request_log(**filters)))["requests"])

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> AsyncEmulatorControl:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
