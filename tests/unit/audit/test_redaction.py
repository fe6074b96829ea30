"""Secret redaction: strings, nested values and log records (messages, args and tracebacks)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from flowrelease.audit.redaction import SecretRedactor, redact


def test_every_occurrence_is_masked_longest_first() -> None:
    assert redact("token abcd and abcdef", ["abcd", "abcdef"]) == "token *** and ***"


def test_empty_and_short_values_are_not_registered() -> None:
    redactor = SecretRedactor(["", "ab", "abcd"])
    assert redactor.secrets == frozenset({"abcd"})
    assert redactor.redact("ab abcd") == "ab ***"


def test_values_can_be_registered_later() -> None:
    redactor = SecretRedactor()
    assert redactor.redact("hunter22") == "hunter22"
    redactor.register("hunter22")
    assert redactor.redact("pw=hunter22") == "pw=***"


def test_a_secret_registered_later_that_contains_an_earlier_one_is_masked_whole() -> None:
    redactor = SecretRedactor(["abcd"])
    redactor.register("xxabcdyy")
    assert redactor.redact("t=xxabcdyy u=abcd") == "t=*** u=***"


def test_nested_values_are_redacted_keys_included() -> None:
    redactor = SecretRedactor(["topsecret"])
    value = {"a": ["x topsecret", ("topsecret",)], "topsecret": 3, "n": 1.5}
    assert redactor.redact_value(value) == {"a": ["x ***", ["***"]], "***": 3, "n": 1.5}


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO, SecretRedactor]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    parent = logging.getLogger("redaction-test")
    parent.addHandler(handler)
    parent.setLevel(logging.DEBUG)
    redactor = SecretRedactor(["client-secret-value"])
    redactor.install(handler)
    yield parent, stream, redactor
    parent.removeHandler(handler)


def test_log_filter_scrubs_messages_and_arguments_from_child_loggers(
    captured: tuple[logging.Logger, io.StringIO, SecretRedactor],
) -> None:
    parent, stream, _ = captured
    child = parent.getChild("genesys")
    child.info("auth with %s", "client-secret-value")
    child.warning("plain client-secret-value")
    assert "client-secret-value" not in stream.getvalue()
    assert stream.getvalue().splitlines() == [
        "redaction-test.genesys auth with ***",
        "redaction-test.genesys plain ***",
    ]


def test_log_filter_scrubs_tracebacks(captured: tuple[logging.Logger, io.StringIO, SecretRedactor]) -> None:
    parent, stream, _ = captured
    try:
        raise RuntimeError("bad secret client-secret-value")
    except RuntimeError:
        parent.exception("failed")
    assert "client-secret-value" not in stream.getvalue()
    assert "RuntimeError: bad secret ***" in stream.getvalue()


def test_secrets_registered_after_install_are_scrubbed_too(
    captured: tuple[logging.Logger, io.StringIO, SecretRedactor],
) -> None:
    parent, stream, redactor = captured
    redactor.register("late-token-123")
    parent.info("Bearer late-token-123")
    assert stream.getvalue().strip() == "redaction-test Bearer ***"
