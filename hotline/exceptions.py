"""Errors that reach the operator, with a message that says what to do.

HotlineError
├── ConfigError            a setting is missing, malformed or contradictory
├── DatabaseUnavailable    the database URL is bad or the server cannot be reached
└── ImportRejected         an import file has bad rows; nothing was written
"""

import dataclasses


class HotlineError(Exception):
    """Base of every error Hotline reports to a person."""


class ConfigError(HotlineError):
    """A setting is missing, malformed or contradictory."""


class DatabaseUnavailable(HotlineError):
    """The database URL is bad or the server cannot be reached."""


@dataclasses.dataclass(frozen=True)
class RowProblem:
    """One thing wrong with an import file: where, and why."""

    line: int  # 1-based line (CSV) or row (XLSX) number, the header being line 1
    column: str  # the column's header as written in the file, or "" for the whole row
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.reason}"


class ImportRejected(HotlineError):
    """An import file has bad rows; nothing was written. ``problems`` lists each one."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s) found; nothing was imported")
        self.problems = problems
