"""The journal of calls in progress: one append-only file per process.

A call's record is written to the database when the call starts and when it
closes; what happens in between is appended here as it happens, so that a
process that dies mid-call leaves it on disk. Each line is one JSON object:
an operation of a call (``{"call": key, "provider": …, "op": "event", …}``),
or ``{"call": key, "op": "written"}`` once everything before it for that call
is in the database (or in the spool).

One file per process, opened once, one ``write()`` per line (``O_APPEND``, so
lines from several threads never interleave): the kernel has the line as soon
as ``write()`` returns, so a crash of the process loses none of it (a power cut
may; ``fsync`` per line would be a cost a caller hears). Files live in
``<spool>/journal/<pid>/`` and are cut into segments; a segment no call still
needs is deleted. :func:`pending_calls` reads a dead process's segments back.

An older layout, one file per call with no ``call`` key, reads the same way:
the file's name is then the call's key.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

JOURNAL = "journal"  # under the spool directory: calls in progress
SEGMENT_BYTES = 4 * 1024 * 1024
WRITTEN = "written"  # the marker: this call's earlier lines are stored elsewhere


class Journal:
    """This process's journal under one spool directory (thread-safe)."""

    _instances: dict[tuple[Path, int], Journal] = {}
    _guard = threading.Lock()

    def __init__(self, folder: Path, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.folder = folder
        self.segment_bytes = segment_bytes
        self._lock = threading.Lock()
        self._fd = -1
        self._segment = 0
        self._size = 0
        self._holding: dict[str, set[int]] = {}  # call → segments with its unwritten lines
        self._held: dict[int, set[str]] = {}  # segment → calls with unwritten lines in it

    @classmethod
    def of(cls, spool_dir: Path) -> Journal:
        """The journal of this process (a forked child gets its own) for ``spool_dir``."""
        key = (spool_dir, os.getpid())
        with cls._guard:
            journal = cls._instances.get(key)
            if journal is None:
                journal = cls._instances[key] = cls(spool_dir / JOURNAL / str(os.getpid()))
            return journal

    def append(self, call: str, op: dict[str, Any]) -> None:
        """One operation of ``call``, on disk (to the OS) when this returns."""
        data = _line({"call": call, **op})
        with self._lock:
            if self._fd < 0 or self._size >= self.segment_bytes:
                self._next_segment()
            self._write(data)
            self._holding.setdefault(call, set()).add(self._segment)
            self._held[self._segment].add(call)

    def written(self, call: str) -> None:
        """Everything journalled for ``call`` so far is stored: recovery may skip it."""
        with self._lock:
            segments = self._holding.pop(call, None)
            if segments is None:
                return
            self._write(_line({"call": call, "op": WRITTEN}))
            for segment in segments:
                self._held[segment].discard(call)
                if segment != self._segment and not self._held[segment]:
                    self._drop(segment)

    def close(self) -> None:
        """Close the file (tests; a process's journal otherwise lives as long as it)."""
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1

    def _next_segment(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            if not self._held[self._segment]:
                self._drop(self._segment)
        else:
            self.folder.mkdir(parents=True, exist_ok=True)
        self._segment += 1
        self._held[self._segment] = set()
        path = self._path(self._segment)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        self._size = os.fstat(self._fd).st_size

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]
        self._size += len(data)

    def _drop(self, segment: int) -> None:
        del self._held[segment]
        self._path(segment).unlink(missing_ok=True)

    def _path(self, segment: int) -> Path:
        return self.folder / f"segment-{segment:06d}.jsonl"


def _line(op: dict[str, Any]) -> bytes:
    return (json.dumps(op, ensure_ascii=False, default=str) + "\n").encode("utf-8")


def pending_calls(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """The operations of a stopped process not yet stored, per call, in journal order.

    A call whose lines all precede its last ``written`` marker has nothing
    pending and is left out. A torn last line (the process died mid-write) is skipped.
    """
    calls: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(folder.glob("*.jsonl"), key=_segment_order):
        for op in _read(path):
            call = str(op.pop("call", path.stem))
            if op.get("op") == WRITTEN:
                calls.pop(call, None)
            else:
                calls.setdefault(call, []).append(op)
    return calls


def _segment_order(path: Path) -> tuple[int, str]:
    """Segments in the order written; files of the older layout (per call) first, by name."""
    return (1, path.name) if path.name.startswith("segment-") else (0, path.name)


def _read(path: Path) -> Iterator[dict[str, Any]]:
    for line in path.read_text("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            continue
