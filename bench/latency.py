"""Finalization latency against utterance length, whole against windowed encoding.

Run from the repository root::

    .venv/bin/python bench/latency.py [--arch distilhubert] [--repeats 3] [--threads 1] \
        [--window 4 2 1 --window 2 1 1] [--out F.json] [--plot assets/latency.png]

Utterances of about 2, 5, 10, 15 and 19.5 s are built by joining real clips of
``../shared/data/ko_speech`` with 0.25 s pauses (``joined.py``), played in real time with
2 s pauses between them through livekr's real pipeline (``StreamingTranscriber``, partials
on), once with whole-utterance encoding and once per window setting, all in one process on
one loaded model: every ratio printed is measured in one run. The models are the real
architectures at full size with random weights (``trainer.scratch``): speed does not depend
on the weights. Partial cadence is reported twice: ``partial_interval_s``, the wall time between
one partial of an utterance and the next, and ``partial_advance_s``, how much further into the
speech (stream time) each partial's text reaches than the one before. See bench/README.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from joined import Stream, build_stream, join_many, load_clips
from stream import DEFAULT_MODELS_DIR, DEFAULT_SPEECH_DIR, cpu_pressure, ensure_checkpoint, write_report
from stream_metrics import Endpointing, ForwardCall, TimedEvent, final_timings, stream_origin_s
from stream_worker import EventLog, TimedRecognizer, progress

from livekr.config import SAMPLE_RATE, EncodingOptions, PipelineOptions, RecognizerOptions, SegmenterOptions
from livekr.events import Final, Partial
from livekr.recognizer import PosteriorRecognizer
from livekr.text import build_vocab, normalize

ARCHS = ("distilhubert", "xls-r-300m")
DEFAULT_LENGTHS_S = (2.0, 5.0, 10.0, 15.0, 19.5)
"""Nominal utterance lengths; the longest stays below the segmenter's 20 s maximum."""
SHORT_MAX_S = 6.0
LONG_MIN_S = 12.0
LATENCY_RATIO_TARGET = 1.5
PARTIAL_INTERVAL_TARGET_S = 0.5
DRAIN_TIMEOUT_S = 600.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--arch", action="append", choices=ARCHS, help="repeatable; default: distilhubert")
    p.add_argument("--no-whole", action="store_true", help="skip whole-utterance encoding")
    p.add_argument("--window", action="append", nargs=3, type=float, metavar=("LEFT", "CHUNK", "RIGHT"),
                   help="a windowed setting in s (repeatable); default: livekr's defaults")
    p.add_argument("--lengths", nargs="+", type=float, default=list(DEFAULT_LENGTHS_S))
    p.add_argument("--repeats", type=int, default=3, help="utterances per length")
    p.add_argument("--pause-s", type=float, default=2.0, help="pause between utterances")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--backend", default="auto", choices=("auto", "torch", "onnx"))
    p.add_argument("--dtype", default="auto", choices=("auto", "fp32", "bf16", "int8"))
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--speech", type=Path, default=DEFAULT_SPEECH_DIR)
    p.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    p.add_argument("--out", type=Path, help="also write the JSON here")
    p.add_argument("--plot", type=Path, help="write a PNG of latency against length here")
    return p.parse_args(argv)


@dataclass(frozen=True)
class Setting:
    """One way of encoding: whole, or windowed with (left, chunk, right) in s."""

    mode: str
    left_s: float = 0.0
    chunk_s: float = 0.0
    right_s: float = 0.0

    @property
    def label(self) -> str:
        if self.mode == "whole":
            return "whole"
        return f"windowed {self.left_s:g}|{self.chunk_s:g}|{self.right_s:g}"

    def options(self) -> EncodingOptions:
        if self.mode == "whole":
            return EncodingOptions(mode="whole")
        return EncodingOptions(mode="windowed", left_s=self.left_s, chunk_s=self.chunk_s,
                               right_s=self.right_s)


def settings_from(args: argparse.Namespace) -> list[Setting]:
    default = EncodingOptions()
    windows = args.window or [[default.left_s, default.chunk_s, default.right_s]]
    whole = [] if args.no_whole else [Setting("whole")]
    return whole + [Setting("windowed", *w) for w in windows]


@dataclass(frozen=True)
class Session:
    """What one real-time session recorded."""

    events: list[TimedEvent]
    calls: list[ForwardCall]
    windows: int
    wall_s: float


