"""`flowrelease emulator` serves the demo org and prints where and with which credentials."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_emulator(*options: str) -> tuple[str, str, str, str]:
    """Start `flowrelease emulator`, log in with the given credentials, stop it; (base URL, output, token,
    the profile its control plane reports)."""
    port = free_port()
    client_id = options[options.index("--client-id") + 1] if "--client-id" in options else "flowrelease-demo"
    secret = (
        options[options.index("--client-secret") + 1]
        if "--client-secret" in options
        else "flowrelease-demo-secret"
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from flowrelease.cli import main; main()",
            "emulator",
            "--port",
            str(port),
            *options,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                token = httpx.post(
                    f"{base_url}/oauth/token",
                    auth=(client_id, secret),
                    data={"grant_type": "client_credentials"},
                )
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the emulator did not start"
                time.sleep(0.1)
        access = str(token.json()["access_token"])
        flows = httpx.get(f"{base_url}/api/v2/flows", headers={"Authorization": f"Bearer {access}"})
        assert flows.status_code == 200
        profile = str(httpx.get(f"{base_url}/_emulator/behaviour").json()["profile"])
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    return base_url, output, access, profile


def test_command_serves_the_demo_org_and_prints_url_and_credentials() -> None:
    base_url, output, _, profile = run_emulator()
    assert base_url in output
    assert "flowrelease-demo" in output and "flowrelease-demo-secret" in output
    assert profile == "realistic", "a hand-started emulator behaves like a real org"
    assert "profile:       realistic" in output


def test_custom_credentials_work_and_the_custom_secret_is_not_printed() -> None:
    _, output, _, _ = run_emulator("--client-id", "ci", "--client-secret", "do-not-print-me", "--empty")
    assert "ci" in output and "do-not-print-me" not in output


def test_the_profile_flag_chooses_the_ideal_profile() -> None:
    _, output, _, profile = run_emulator("--profile", "ideal")
    assert profile == "ideal" and "profile:       ideal" in output


def test_an_unknown_profile_is_refused_naming_the_choices() -> None:
    refused = subprocess.run(
        [sys.executable, "-c", "from flowrelease.cli import main; main()", "emulator", "--profile", "kind"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert "'kind' is not one of 'ideal', 'realistic'" in refused.stderr
