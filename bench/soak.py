"""Soak test: an hour of speech through the live pipeline, watching memory and accounting.

Run from the repository root::

    nice -n 10 .venv/bin/python bench/soak.py --minutes 60 --speed 4 --out /tmp/soak.json

Clips of real Korean speech (``../shared/data/ko_speech``; espeak-ng sentences where that
is missing) are placed one after another with known pauses of faint noise and played,
as a microphone would deliver them (a live source: never paused, never waited for), at
``--speed`` times real time, through ``StreamingTranscriber`` with partials on and a
small random-weight checkpoint of a real architecture (``trainer.scratch``) on one torch
thread. Prints one JSON object (progress on stderr): resident memory over the run, finals
against the clips placed, samples delivered against samples segmented, finalization
latency percentiles, and the machine. See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from stream import (
    DEFAULT_MODELS_DIR,
    DEFAULT_SPEECH_DIR,
    cpu_pressure,
    ensure_checkpoint,
    machine_facts,
    read_clip,
    write_report,
)
from stream_metrics import percentile
from stream_worker import MIB, load_and_warm, progress

from livekr.cli import limit_heap_fragmentation
from livekr.config import SAMPLE_RATE, PipelineOptions
from livekr.cpu import this_cpu
from livekr.events import Failure, Final, Finished, Partial, PipelineEvent, Stats
from livekr.pipeline import StreamingTranscriber
from livekr.text import build_vocab, normalize

DEFAULT_MINUTES = 60.0
DEFAULT_SPEED = 4.0
DEFAULT_ARCH = "tiny-wav2vec2"
GAP_MIN_S, GAP_MAX_S = 1.5, 3.0
"""Pauses between clips: longer than the segmenter's 0.7 s end silence."""
GAP_NOISE_RMS = 1e-4
"""About -80 dBFS: not digital silence, far below speech."""
BLOCK_SAMPLES = SAMPLE_RATE * 30 // 1000
RSS_EVERY_S = 1.0
"""Wall seconds between memory samples."""
TIMELINE_EVERY_AUDIO_S = 300.0
FALLBACK_SENTENCES = (
    "안녕하세요 반갑습니다",
    "오늘 날씨가 좋습니다",
    "대한민국은 민주공화국이다",
    "모든 국민은 법 앞에 평등하다",
    "내일 아침에 회의가 있습니다",
    "이 문장은 합성된 음성입니다",
)


@dataclass(frozen=True)
class Placement:
    """A clip in the stream, in samples at 16 kHz."""

    clip: str
    start: int
    end: int


def real_clips(speech_dir: Path, seed: int) -> tuple[Iterator[tuple[str, np.ndarray]], list[str]]:
    """The manifest's clips in a seeded order, repeated for ever; and their transcripts."""
    with (speech_dir / "manifest.jsonl").open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]

    def cycle() -> Iterator[tuple[str, np.ndarray]]:
        rng = np.random.default_rng(seed)
        while True:
            for i in rng.permutation(len(rows)):
                yield rows[i]["audio"], read_clip(speech_dir / rows[i]["audio"])

    return cycle(), [row["text"] for row in rows]


def synthetic_clips(seed: int) -> tuple[Iterator[tuple[str, np.ndarray]], list[str]]:
    """espeak-ng renderings of a few sentences in several voices, repeated for ever."""
    from trainer.synth import VOICES, Voice, synthesize

    clips = [(f"{v}:{s}", synthesize(s, Voice(v))) for s in FALLBACK_SENTENCES for v in VOICES[:3]]

    def cycle() -> Iterator[tuple[str, np.ndarray]]:
        rng = np.random.default_rng(seed)
        while True:
            for i in rng.permutation(len(clips)):
                yield clips[i]

    return cycle(), list(FALLBACK_SENTENCES)


class SoakSource:
    """A live source: gap, clip, gap, clip, … for ``total_samples``, delivered at ``speed``
    times real time; ``placements`` records where each clip went."""

    live = True
    description = "soak"
    dropped_blocks = 0
    status_errors = 0

    def __init__(self, clips: Iterator[tuple[str, np.ndarray]], total_samples: int, speed: float, seed: int):
        self.total_samples = total_samples
        self.speed = speed
        self.placements: list[Placement] = []
        self.delivered = 0
        self._clips = clips
        self._rng = np.random.default_rng(seed + 1)
        self._blocks = self._generate()
        self._stopped = threading.Event()
        self._t0 = 0.0

    def _noise(self, samples: int) -> np.ndarray:
        return (self._rng.standard_normal(samples) * GAP_NOISE_RMS).astype(np.float32)

    def _generate(self) -> Iterator[np.ndarray]:
        position = 0
        while position < self.total_samples:
            gap = self._noise(int(self._rng.uniform(GAP_MIN_S, GAP_MAX_S) * SAMPLE_RATE))
            name, clip = next(self._clips)
            if position + gap.size + clip.size + GAP_MAX_S * SAMPLE_RATE > self.total_samples:
                part = self._noise(self.total_samples - position)  # the end: a last pause
            else:
                self.placements.append(Placement(name, position + gap.size, position + gap.size + clip.size))
                part = np.concatenate([gap, clip])
            for i in range(0, part.size, BLOCK_SAMPLES):
                yield part[i : i + BLOCK_SAMPLES]
            position += part.size

    def start(self) -> None:
        self._t0 = time.monotonic()

    def read(self, timeout_s: float) -> np.ndarray | None:
        delay = self._t0 + self.delivered / SAMPLE_RATE / self.speed - time.monotonic()
        if delay > timeout_s:
            self._stopped.wait(timeout_s)
            return None if self._stopped.is_set() else np.zeros(0, dtype=np.float32)
        if delay > 0:
            self._stopped.wait(delay)
        if self._stopped.is_set():
            return None
        block = next(self._blocks, None)
        if block is not None:
            self.delivered += block.size
        return block

    def stop(self) -> None:
        self._stopped.set()


