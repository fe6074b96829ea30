"""Architect, export and validate jobs: one collection per kind, settled together."""

from __future__ import annotations

from flowrelease.emulator.jobs.architect import ArchitectJobs
from flowrelease.emulator.jobs.exports import ExportJobs
from flowrelease.emulator.jobs.validations import ValidateJobs
from flowrelease.emulator.state import Org


class JobBook:
    """Every job of the org."""

    def __init__(self, org: Org) -> None:
        self.architect = ArchitectJobs(org)
        self.exports = ExportJobs(org)
        self.validations = ValidateJobs(org)

    def settle(self) -> None:
        """Finish every job whose time has come."""
        self.architect.settle()
        self.exports.settle()
        self.validations.settle()


__all__ = ["JobBook"]