def play(recognizer: PosteriorRecognizer, stream: Stream, setting: Setting) -> Session:
    """Play ``stream`` in real time through the pipeline with ``setting``, partials on."""
    from livekr.audio import ArraySource
    from livekr.pipeline import StreamingTranscriber

    log = EventLog()
    timed = TimedRecognizer(recognizer)
    source = ArraySource(stream.audio, realtime=True)
    session = StreamingTranscriber(source, timed, log, SegmenterOptions(), PipelineOptions(partials=True),
                                   setting.options())
    started = time.monotonic()
    session.start()
    if not session.wait(stream.audio.size / SAMPLE_RATE + DRAIN_TIMEOUT_S):
        session.stop()
        raise RuntimeError(f"{setting.label}: the session did not finish in time")
    return Session(log.events, timed.calls, session.encoder.windows_encoded, time.monotonic() - started)


def nominal_of(stream: Stream, start_s: float, end_s: float) -> float:
    """The target length of the planned utterance that holds the middle of [start_s, end_s]."""
    middle = (start_s + end_s) / 2 * SAMPLE_RATE
    ends = [s + u.audio.size for s, u in zip(stream.starts, stream.utterances, strict=True)]
    distance = [0 if s <= middle <= e else min(abs(middle - s), abs(middle - e))
                for s, e in zip(stream.starts, ends, strict=True)]
    return stream.utterances[int(np.argmin(distance))].target_s


def median(values: list[float]) -> float | None:
    return round(float(np.median(values)), 4) if values else None


def pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 4) if values else None


def summarize(stream: Stream, run: Session, setting: Setting) -> dict[str, Any]:
    """Per-final latencies, their medians by length, the long/short ratio and partial cadence."""
    seg = SegmenterOptions()
    t0 = stream_origin_s(run.events)
    timings = final_timings(run.events, run.calls, t0, Endpointing.from_options(seg))
    finals = [t.event for t in run.events if isinstance(t.event, Final)]
    rows = []
    for f, timing in zip(finals, timings, strict=True):
        u = f.utterance
        rows.append({"nominal_s": nominal_of(stream, u.start_s, u.end_s),
                     "audio_s": round(timing.audio_s, 3),
                     "finalization_s": round(timing.finalization_s, 4),
                     "forward_s": round(timing.forward_s, 4),
                     "blocked_s": round(timing.blocked_s, 4),
                     "blocker_in_end_silence": timing.blocker_in_end_silence})
    short = [r["finalization_s"] for r in rows if r["audio_s"] <= SHORT_MAX_S]
    long = [r["finalization_s"] for r in rows if r["audio_s"] >= LONG_MIN_S]
    by_length = {str(n): median([r["finalization_s"] for r in rows if r["nominal_s"] == n])
                 for n in sorted({r["nominal_s"] for r in rows})}
    walls: dict[int, list[float]] = {}
    covered: dict[int, list[float]] = {}  # stream time each partial's text reaches
    for t in run.events:
        if isinstance(t.event, Partial):
            walls.setdefault(t.event.utterance, []).append(t.wall_s)
            covered.setdefault(t.event.utterance, []).append(t.event.end_s)
    intervals = [b - a for w in walls.values() for a, b in itertools.pairwise(w)]
    advances = [b - a for c in covered.values() for a, b in itertools.pairwise(c)]
    audio_end = t0 + stream.audio.size / SAMPLE_RATE
    busy = sum(max(0.0, min(c.end_s, audio_end) - max(c.start_s, t0)) for c in run.calls)
    window_calls = [c.end_s - c.start_s for c in run.calls]
    ratio = float(np.median(long) / np.median(short)) if short and long else None
    return {
        "setting": setting.label, **asdict(setting), "finals": rows,
        "median_by_nominal_s": by_length,
        "short_median_s": median(short), "long_median_s": median(long), "short_n": len(short),
        "long_n": len(long), "long_over_short": None if ratio is None else round(ratio, 3),
        "partial_interval_s": {"p50": median(intervals), "p95": pct(intervals, 95),
                               "max": round(max(intervals), 4) if intervals else None, "n": len(intervals)},
        "partial_advance_s": {"p50": median(advances), "p95": pct(advances, 95),
                              "max": round(max(advances), 4) if advances else None},
        "forward_calls": len(run.calls), "forward_call_s": {"p50": median(window_calls),
                                                            "p95": pct(window_calls, 95)},
        "windows_encoded": run.windows,
        "worker_busy_share": round(busy / (audio_end - t0), 4),
        "drain_s": round(max((t.wall_s for t in run.events), default=audio_end) - audio_end, 3),
    }


