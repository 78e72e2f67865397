"""What the survey and campaign pages refuse."""

from __future__ import annotations


class FormRejected(Exception):
    """A form with wrong fields: field → problem code (see ``labels.PROBLEMS``)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors
