"""Prompts, audio conversion (ffmpeg, pydub) and speech recognition (Vosk)."""
