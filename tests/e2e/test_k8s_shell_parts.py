"""The operator shell's pure parts, proved without a cluster: flag checks, condition bookkeeping, requeue
delays and the log-level filter (more in tests/unit/k8s; the rest of the shell is proved end to end)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from flowrelease.api.models import FlowReleaseStatus, Phase
from flowrelease.engine.outcome import Outcome, OutcomeKind
from flowrelease.k8s import shell_status
from flowrelease.k8s.config import ConfigError, OperatorConfig, split_selector
from flowrelease.k8s.handlers import MAX_REQUEUE_S, MIN_REQUEUE_S, requeue_error
from flowrelease.k8s.log_levels import RequeueLogFilter

T0 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("selector", "parts"),
    [
        ("a=b", ["a=b"]),
        ("a=b,c!=d", ["a=b", "c!=d"]),
        ("tier in (gold,silver),!canary", ["tier in (gold,silver)", "!canary"]),
    ],
)
def test_selectors_split_between_requirements_only(selector: str, parts: list[str]) -> None:
    assert split_selector(selector) == parts


@pytest.mark.parametrize(
    ("config", "valid", "reason"),
    [
        (OperatorConfig(), True, "defaults: cluster-wide, liveness and metrics on"),
        (OperatorConfig(namespaces=("a", "b")), True, "several namespaces"),
        (
            OperatorConfig(selector="flowrelease.io/shard=a,tier in (gold, silver)"),
            True,
            "prefixed key and set",
        ),
        (
            OperatorConfig(liveness="", metrics_port=0, drift_interval=0),
            True,
            "everything optional turned off",
        ),
        (OperatorConfig(all_namespaces=True, namespaces=("a",)), False, "both scopes"),
        (OperatorConfig(standalone=True, peering="x"), False, "standalone with peering"),
        (OperatorConfig(standalone=True, priority=3), False, "priority without peering"),
        (OperatorConfig(selector="shard=a=b"), False, "two equals signs"),
        (OperatorConfig(max_concurrent=0), False, "no concurrency"),
        (OperatorConfig(drift_interval=-1), False, "negative interval"),
        (OperatorConfig(liveness="http://0.0.0.0/healthz"), False, "liveness without a port"),
        (OperatorConfig(genesys_rate_limit=0), False, "no request budget"),
    ],
)
def test_operator_config_check(config: OperatorConfig, valid: bool, reason: str) -> None:
    if valid:
        assert config.check() is config, reason
    else:
        with pytest.raises(ConfigError, match="--"):
            config.check()


def test_no_namespace_means_cluster_wide() -> None:
    assert OperatorConfig().clusterwide
    assert not OperatorConfig(namespaces=("a",)).clusterwide


@pytest.mark.parametrize(
    ("after", "expected"),
    [(None, MIN_REQUEUE_S), (0.01, MIN_REQUEUE_S), (7.5, 7.5), (600.0, MAX_REQUEUE_S)],
)
def test_requeue_delay_is_the_engines_within_bounds(after: float | None, expected: float) -> None:
    error = requeue_error(Outcome(OutcomeKind.WAITING, FlowReleaseStatus(), after=after, message="baking"))
    assert error.delay == expected
    assert str(error).startswith("requeue in ") and str(error).endswith(": baking")


def test_requeue_records_are_shown_at_info_and_real_errors_stay_errors() -> None:
    log_filter = RequeueLogFilter()
    requeue = logging.LogRecord(
        "kopf.objects",
        logging.ERROR,
        "",
        0,
        "Handler 'x' failed temporarily: %s",
        ("requeue in 2.0s: poll",),
        None,
    )
    failure = logging.LogRecord(
        "kopf.objects", logging.ERROR, "", 0, "Handler 'x' failed temporarily: boom", (), None
    )
    assert log_filter.filter(requeue) and log_filter.filter(failure)
    assert (requeue.levelno, requeue.levelname) == (logging.INFO, "INFO")
    assert failure.levelno == logging.ERROR


def test_invalid_spec_stalls_and_keeps_an_in_flight_operation() -> None:
    status = FlowReleaseStatus.model_validate(
        {"phase": "Publishing", "operation": {"kind": "publish", "id": "op-1"}}
    )
    stalled = shell_status.invalid_spec(status, generation=4, message="spec.flow: bad", now=T0)
    assert stalled.phase is Phase.FAILED
    assert stalled.operation is not None and stalled.operation.id == "op-1"
    by_type = {c.type: c for c in stalled.conditions}
    assert (by_type["Ready"].status, by_type["Stalled"].status) == ("False", "True")
    assert "Reconciling" not in by_type
    assert stalled.observed_generation == 4


def test_waiting_for_a_reference_keeps_the_transition_time_while_nothing_changes() -> None:
    first = shell_status.waiting_for_reference(
        FlowReleaseStatus(), generation=1, reason="ReferenceUnavailable", message="m", now=T0
    )
    again = shell_status.waiting_for_reference(
        first, generation=1, reason="ReferenceUnavailable", message="m", now=T0 + timedelta(minutes=5)
    )
    assert [c.last_transition_time for c in again.conditions] == [
        c.last_transition_time for c in first.conditions
    ]
    assert {c.type: c.status for c in again.conditions} == {"Ready": "False", "Reconciling": "True"}


def _with_conditions(*conditions: tuple[str, str, str, int], observed: int | None = 3) -> FlowReleaseStatus:
    return FlowReleaseStatus.model_validate(
        {
            "observedGeneration": observed,
            "conditions": [
                {"type": t, "status": s, "reason": r, "observedGeneration": g} for t, s, r, g in conditions
            ],
        }
    )


@pytest.mark.parametrize(
    ("case", "status", "handled", "reason"),
    [
        (
            "engine-wrote-last",
            _with_conditions(("Ready", "True", "Succeeded", 3), ("Published", "True", "Succeeded", 3)),
            3,
            "an engine status is handed over as it is",
        ),
        (
            "reference-missing-after-a-spec-change",
            _with_conditions(
                ("Ready", "False", "ReferenceUnavailable", 3), ("Published", "True", "Succeeded", 2)
            ),
            2,
            "our write saw generation 3, the engine handled 2: a new attempt is due",
        ),
        (
            "reference-missing-after-the-engine-handled-it",
            _with_conditions(("Ready", "False", "ReferenceUnavailable", 3), ("Validated", "False", "X", 3)),
            3,
            "the engine had handled generation 3 (it failed validation): no new attempt",
        ),
        (
            "accepted-new-object",
            _with_conditions(("Ready", "Unknown", "Accepted", 1), ("Reconciling", "True", "Accepted", 1)),
            None,
            "nothing handled yet",
        ),
        (
            "invalid-spec-on-a-new-object",
            _with_conditions(("Ready", "False", "InvalidSpec", 1), ("Stalled", "True", "InvalidSpec", 1)),
            None,
            "our stall is not the engine's",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and "-" in value else "",
)
def test_the_engine_gets_the_generation_it_handled(
    case: str, status: FlowReleaseStatus, handled: int | None, reason: str
) -> None:
    assert shell_status.for_engine(status).observed_generation == handled, reason


def test_a_new_object_is_accepted_as_in_progress_with_its_generation() -> None:
    status = shell_status.accepted(generation=4, now=T0, message="queued")
    assert status.phase is Phase.PENDING and status.observed_generation == 4
    assert {c.type: (c.status, c.reason) for c in status.conditions} == {
        "Reconciling": ("True", "Accepted"),
        "Ready": ("Unknown", "Accepted"),
    }


@pytest.mark.parametrize(
    ("config", "drift"),
    [
        (OperatorConfig(), 300.0),
        (OperatorConfig(standalone=True), 300.0),
        (OperatorConfig(drift_interval=5), 5.0),
        (OperatorConfig(peering="p"), 0.0),
        (OperatorConfig(peering="p", drift_interval=0), 0.0),
    ],
)
def test_drift_checks_default_on_alone_and_off_with_peering(config: OperatorConfig, drift: float) -> None:
    assert config.check().drift_seconds == drift


def test_an_explicit_drift_interval_with_peering_is_refused() -> None:
    with pytest.raises(ConfigError, match="--drift-interval and --peering contradict each other"):
        OperatorConfig(peering="p", drift_interval=60).check()
