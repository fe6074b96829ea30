"""What `POST /flows/actions/publish?version=` does with the version asked for (a pure decision, R4/R5).

`decide_publish` is pure: it takes what the org knows about the target and the published version, and the
two knobs, and says whether the publish starts, is refused (and how), or is silently ignored (200 with an
Operation that never shows on the flow and changes nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from flowrelease.emulator.behaviour import MissingVersionPublish, OlderVersionPublish

PublishOutcome = Literal["start", "ignore", "not_found", "draft", "older"]


@dataclass(frozen=True)
class PublishTarget:
    """The version a publish names, as the org holds it (`number` None: no such version)."""

    number: int | None
    is_draft: bool = False


def decide_publish(
    target: PublishTarget,
    published_number: int | None,
    *,
    older: OlderVersionPublish,
    missing: MissingVersionPublish,
) -> PublishOutcome:
    """`start`, `ignore`, or the refusal: `not_found` (404), `draft` (400) or `older` (400)."""
    if target.number is None:
        return "ignore" if missing == "ignore" else "not_found"
    if target.is_draft:
        return "draft"
    if published_number is not None and target.number < published_number:
        if older == "refuse":
            return "older"
        if older == "ignore":
            return "ignore"
    return "start"