class SoakLog:
    """Event sink keeping only what the report needs (levels are not kept)."""

    def __init__(self) -> None:
        self.finals: list[Final] = []
        self.failures: list[str] = []
        self.partials = 0
        self.max_backlog_s = 0.0
        self.max_pending = 0
        self.max_spilled = 0
        self.last_stats: Stats | None = None
        self.finished: Finished | None = None
        self._lock = threading.Lock()

    def __call__(self, event: PipelineEvent) -> None:
        with self._lock:
            if isinstance(event, Final):
                self.finals.append(event)
            elif isinstance(event, Partial):
                self.partials += 1
            elif isinstance(event, Stats):
                self.last_stats = event
                self.max_backlog_s = max(self.max_backlog_s, event.backlog_s)
                self.max_pending = max(self.max_pending, event.pending_finals)
                self.max_spilled = max(self.max_spilled, event.spilled_finals)
            elif isinstance(event, Failure):
                self.failures.append(event.message)
            elif isinstance(event, Finished):
                self.finished = event


class RssTrace:
    """(stream seconds delivered, RSS MiB) every ``RSS_EVERY_S`` wall seconds, on a thread."""

    def __init__(self, source: SoakSource) -> None:
        self.samples: list[tuple[float, float]] = []
        self._source = source
        self._process = psutil.Process()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="rss-trace", daemon=True)

    def take(self) -> float:
        rss = self._process.memory_info().rss / MIB
        self.samples.append((self._source.delivered / SAMPLE_RATE, rss))
        return rss

    def _poll(self) -> None:
        next_report = TIMELINE_EVERY_AUDIO_S
        while not self._stop.wait(RSS_EVERY_S):
            rss = self.take()
            if self.samples[-1][0] >= next_report:
                next_report += TIMELINE_EVERY_AUDIO_S
                progress(f"{self.samples[-1][0] / 60:.0f} min of audio, RSS {rss:.0f} MiB")

    def __enter__(self) -> RssTrace:
        self.take()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.take()


def memory_report(samples: list[tuple[float, float]], audio_s: float) -> dict[str, Any]:
    """RSS at start, end, max; over the last quarter of the audio; a coarse timeline (MiB)."""
    rss = [r for _, r in samples]
    quarter = [r for t, r in samples if t >= 0.75 * audio_s]
    timeline: dict[str, float] = {}
    for t, r in samples:
        mark = int(t // TIMELINE_EVERY_AUDIO_S) * TIMELINE_EVERY_AUDIO_S
        timeline.setdefault(f"{mark / 60:.0f} min", round(r, 1))
    return {
        "start_mib": round(rss[0], 1),
        "end_mib": round(rss[-1], 1),
        "max_mib": round(max(rss), 1),
        "growth_mib": round(rss[-1] - rss[0], 1),
        "last_quarter": {
            "first_mib": round(quarter[0], 1),
            "end_mib": round(quarter[-1], 1),
            "min_mib": round(min(quarter), 1),
            "max_mib": round(max(quarter), 1),
            "growth_mib": round(quarter[-1] - quarter[0], 1),
        },
        "timeline_mib": timeline,
    }


def match_report(placements: list[Placement], finals: list[Final]) -> dict[str, Any]:
    """Finals against the clips placed, by overlap in the stream."""
    spans = sorted(
        (round(f.utterance.start_s * SAMPLE_RATE), round(f.utterance.end_s * SAMPLE_RATE)) for f in finals
    )
    hits = [0] * len(placements)
    unmatched = 0
    j = 0
    for start, end in spans:
        while j < len(placements) and placements[j].end <= start:
            j += 1
        k, matched = j, False
        while k < len(placements) and placements[k].start < end:
            hits[k] += 1
            matched = True
            k += 1
        unmatched += not matched
    indices = sorted(f.utterance.index for f in finals)
    return {
        "clips_placed": len(placements),
        "finals": len(finals),
        "clips_with_a_final": sum(h > 0 for h in hits),
        "clips_without_final": sum(h == 0 for h in hits),
        "clips_split_in_several": sum(h > 1 for h in hits),
        "finals_outside_clips": unmatched,
        "utterances_without_text": (indices[-1] + 1 - len(indices)) if indices else 0,
    }


def latency_report(finals: list[Final]) -> dict[str, Any]:
    """Finalization latency and forward time of the finals, wall seconds."""
    latency = [f.latency_s for f in finals]
    forward = [f.forward_s for f in finals]
    return {
        name: {f"p{q}": round(percentile(values, q) or 0.0, 4) for q in (50, 90, 99)}
        | {"max": round(max(values, default=0.0), 4)}
        for name, values in (("latency_s", latency), ("forward_s", forward))
    }


def choose_speech(speech_dir: Path, seed: int) -> tuple[Iterator[tuple[str, np.ndarray]], list[str], str]:
    """Real clips where ``speech_dir`` has a manifest, else espeak-ng; and what was used."""
    if (speech_dir / "manifest.jsonl").is_file():
        return (*real_clips(speech_dir, seed), str(speech_dir))
    progress(f"no {speech_dir / 'manifest.jsonl'}: using espeak-ng speech")
    return (*synthetic_clips(seed), "espeak-ng")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=DEFAULT_MINUTES, help="audio to stream (minutes)")
    p.add_argument("--speed", type=float, default=DEFAULT_SPEED, help="times real time (1: real pace)")
    p.add_argument("--arch", default=DEFAULT_ARCH, help="trainer.scratch architecture (random weights)")
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--backend", default="torch", choices=("auto", "torch", "onnx"),
                   help="torch (fp32 unless --dtype), onnx, or auto: the fastest passing the parity probe")
    p.add_argument("--dtype", default="fp32", choices=("auto", "fp32", "bf16", "int8"))
    p.add_argument("--seed", type=int, default=0, help="clip order and pauses")
    p.add_argument("--speech", type=Path, default=DEFAULT_SPEECH_DIR, help="folder with manifest.jsonl")
    p.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR, help="checkpoints, built once")
    p.add_argument("--out", type=Path, help="also write the JSON here")
    args = p.parse_args(argv)
    if args.minutes <= 0 or args.speed <= 0:
        p.error("--minutes and --speed must be positive")
    return args


