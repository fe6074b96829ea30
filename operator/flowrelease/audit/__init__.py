"""flowrelease.audit: audit events as JSON lines, Prometheus metrics, and secret redaction."""

from flowrelease.audit.events import FanoutAuditSink, JsonLinesAuditSink, ListAuditSink, audit_record
from flowrelease.audit.metrics import (
    MetricsAuditSink,
    ReleaseMetrics,
    default_metrics,
    genesys_request_observer,
)
from flowrelease.audit.redaction import SecretRedactor, redact

__all__ = [
    "FanoutAuditSink",
    "JsonLinesAuditSink",
    "ListAuditSink",
    "MetricsAuditSink",
    "ReleaseMetrics",
    "SecretRedactor",
    "audit_record",
    "default_metrics",
    "genesys_request_observer",
    "redact",
]