def measurements(folder: Path, threads: int) -> dict[str, Any]:
    """What ``backend auto`` measured for this checkpoint on this CPU (probe forward, parity)."""
    from livekr.backends.store import MEASUREMENTS_FILE, MeasurementStore, cache_dir

    store = MeasurementStore(cache_dir() / MEASUREMENTS_FILE)
    for entry in store.entries().values():
        if entry.ref == str(folder) and entry.threads == threads:
            return {"chosen": entry.chosen, "measured": {k: asdict(v) for k, v in entry.measured.items()}}
    return {}


def run_arch(args: argparse.Namespace, arch: str, stream: Stream, vocab: dict[str, int]) -> dict[str, Any]:
    """Load ``arch`` once and play the stream once per setting."""
    from livekr.recognizer import load_recognizer

    folder = ensure_checkpoint(args.models_dir, arch, vocab)
    options = RecognizerOptions(device="cpu", backend=args.backend, dtype=args.dtype, threads=args.threads)
    started = time.perf_counter()
    recognizer = load_recognizer(str(folder), options, progress=progress)
    load_s = time.perf_counter() - started
    recognizer.log_posteriors(np.zeros(2 * SAMPLE_RATE, np.float32))
    progress(f"{arch}: {recognizer.device_label}, loaded in {load_s:.1f} s")
    results = []
    for setting in settings_from(args):
        progress(f"{arch} {setting.label}: playing {stream.audio.size / SAMPLE_RATE:.0f} s in real time")
        before = cpu_pressure()
        summary = summarize(stream, play(recognizer, stream, setting), setting)
        results.append(summary | {"cpu_pressure_before": before, "cpu_pressure_after": cpu_pressure()})
        progress(f"{arch} {setting.label}: short {summary['short_median_s']} s, long "
                 f"{summary['long_median_s']} s, ratio {summary['long_over_short']}, partial interval p50 "
                 f"{summary['partial_interval_s']['p50']} s")
    return {"arch": arch, "device": recognizer.device_label, "load_s": round(load_s, 1),
            "backend_measurements": measurements(folder, args.threads), "results": results}


def print_table(report: dict[str, Any]) -> None:
    """The headline numbers on stderr, one line per setting."""
    print(f"CPU: {report['cpu']}", file=sys.stderr)
    for arch in report["archs"]:
        print(f"{arch['arch']} on {arch['device']}, {report['threads']} thread(s):", file=sys.stderr)
        for r in arch["results"]:
            pi, pa = r["partial_interval_s"], r["partial_advance_s"]
            print(f"  {r['setting']:<22} finals<=6s p50 {r['short_median_s']} s  "
                  f">=12s p50 {r['long_median_s']} s"
                  f"  ratio {r['long_over_short']}  partial interval p50/p95 {pi['p50']}/{pi['p95']} s"
                  f"  speech between partials p50/p95/max {pa['p50']}/{pa['p95']}/{pa['max']} s"
                  f"  busy {r['worker_busy_share']}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    args = parse_args(argv)
    from livekr.cli import limit_heap_fragmentation
    from livekr.cpu import describe

    limit_heap_fragmentation()
    manifest = args.speech / "manifest.jsonl"
    if not manifest.is_file():
        sys.exit(f"bench/latency.py: no speech manifest at {manifest}; pass --speech DIR")
    clips = load_clips(manifest)
    targets = [n for _ in range(args.repeats) for n in args.lengths]
    stream = build_stream(join_many(clips, targets, args.seed), args.pause_s, args.seed)
    rows = [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines() if line.strip()]
    vocab = build_vocab([normalize(r["text"]) for r in rows], "jamo")
    report: dict[str, Any] = {
        "cpu": describe(), "threads": args.threads, "backend": args.backend, "dtype": args.dtype,
        "utterances_s": [round(u.seconds, 2) for u in stream.utterances],
        "audio_s": round(stream.audio.size / SAMPLE_RATE, 1), "pause_s": args.pause_s,
        "targets": {"long_over_short": LATENCY_RATIO_TARGET, "partial_interval_s": PARTIAL_INTERVAL_TARGET_S},
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "archs": [run_arch(args, arch, stream, vocab) for arch in args.arch or ["distilhubert"]],
        "loadavg_end": [round(x, 2) for x in os.getloadavg()],
    }
    print_table(report)
    write_report(report, args.out)
    if args.plot:
        from plots import plot_latency

        plot_latency(report, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
