"""`flowrelease sync --emulator` running a stage's external check against a real HTTP server on loopback: the
Secret manifests' bearer token and secret header reach the server, a failing check rolls the release back,
and neither secret shows in stdout, stderr, the state file or the audit log."""

from __future__ import annotations

from pathlib import Path

from tests.integration.local.conftest import cli
from tests.support.health_server import HealthServer

TOKEN = "sync-monitor-token-3e8d61f0-never-shown"
HEADER = "sync-api-key-b27a9c04-never-shown"
CHECK_PATH = "/api/checks/support-ivr"

MANIFESTS = """\
apiVersion: flowrelease.io/v1alpha1
kind: FlowRelease
metadata: {{name: support-ivr, namespace: cc}}
spec:
  genesys: {{environment: mypurecloud.com}}
  flow: {{type: inboundcall, name: Support IVR}}
  version: "3.0"
  verify:
    stages:
      - name: canary
        bakeSeconds: 600
        settleSeconds: 120
        minSamples: 20
        analytics:
          - {{signal: outcomeFailureRatio, max: 0.1}}
        checks:
          - name: synthetic-call
            retries: 1
            retryIntervalSeconds: 30
            http:
              url: {url}?apikey={token}
              bearerTokenSecretRef: {{name: monitor-token}}
              headersSecretRef: {{name: monitor-headers}}
              jsonPath: lastRun.passRate
              min: 0.99
---
apiVersion: v1
kind: Secret
metadata: {{name: monitor-token, namespace: cc}}
stringData: {{token: {token}}}
---
apiVersion: v1
kind: Secret
metadata: {{name: monitor-headers, namespace: cc}}
stringData: {{X-Api-Key: {header}}}
"""


def written(tmp_path: Path) -> str:
    state = tmp_path / ".flowrelease"
    return "".join(path.read_text() for path in sorted(state.rglob("*")) if path.is_file())


def test_a_failing_check_rolls_back_and_its_secrets_show_nowhere(
    tmp_path: Path, health_server: HealthServer
) -> None:
    health_server.answer(CHECK_PATH, 200, {"lastRun": {"passRate": 0.7}, "echo": TOKEN, HEADER: 1})
    folder = tmp_path / "manifests"
    folder.mkdir()
    url = health_server.base_url + CHECK_PATH
    (folder / "support-ivr.yaml").write_text(MANIFESTS.format(url=url, token=TOKEN, header=HEADER))

    run = cli("sync", str(folder), "--emulator", "--output", "json", "-vv", cwd=tmp_path)

    assert run.exit_code == 1, run.stderr
    release = run.releases()["cc/support-ivr"]
    assert (release["phase"], release["publishedVersion"]) == ("RolledBack", "2.0"), release
    assert str(release["verification"]).startswith("not verified (CheckFailed): canary failed a check on ")
    seen = health_server.requests
    assert [r.headers["authorization"] for r in seen] == [f"Bearer {TOKEN}"] * 2, "two attempts"
    assert all(r.headers["x-api-key"] == HEADER for r in seen)
    assert "CheckFailed" in (tmp_path / ".flowrelease" / "audit.jsonl").read_text()
    everything = run.stdout + run.stderr + written(tmp_path)
    assert "lastRun.passRate = 0.7, outside value ≥ 0.99" in everything
    for secret in (TOKEN, HEADER):
        at = everything.find(secret)
        assert at < 0, f"a secret is shown: …{everything[max(at - 200, 0) : at + 60]}…"
