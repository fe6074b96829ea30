"""`flowrelease sync` under a tight rate limit: the read that notices a live publish goes before the requests
of releases still starting, as in the operator (tests/e2e/test_work_in_flight_first.py).

Twenty releases on one org + OAuth client whose limit is 120 requests/min; the org says so in its
`inin-ratelimit-*` headers (the `rateLimitHeaders` knob), so sync's limiter follows it. The releases start
together and queue in the limiter, one request each at a time; each publish takes 1 s. Without the rule the
first publishes to go live are read only after every other release's queued request. Counted from the
emulator's request log (order, not wall-clock time).

The ideal profile's reads: at such limits the realistic profile's lagging reads (two stale reads after each
change) use up the engine's 30 s visibility grace of most of these releases whatever the order, and they
end PublishIgnored; that is a finding about the grace under a tight limit, not about the order tested here.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from tests.integration.local.conftest import PUBLISH_PATH, QUICK_TIMING, ManifestFolder, cli
from tests.support.emulator import EmulatorHandle

RATE_PER_MINUTE = 120
RELEASES = 20
PUBLISH_S = 1.0
SERVED_FIRST_AT_MOST = 2
"""Requests of releases still starting that the org may answer between a publish going live and the read
that notices it: one already granted its token, one more while the woken release's pass starts."""


def epoch(entry: dict[str, Any]) -> float:
    return datetime.fromisoformat(str(entry["time"]).replace("Z", "+00:00")).timestamp()


def test_a_live_publish_is_read_before_releases_still_starting(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle
) -> None:
    names = [f"Queue IVR {i}" for i in range(RELEASES)]
    emulator.control.seed(
        {
            "clients": [
                {
                    "id": emulator.client_id,
                    "secret": emulator.client_secret,
                    "rateLimitPerMinute": RATE_PER_MINUTE,
                }
            ],
            "flows": [
                {
                    "name": name,
                    "type": "INBOUNDCALL",
                    "division": "Home",
                    "versions": [{"queues": ["Support"]}, {"queues": ["Support", "Billing"]}],
                    "publishedVersion": "1.0",
                }
                for name in names
            ],
        }
    )
    emulator.control.set_behaviour(
        profile="ideal",
        timing={**QUICK_TIMING, "publishSeconds": PUBLISH_S, "jitter": 0},
        rate_limit_headers=True,
    )
    for i, name in enumerate(names):
        manifests.release(f"queue-{i}", flow_name=name, version="2.0")
    run = cli(
        "sync",
        str(manifests.path),
        "--output",
        "json",
        "--concurrency",
        str(RELEASES),
        cwd=tmp_path,
        timeout=300,
    )
    assert run.exit_code == 0, run.stderr[-3000:]
    assert all(r["phase"] == "Ready" for r in run.releases().values()), run.releases()

    log = sorted(emulator.control.request_log(client_id=emulator.client_id), key=epoch)
    # The org counts in its own window, so the limiter, following its headers, is refused now and then
    # (429 + Retry-After: everyone waits); a refused request was not served.
    log = [e for e in log if e["status"] != 429]
    posted = {
        str(e["query"]).split("flow=")[1].split("&")[0]: epoch(e)
        for e in log
        if e["method"] == "POST" and e["path"] == PUBLISH_PATH and e["status"] < 300
    }
    assert len(posted) == RELEASES

    def in_flight_read(entry: dict[str, Any]) -> bool:
        """A read of a flow whose publish was already sent: another release's work in flight."""
        flow = str(entry["path"]).removeprefix("/api/v2/flows/")
        return entry["method"] == "GET" and flow in posted and posted[flow] < epoch(entry)

    served_first: dict[str, list[str]] = {}
    for flow, at in posted.items():
        live = at + PUBLISH_S
        read = next(
            epoch(e)
            for e in log
            if e["method"] == "GET" and e["path"] == f"/api/v2/flows/{flow}" and epoch(e) >= live
        )
        served_first[flow] = [
            f"{e['method']} {e['path']}" for e in log if live <= epoch(e) < read and not in_flight_read(e)
        ]
    # The releases really were queued: the first publish went live while others were still starting.
    first = min(posted, key=posted.__getitem__)
    starting_after = [e for e in log if epoch(e) > posted[first] + PUBLISH_S and not in_flight_read(e)]
    assert len(starting_after) >= RELEASES, "the releases were not held by the rate limit"
    worst = max(served_first.values(), key=len)
    assert len(worst) <= SERVED_FIRST_AT_MOST, (
        f"{len(worst)} requests of releases still starting were answered before a live publish was read: "
        f"{worst}"
    )
