"""Where a call's recording is when the telephony side made it: one adapter to fetch it.

A recording is referred to as the flow's ``RecordingDone.ref`` says:

- ``asterisk:hotline/messages/<uniqueid>.wav``: a file under Asterisk's sounds
  directory (``RECORD FILE`` names it relative to it), read where this process can
  see that directory (the same host, or a shared mount);
- ``https://api.twilio.com/…/Recordings/RE…``: Twilio's recording, fetched with the
  account's SID and auth token (HTTP basic authentication); without an extension
  Twilio answers with a WAV file.
"""

from __future__ import annotations

import base64
import shutil
import urllib.error
import urllib.request
from pathlib import Path

from audio.exceptions import BadRecording

ASTERISK = "asterisk:"
TIMEOUT_S = 30.0


class RecordingSource:
    """Copies a recording, by its reference, to a local file."""

    def __init__(
        self,
        *,
        asterisk_sounds_dir: Path,
        twilio_account_sid: str = "",
        twilio_auth_token: str = "",
    ) -> None:
        self.asterisk_sounds_dir = asterisk_sounds_dir
        self._auth = (twilio_account_sid, twilio_auth_token)

    def fetch(self, ref: str, destination: Path) -> None:
        """Write the recording ``ref`` names to ``destination``.

        :raises BadRecording: when it cannot be found or fetched.
        """
        if ref.startswith(ASTERISK):
            self._copy(ref.removeprefix(ASTERISK), destination)
        elif ref.startswith(("https://", "http://")):
            self._download(ref, destination)
        else:
            raise BadRecording(f"no way to fetch a recording from {ref!r}")

    def _copy(self, relative: str, destination: Path) -> None:
        root = self.asterisk_sounds_dir.resolve()
        source = (root / relative).resolve()
        if not source.is_relative_to(root) or not source.is_file():
            raise BadRecording(f"no recording {relative!r} under {root}")
        shutil.copyfile(source, destination)

    def _download(self, url: str, destination: Path) -> None:
        request = urllib.request.Request(url)
        if all(self._auth):
            token = base64.b64encode(":".join(self._auth).encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                with destination.open("wb") as out:
                    shutil.copyfileobj(response, out)
        except (urllib.error.URLError, OSError) as exc:
            raise BadRecording(f"could not fetch {url}: {exc}") from exc
