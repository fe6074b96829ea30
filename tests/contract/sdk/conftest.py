"""Contract-test wiring: the official SDK logged in against the emulator, on BOTH profiles.

`emulator` is parametrized here: every SDK contract test runs on the `ideal` and on the `realistic` profile.
On the realistic profile reads lag, publishes and jobs take seconds of the emulator clock, so tests wait with
`wait_for_flow` / `wait_for_job`, which poll and move the emulator clock between polls. On the ideal profile
they allow exactly one poll: there, everything is done on the first one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
import PureCloudPlatformClientV2 as sdk
import pytest
from PureCloudPlatformClientV2.rest import ApiException

from tests.support.emulator import EmulatorHandle, fresh_emulator

UNKNOWN_ENUM = "outdated_sdk_version"
PROFILES = ("ideal", "realistic")
SECONDS_BETWEEN_POLLS = 1.0
REALISTIC_POLLS = (
    40  # seconds of emulator clock: the longest realistic job (6 s + 25% jitter) fits many times
)
T = TypeVar("T")


@pytest.fixture(params=PROFILES)
def emulator(request: pytest.FixtureRequest) -> Iterator[EmulatorHandle]:
    server = request.getfixturevalue(
        "emulator_server" if request.param == "ideal" else "realistic_emulator_server"
    )
    yield from fresh_emulator(server)


def polls_allowed(emulator: EmulatorHandle) -> int:
    return 1 if emulator.profile == "ideal" else REALISTIC_POLLS


def poll(emulator: EmulatorHandle, read: Callable[[], T], done: Callable[[T], bool], what: str) -> T:
    """`read()` until `done`, moving the emulator clock between reads; one read on the ideal profile."""
    for attempt in range(polls_allowed(emulator)):
        if attempt:
            emulator.control.advance_clock(SECONDS_BETWEEN_POLLS)
        value = read()
        assert_known_enums(value)
        if done(value):
            return value
    raise AssertionError(
        f"{what} not seen in {polls_allowed(emulator)} polls on the {emulator.profile} profile"
    )


def wait_for_flow(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle, flow_id: str, done: Callable[[sdk.Flow], bool]
) -> sdk.Flow:
    """The flow once `done` holds. On the realistic profile a flow a job just created is a 404 at first."""

    def read() -> sdk.Flow | None:
        try:
            return architect.get_flow(flow_id)
        except ApiException as error:
            if error.status == 404 and emulator.profile == "realistic":
                return None
            raise

    found = poll(emulator, read, lambda flow: flow is not None and done(flow), f"flow {flow_id}")
    assert found is not None
    return found


def operation_done(action: str) -> Callable[[sdk.Flow], bool]:
    """A finished `action` operation shows on the flow (a stale read shows the previous one, or none)."""

    def done(flow: sdk.Flow) -> bool:
        operation = flow.current_operation
        return operation is not None and operation.action_name == action and bool(operation.complete)

    return done


FINAL_JOB_STATES = {"Success", "Failure"}


def wait_for_job(emulator: EmulatorHandle, read: Callable[[], T]) -> T:
    """A job state once it is Success or Failure."""
    return poll(emulator, read, lambda state: getattr(state, "status", "") in FINAL_JOB_STATES, "job end")


def assert_known_enums(model: Any) -> None:
    """Fail if any value anywhere in a deserialized SDK object was an enum value the SDK did not know."""

    def walk(value: Any, where: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{where}[{index}]")
        else:
            assert value != UNKNOWN_ENUM, f"unknown enum value at {where}"

    walk(model.to_dict() if hasattr(model, "to_dict") else model, type(model).__name__)


def login(base_url: str, client_id: str, client_secret: str) -> sdk.ApiClient:
    sdk.configuration.host = base_url
    return sdk.ApiClient().get_client_credentials_token(client_id, client_secret)


@pytest.fixture
def api_client(emulator: EmulatorHandle) -> sdk.ApiClient:
    return login(emulator.base_url, emulator.client_id, emulator.client_secret)


@pytest.fixture
def architect(api_client: sdk.ApiClient) -> sdk.ArchitectApi:
    return sdk.ArchitectApi(api_client)


@pytest.fixture
def http(emulator: EmulatorHandle) -> Iterator[httpx.Client]:
    """A plain HTTP client with a bearer token, for wire-level assertions the SDK hides."""
    with httpx.Client(base_url=emulator.base_url, timeout=10.0) as client:
        token = client.post(
            "/oauth/token",
            auth=(emulator.client_id, emulator.client_secret),
            data={"grant_type": "client_credentials"},
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client
