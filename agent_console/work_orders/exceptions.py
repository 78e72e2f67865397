"""Errors of the console's work-order pages.

::

    WorkOrderPageError
    └── FormRejected     the new-order form has wrong fields; ``errors`` maps field → message
"""

from __future__ import annotations

from collections.abc import Mapping


class WorkOrderPageError(Exception):
    """Base of the work-order pages' errors."""


class FormRejected(WorkOrderPageError):
    """The form has wrong fields; ``errors`` maps each field to a translated message."""

    def __init__(self, errors: Mapping[str, object]) -> None:
        self.errors = dict(errors)
        super().__init__(", ".join(self.errors))
