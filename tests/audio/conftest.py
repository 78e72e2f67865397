"""Real audio tools on real files: ffmpeg, ffprobe, sox and espeak-ng from Debian."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from audio.tools import AudioTools

TOOLS = ("ffmpeg", "ffprobe", "sox", "espeak-ng")


@pytest.fixture(scope="session")
def tools() -> AudioTools:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed: run `make system`")
    return AudioTools()


def tone(
    path: Path,
    *,
    hz: int,
    rate: int,
    seconds: float,
    amplitude: float = 0.5,
    channels: int = 1,
    pad_s: float = 0.0,
) -> Path:
    """A sine tone written by sox, with ``pad_s`` of silence before and after it."""
    command = ["sox", "-n", "-r", str(rate), "-c", str(channels), "-b", "16", str(path)]
    command += ["synth", str(seconds), "sine", str(hz), "vol", str(amplitude)]
    if pad_s:
        command += ["pad", str(pad_s), str(pad_s)]
    subprocess.run(command, check=True, capture_output=True)
    return path


def sox_stats(path: Path, *input_options: str) -> dict[str, str]:
    """``sox stats`` of a file (RMS lev dB, Pk lev dB, Length s …)."""
    command = ["sox", *input_options, str(path), "-n", "stats"]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    out: dict[str, str] = {}
    for line in done.stderr.splitlines():
        label, _, value = line.rpartition(" ")
        if label.strip():
            out[label.strip()] = value
    return out


@contextlib.contextmanager
def media_server(path: str, body: bytes, authorization: str = "") -> Iterator[str]:
    """Twilio's media URL, stood in for: ``body`` as a WAV at ``path`` (401 without the
    expected ``Authorization`` header when one is given); its origin."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path != path:
                self.send_error(404)
                return
            if authorization and self.headers.get("Authorization") != authorization:
                self.send_error(401)
                return
            self.send_response(200)
            self.send_header("Content-Type", "audio/x-wav")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
