"""Contract-test wiring: the official SDK logged in against the emulator, and an enum-fidelity check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import PureCloudPlatformClientV2 as sdk
import pytest

from tests.support.emulator import EmulatorHandle

UNKNOWN_ENUM = "outdated_sdk_version"


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
