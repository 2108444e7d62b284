"""One benchmark configuration (architecture × dtype), run in its own process.

``bench/stream.py`` starts this file's ``run_configuration`` in a fresh interpreter per
configuration, so the peak resident memory it reports belongs to that configuration
alone. Times are wall seconds (``time.monotonic`` / ``time.perf_counter``), memory MiB.
"""

from __future__ import annotations

import resource
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import soundfile
from stream_metrics import ForwardCall, TimedEvent, covered_speech_s

from livekr.audio import ArraySource, FileSource
from livekr.config import SAMPLE_RATE, PipelineOptions, RecognizerOptions, SegmenterOptions
from livekr.events import Failure, Final, PipelineEvent
from livekr.pipeline import StreamingTranscriber
from livekr.recognizer import CTCRecognizer, PosteriorRecognizer, Recognition, load_recognizer
from livekr.text import compose_jamo

MIB = 1024 * 1024
RSS_POLL_INTERVAL_S = 0.02
"""How often the memory sampler reads the resident set size."""
WARMUP_AUDIO_S = 2.0
"""Low noise recognised once after loading, so one-time kernel set-up is not in the numbers."""
WARMUP_NOISE_RMS = 1e-3
DRAIN_TIMEOUT_S = 900.0
"""How long after the audio's end a session may take to finish before the run fails."""


def progress(message: str) -> None:
    """A progress line on stderr (stdout is reserved for the JSON result)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class RssSampler:
    """Samples this process's resident set size on a daemon thread; peaks per phase (MiB)."""

    def __init__(self, interval_s: float = RSS_POLL_INTERVAL_S) -> None:
        self._process = psutil.Process()
        self._interval_s = interval_s
        self._peak = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._poll, name="rss-sampler", daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.wait(self._interval_s):
            self.sample()

    def sample(self) -> int:
        rss = int(self._process.memory_info().rss)
        with self._lock:
            self._peak = max(self._peak, rss)
        return rss

    def take_peak_mib(self) -> float:
        """Peak since the previous call (or start), then restart the peak at the current RSS."""
        current = self.sample()
        with self._lock:
            peak, self._peak = self._peak, current
        return round(peak / MIB, 1)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def max_rss_mib() -> float:
    """Lifetime peak RSS of this process (``getrusage``; Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class EventLog:
    """Pipeline event sink: keeps every event with the monotonic time it arrived."""

    def __init__(self) -> None:
        self.events: list[TimedEvent] = []
        self._lock = threading.Lock()

    def __call__(self, event: PipelineEvent) -> None:
        with self._lock:
            self.events.append(TimedEvent(time.monotonic(), event))


class TimedRecognizer:
    """Passes ``recognize`` and ``log_posteriors`` through to a real recognizer and records each
    call's wall span. It keeps the recognizer's frame interface (``frame_s``, ``tokens``), so the
    pipeline encodes live audio window by window as it does with the real one."""

    def __init__(self, inner: PosteriorRecognizer) -> None:
        self.inner = inner
        self.name = inner.name
        self.device_label = inner.device_label
        self.frame_s = inner.frame_s
        self.tokens = inner.tokens
        self.calls: list[ForwardCall] = []

    def log_posteriors(self, audio: np.ndarray) -> np.ndarray:
        start = time.monotonic()
        result = self.inner.log_posteriors(audio)
        self.calls.append(ForwardCall(start, time.monotonic(), int(audio.size)))
        return result

    def recognize(self, audio: np.ndarray) -> Recognition:
        start = time.monotonic()
        result = self.inner.recognize(audio)
        self.calls.append(ForwardCall(start, time.monotonic(), int(audio.size)))
        return result


@dataclass(frozen=True)
class LiveRun:
    """What a real-time session recorded."""

    events: list[TimedEvent]
    calls: list[ForwardCall]
    started_s: float
    """Monotonic time just before ``start()``."""
    finished_s: float
    """Monotonic time when the session had finished."""


def run_live(recognizer: CTCRecognizer, samples: np.ndarray, seg: SegmenterOptions) -> LiveRun:
    """Play ``samples`` (float32, 16 kHz) in real time through the pipeline, partials on."""
    log = EventLog()
    timed = TimedRecognizer(recognizer)
    source = ArraySource(samples, realtime=True)
    session = StreamingTranscriber(source, timed, log, seg, PipelineOptions(partials=True))
    started = time.monotonic()
    session.start()
    if not session.wait(samples.size / SAMPLE_RATE + DRAIN_TIMEOUT_S):
        session.stop()
        raise RuntimeError("the live session did not finish in time")
    return LiveRun(log.events, timed.calls, started, time.monotonic())


@dataclass(frozen=True)
class FileRun:
    """livekr transcribing a file as fast as possible (partials off)."""

    wall_s: float
    texts: list[str]
    speech_s: float
    """Sum of the finals' utterance durations (stream s)."""
    failures: list[str]


