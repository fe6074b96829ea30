"""What `flowrelease operator` was asked to do: the command-line flags as one frozen value.

`OperatorConfig.check()` turns contradictory or malformed flags into a `ConfigError` that names the flag and
the fix, before anything connects to a cluster.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

DEFAULT_LIVENESS = "http://0.0.0.0:8080/healthz"
DEFAULT_METRICS_PORT = 9090
DEFAULT_MAX_CONCURRENT = 16
DEFAULT_GIT_WORKDIR = Path("/tmp/flowrelease-git")  # noqa: S108 - the documented default; a volume in deploy/
DEFAULT_DRIFT_INTERVAL = 300.0
DEFAULT_GENESYS_RATE = 300.0
"""Requests per minute per OAuth client: Genesys Cloud's default limit (genesys-api.md §10.3)."""

# One requirement of a Kubernetes label selector: `key`, `!key`, `key=value`, `key==value`, `key!=value`,
# `key in (a,b)`, `key notin (a,b)`. Keys may carry a DNS prefix (`shard.flowrelease.io/name`).
_KEY = r"(?:[a-z0-9A-Z.\-]+/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
_VALUE = r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_REQUIREMENT = re.compile(
    rf"^\s*(!?{_KEY}|{_KEY}\s*(=|==|!=)\s*{_VALUE}|{_KEY}\s+(in|notin)\s+\(\s*{_VALUE}(\s*,\s*{_VALUE})*\s*\))\s*$"
)


class ConfigError(ValueError):
    """A flag is malformed or contradicts another; the message names the flag and the fix."""


def split_selector(selector: str) -> list[str]:
    """Split a label selector on the commas between requirements (not those inside `in (a,b)`)."""
    parts: list[str] = []
    depth = 0
    current = ""
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


@dataclass(frozen=True)
class OperatorConfig:
    namespaces: tuple[str, ...] = ()
    all_namespaces: bool = False
    selector: str = ""
    """A Kubernetes label selector applied server-side to the FlowRelease watch (sharding)."""
    liveness: str = DEFAULT_LIVENESS
    """kopf's liveness endpoint URL; empty disables it."""
    metrics_port: int = DEFAULT_METRICS_PORT
    """Prometheus metrics port; 0 disables the metrics server."""
    metrics_host: str = "0.0.0.0"  # noqa: S104 - scraped from outside the pod
    max_concurrent: int = DEFAULT_MAX_CONCURRENT
    peering: str | None = None
    priority: int = 0
    """kopf peering priority: the highest live one works, lower ones pause, equal ones ALL pause."""
    standalone: bool = False
    git_workdir: Path = DEFAULT_GIT_WORKDIR
    drift_interval: float | None = None
    """Seconds between drift checks of a Ready release; 0 disables them; None: the default (see
    `drift_seconds`)."""
    genesys_rate_limit: float = DEFAULT_GENESYS_RATE
    """Client-side budget per org+OAuth client, shared by every release using it."""
    notifications: bool = True
    """Subscribe to v2.flows notifications (one channel per org+client) so an event wakes its release."""
    verbose: bool = False

    @property
    def drift_seconds(self) -> float:
        """The drift interval in force: as given, else 300 s for a single replica and off with --peering.

        Drift checks run on the operator's own schedule (no kopf timer, so no finalizer), which kopf peering
        does not pause: a paused replica would still check, and under driftPolicy Enforce re-publish. So
        peering and drift checks are never on together (`check` refuses an explicit interval)."""
        if self.drift_interval is not None:
            return self.drift_interval
        return 0.0 if self.peering else DEFAULT_DRIFT_INTERVAL

    @property
    def clusterwide(self) -> bool:
        """Watch every namespace: asked for, or no namespace given (kopf's own default)."""
        return self.all_namespaces or not self.namespaces

    def check(self) -> OperatorConfig:
        """Return self when the flags make sense together, else raise ConfigError saying which to fix."""
        if self.all_namespaces and self.namespaces:
            raise ConfigError("--all-namespaces and --namespace contradict each other; give one of them")
        if self.standalone and self.peering:
            raise ConfigError(
                "--standalone and --peering contradict each other; use --peering NAME when more than one "
                "replica runs, --standalone when exactly one does"
            )
        if self.priority and not self.peering:
            raise ConfigError("--priority only matters with peering; drop it or use --peering NAME")
        if self.max_concurrent < 1:
            raise ConfigError(f"--max-concurrent must be at least 1 (got {self.max_concurrent})")
        if not 0 <= self.metrics_port <= 65535:
            raise ConfigError(f"--metrics-port must be 0 (off) or a port 1-65535 (got {self.metrics_port})")
        if self.peering and self.drift_interval:
            raise ConfigError(
                "--drift-interval and --peering contradict each other: drift checks run on the operator's "
                "own schedule, which kopf peering does not pause, so a paused replica would still check "
                "(and under driftPolicy Enforce re-publish); run one replica with --standalone to check "
                "drift, or drop --drift-interval (drift checks are off with --peering)"
            )
        if self.drift_interval is not None and self.drift_interval < 0:
            raise ConfigError(
                f"--drift-interval must be 0 (off) or positive seconds (got {self.drift_interval})"
            )
        if self.genesys_rate_limit <= 0:
            raise ConfigError(
                f"--genesys-rate-limit must be positive per minute (got {self.genesys_rate_limit:g}); "
                "Genesys Cloud allows 300 per OAuth client unless your org's limit was raised"
            )
        if self.liveness:
            url = urllib.parse.urlsplit(self.liveness)
            if url.scheme not in {"http", "https"} or not url.hostname or not url.port:
                raise ConfigError(
                    f"--liveness must be a URL with host and port such as {DEFAULT_LIVENESS} "
                    f"(got {self.liveness!r}); pass --liveness '' to turn it off"
                )
        if self.selector:
            for requirement in split_selector(self.selector):
                if not _REQUIREMENT.match(requirement):
                    raise ConfigError(
                        f"--selector: {requirement.strip()!r} is not a label selector requirement; "
                        "use e.g. flowrelease.io/shard=a or 'tier in (gold,silver)'"
                    )
        return self