def load(args: argparse.Namespace, folder: Path) -> tuple[Any, dict[str, float]]:
    """The recognizer ``--backend``/``--dtype`` ask for, and how long loading took: torch fp32
    as ``stream.py`` loads it (imports, load and warm-up timed apart), else livekr's loader."""
    if args.backend == "torch" and args.dtype == "fp32":
        return load_and_warm(folder, "fp32")
    from livekr.config import RecognizerOptions
    from livekr.recognizer import load_recognizer

    t0 = time.perf_counter()
    recognizer = load_recognizer(str(folder), RecognizerOptions(
        device="cpu", backend=args.backend, dtype=args.dtype, threads=args.threads))
    return recognizer, {"load_s": round(time.perf_counter() - t0, 3)}


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    args = parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    limit_heap_fragmentation()  # as the livekr command does
    machine = machine_facts() | {"cpu_flags": list(this_cpu().relevant_flags)}
    clips, texts, speech = choose_speech(args.speech, args.seed)
    folder = ensure_checkpoint(args.models_dir, args.arch, build_vocab([normalize(t) for t in texts], "jamo"))
    recognizer, load_times = load(args, folder)
    progress(f"{args.arch} on {recognizer.device_label}")
    total = int(args.minutes * 60 * SAMPLE_RATE)
    source = SoakSource(clips, total, args.speed, args.seed)
    log = SoakLog()
    transcriber = StreamingTranscriber(source, recognizer, log, options=PipelineOptions(partials=True))
    progress(f"{args.arch}: streaming {args.minutes:g} min at {args.speed:g}x ({speech})")
    started = time.monotonic()
    with RssTrace(source) as trace:
        transcriber.run()
    wall_s = time.monotonic() - started
    audio_s = total / SAMPLE_RATE
    result = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "audio_min": args.minutes,
        "speed": args.speed,
        "wall_s": round(wall_s, 1),
        "speech": speech,
        "arch": args.arch,
        "device": recognizer.device_label,
        "load": load_times,
        "memory": memory_report(trace.samples, audio_s),
        "utterances": match_report(source.placements, log.finals),
        "samples": {
            "delivered": source.delivered,
            "segmented": transcriber.segmenter.position,
            "lost": source.delivered - transcriber.segmenter.position,
            "dropped_blocks": log.last_stats.dropped_blocks if log.last_stats else None,
        },
        "finals": latency_report(log.finals),
        "partials": log.partials,
        "backlog": {
            "max_s": round(log.max_backlog_s, 3),
            "max_pending_finals": log.max_pending,
            "max_spilled_finals": log.max_spilled,
            "partials_skipped": log.last_stats.partials_skipped if log.last_stats else None,
        },
        "failures": log.failures,
        "stopped_by": transcriber.stopped_by,
        "machine": machine
        | {"loadavg_end": [round(x, 2) for x in os.getloadavg()], "cpu_pressure_end": cpu_pressure()},
    }
    write_report(result, args.out)
    return 0 if not log.failures and result["samples"]["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