def run_file(recognizer: CTCRecognizer, wav: Path, seg: SegmenterOptions) -> FileRun:
    """Transcribe ``wav`` through ``FileSource`` and the pipeline; wall time includes reading."""
    log = EventLog()
    start = time.perf_counter()
    options = PipelineOptions(partials=False)
    session = StreamingTranscriber(FileSource(wav), recognizer, log, seg, options)
    session.start()
    if not session.wait(DRAIN_TIMEOUT_S):
        session.stop()
        raise RuntimeError("file transcription did not finish in time")
    wall = time.perf_counter() - start
    finals = [t.event for t in log.events if isinstance(t.event, Final)]
    failures = [t.event.message for t in log.events if isinstance(t.event, Failure)]
    return FileRun(wall, [f.utterance.text for f in finals], covered_speech_s(log.events), failures)


def run_baseline(recognizer: CTCRecognizer, wav: Path, chunk_length_s: float) -> tuple[float, str]:
    """transformers' ASR pipeline, chunked, on the same model object: (wall s, composed text).

    Wall time includes reading the WAV (soundfile; the pipeline's own file reader needs
    ffmpeg) and the pipeline's feature extraction, forward passes and decoding.
    """
    import transformers

    asr = transformers.pipeline(
        "automatic-speech-recognition",
        model=recognizer.model,
        tokenizer=recognizer.processor.tokenizer,
        feature_extractor=recognizer.processor.feature_extractor,
        chunk_length_s=chunk_length_s,
        device="cpu",
    )
    start = time.perf_counter()
    audio, rate = soundfile.read(str(wav), dtype="float32")
    out: Any = asr({"raw": audio, "sampling_rate": rate})
    wall = time.perf_counter() - start
    return wall, compose_jamo(str(out["text"]))


def load_and_warm(folder: Path, dtype: str) -> tuple[CTCRecognizer, dict[str, float]]:
    """Load the checkpoint on the CPU with torch in ``dtype`` (the baseline runs the same torch
    model) and run one warm-up forward; times in seconds."""
    start = time.perf_counter()
    import torch  # noqa: F401  (timed separately from the checkpoint load)
    import transformers  # noqa: F401

    imported = time.perf_counter()
    options = RecognizerOptions(device="cpu", backend="torch", dtype=dtype)
    recognizer = load_recognizer(str(folder), options)
    if not isinstance(recognizer, CTCRecognizer):
        raise RuntimeError(f"expected a torch model, got {recognizer.device_label}")
    loaded = time.perf_counter()
    noise = np.random.default_rng(0).standard_normal(int(WARMUP_AUDIO_S * SAMPLE_RATE))
    warm = recognizer.recognize((noise * WARMUP_NOISE_RMS).astype(np.float32))
    return recognizer, {
        "import_s": round(imported - start, 3),
        "load_s": round(loaded - imported, 3),
        "warmup_forward_s": round(warm.forward_s, 3),
        "warmup_audio_s": WARMUP_AUDIO_S,
    }
