"""`flowrelease operator`: run the kopf operator that reconciles every FlowRelease it can see.

Credentials for the cluster come from kopf's usual sources: the in-cluster ServiceAccount, or KUBECONFIG /
~/.kube/config outside a cluster.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from flowrelease import collector, event_loop
from flowrelease.k8s.config import (
    DEFAULT_DRIFT_INTERVAL,
    DEFAULT_GENESYS_RATE,
    DEFAULT_GIT_WORKDIR,
    DEFAULT_LIVENESS,
    DEFAULT_MAX_CONCURRENT,
    DEFAULT_METRICS_PORT,
    ConfigError,
    OperatorConfig,
)


def _default_git_workdir() -> Path:
    """`$FLOWRELEASE_WORKDIR/git` when the deployment provides a writable work folder, else /tmp."""
    base = os.environ.get("FLOWRELEASE_WORKDIR")
    return Path(base) / "git" if base else DEFAULT_GIT_WORKDIR


@click.command("operator")
@click.option(
    "--namespace",
    "-n",
    "namespaces",
    multiple=True,
    metavar="NS",
    help="Watch FlowReleases in this namespace (repeatable; globs such as team-* work).",
)
@click.option(
    "--all-namespaces", "-A", is_flag=True, help="Watch FlowReleases in every namespace (the default)."
)
@click.option(
    "--selector",
    "-l",
    default="",
    metavar="LABEL=VALUE",
    help="Only reconcile FlowReleases matching this label selector (server-side), to shard across operators.",
)
@click.option(
    "--liveness",
    default=DEFAULT_LIVENESS,
    show_default=True,
    metavar="URL",
    help="kopf's liveness endpoint; '' turns it off.",
)
@click.option(
    "--metrics-port",
    type=int,
    default=DEFAULT_METRICS_PORT,
    show_default=True,
    metavar="PORT",
    help="Serve Prometheus metrics at :PORT/metrics; 0 turns it off.",
)
@click.option(
    "--max-concurrent",
    type=int,
    default=DEFAULT_MAX_CONCURRENT,
    show_default=True,
    metavar="N",
    help="At most N releases talk to Genesys at the same time.",
)
@click.option(
    "--peering",
    default=None,
    metavar="NAME",
    help=(
        "kopf peering object to coordinate replicas (needs kopf's peering CRD); "
        "lower-priority replicas pause."
    ),
)
@click.option(
    "--priority",
    type=int,
    default=0,
    show_default=True,
    metavar="N",
    help="Peering priority: the highest live replica works, lower ones pause; equal priorities all pause.",
)
@click.option(
    "--standalone",
    is_flag=True,
    help="No peering: this is the only replica (also what happens without --peering).",
)
@click.option(
    "--git-workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=_default_git_workdir,
    show_default=f"$FLOWRELEASE_WORKDIR/git or {DEFAULT_GIT_WORKDIR}",
    envvar="FLOWRELEASE_GIT_WORKDIR",
    metavar="DIR",
    help="Where git clones for artifact export live.",
)
@click.option(
    "--drift-interval",
    type=float,
    default=None,
    show_default=f"{DEFAULT_DRIFT_INTERVAL:g}; off with --peering",
    metavar="SECONDS",
    help="Check each Ready release for drift this often; 0 turns drift checks off. Refused with --peering.",
)
@click.option(
    "--genesys-rate-limit",
    type=float,
    default=DEFAULT_GENESYS_RATE,
    show_default=True,
    metavar="PER_MINUTE",
    help="Requests per minute per Genesys org + OAuth client, shared by all releases using it.",
)
@click.option(
    "--notifications/--no-notifications",
    default=True,
    show_default=True,
    help="Learn that a publish finished from Genesys's v2.flows notifications (one WebSocket per org and "
    "OAuth client), polling only as a safety net; --no-notifications polls only.",
)
@click.option("--verbose", "-v", is_flag=True, help="Debug logging.")
def operator_command(
    namespaces: tuple[str, ...],
    all_namespaces: bool,
    selector: str,
    liveness: str,
    metrics_port: int,
    max_concurrent: int,
    peering: str | None,
    priority: int,
    standalone: bool,
    git_workdir: Path,
    drift_interval: float | None,
    genesys_rate_limit: float,
    notifications: bool,
    verbose: bool,
) -> None:
    """Run the Kubernetes operator (kopf) reconciling FlowReleases."""
    try:
        config = OperatorConfig(
            namespaces=namespaces,
            all_namespaces=all_namespaces,
            selector=selector,
            liveness=liveness,
            metrics_port=metrics_port,
            max_concurrent=max_concurrent,
            peering=peering,
            priority=priority,
            standalone=standalone,
            git_workdir=git_workdir,
            drift_interval=drift_interval,
            genesys_rate_limit=genesys_rate_limit,
            notifications=notifications,
            verbose=verbose,
        ).check()
    except ConfigError as error:
        raise click.UsageError(str(error)) from error

    from flowrelease.k8s.running import run_operator

    collector.settle_after_startup()
    event_loop.run(run_operator(config))
