"""Prompts, audio conversion and callers' recordings (speech recognition: Vosk, to come).

- :mod:`audio.catalogue`  every recording the IVR plays, per language, with its words
- :mod:`audio.speak`      a prompt and its values as the sequence of pieces to play (no I/O)
- :mod:`audio.words`      the words of digits, numbers, clock hours, dates (no I/O)
- :mod:`audio.build`      ``hotline prompts build``/``check``: files for Asterisk and the web
- :mod:`audio.tools`      the one adapter over ffmpeg, ffprobe and the TTS command
- :mod:`audio.recordings` voicemail and survey comments kept with their call
- :mod:`audio.fetch`      the one adapter that fetches a recording from Asterisk or Twilio
- :mod:`audio.commands`   the ``hotline prompts`` and ``hotline recordings`` commands
"""
