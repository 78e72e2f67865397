"""The key that signs session cookies: generated once, kept in the data directory."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

SECRET_KEY_FILE = "secret_key"


def load_secret_key(data_dir: Path) -> str:
    """The key in ``data_dir/secret_key``, created (mode 0600) on first use.

    Several workers may start at once: each writes a candidate to a file of its own and
    links it into place; the first link wins and the others read the winner's key.
    """
    path = data_dir / SECRET_KEY_FILE
    if path.exists():
        return _read(path)
    data_dir.mkdir(parents=True, exist_ok=True)
    candidate = data_dir / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        with contextlib.suppress(FileExistsError):
            os.link(candidate, path)
    finally:
        candidate.unlink()
    return _read(path)


def _read(path: Path) -> str:
    key = path.read_text().strip()
    if not key:
        raise RuntimeError(f"{path} is empty: delete it to have a new key generated")
    return key
