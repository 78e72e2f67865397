"""What the incident pages refuse.

IncidentPageError
└── FormRejected     the declare form has wrong fields; ``errors`` maps field → problem code
"""

from __future__ import annotations


class IncidentPageError(Exception):
    """Something an incident page cannot do."""


class FormRejected(IncidentPageError):
    """A form with wrong fields: field → problem code (see ``labels.PROBLEMS``)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors
