"""Pure analysis of a recorded livekr session, for ``bench/stream.py``.

Input is what the benchmark records: every pipeline event with the ``time.monotonic()``
at which the callback received it, and every ``recognize`` call with its wall start and
end. Nothing here runs a model or a thread, so it can be checked on hand-made events.

Wall times are ``time.monotonic()`` seconds; stream times are seconds from the first
sample of the stream (``sample / SAMPLE_RATE``).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from livekr.config import SegmenterOptions
from livekr.events import Failure, Final, LevelChanged, Partial, PipelineEvent, Stats

ROUND_DIGITS = 4
BLOCKED_MIN_S = 0.01
"""A final counts as blocked when it waited at least this long for a running forward pass."""


@dataclass(frozen=True)
class TimedEvent:
    """A pipeline event and the wall time (monotonic seconds) the callback got it."""

    wall_s: float
    event: PipelineEvent


@dataclass(frozen=True)
class ForwardCall:
    """One ``Recognizer.recognize`` call: wall start and end (monotonic s), input length."""

    start_s: float
    end_s: float
    samples: int


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100, linear interpolation), rounded; None when empty."""
    if not values:
        return None
    return round(float(np.percentile(np.asarray(values, dtype=np.float64), q)), ROUND_DIGITS)


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, ROUND_DIGITS)


def stream_origin_s(events: Sequence[TimedEvent]) -> float:
    """Wall time (monotonic s) at which stream sample 0 was due, from the level events.

    A real-time ``ArraySource`` hands out the block ending at sample ``s`` no earlier than
    ``t0 + s / SAMPLE_RATE``; each ``LevelChanged`` carries that ``s`` as ``time_s``. Every
    event is late by the reader's own delay, never early, so the smallest
    ``wall - time_s`` is the closest estimate of ``t0``.
    """
    offsets = [t.wall_s - t.event.time_s for t in events if isinstance(t.event, LevelChanged)]
    if not offsets:
        raise ValueError("no LevelChanged events were recorded; cannot place the stream in time")
    return min(offsets)


def reader_lag_s(events: Sequence[TimedEvent], t0_s: float) -> list[float]:
    """How late each level event arrived after its audio was due (s)."""
    return [t.wall_s - t0_s - t.event.time_s for t in events if isinstance(t.event, LevelChanged)]


@dataclass(frozen=True)
class Endpointing:
    """Where the segmenter puts an utterance's end, derived from its options."""

    end_silence_s: float
    """Configured unvoiced time that ends an utterance (``end_silence_ms``)."""
    post_roll_s: float
    """Audio kept after the last voiced frame: ``Utterance.end_s - post_roll_s`` is it."""
    pre_roll_s: float
    """Audio kept before the first voiced frame: ``start_s + pre_roll_s`` is it (unless the
    previous utterance ended less than a pre-roll earlier)."""

    @classmethod
    def from_options(cls, options: SegmenterOptions) -> Endpointing:
        return cls(
            end_silence_s=options.end_silence_ms / 1000,
            post_roll_s=min(options.post_roll_ms, options.end_silence_ms) / 1000,
            pre_roll_s=options.pre_roll_ms // options.frame_ms * options.frame_ms / 1000,
        )


@dataclass(frozen=True)
class FinalTiming:
    """Timing of one final, all in seconds."""

    finalization_s: float
    """Final event wall − wall when the last voiced sample was played − ``end_silence_s``."""
    latency_s: float
    """``Final.latency_s``: detection of the end → final event (measured by livekr)."""
    forward_s: float
    """``Final.forward_s``: the recognizer's time for this utterance."""
    blocked_s: float
    """Time the final waited for a forward pass already running when it was detected."""
    blocker_in_end_silence: bool
    """That forward pass started after the last voiced sample had been played: a partial
    requested during the end silence, whose text can add nothing and is thrown away."""
    audio_s: float


def final_timings(
    events: Sequence[TimedEvent], calls: Sequence[ForwardCall], t0_s: float, ep: Endpointing
) -> list[FinalTiming]:
    """One ``FinalTiming`` per final, in order of arrival."""
    out = []
    for t in events:
        if not isinstance(t.event, Final):
            continue
        u = t.event.utterance
        last_voiced_wall = t0_s + (u.end_s - ep.post_roll_s)
        detected_wall = t.wall_s - t.event.latency_s
        running = [c for c in calls if c.start_s < detected_wall < c.end_s]
        blocker = max(running, key=lambda c: c.end_s, default=None)
        out.append(
            FinalTiming(
                finalization_s=t.wall_s - last_voiced_wall - ep.end_silence_s,
                latency_s=t.event.latency_s,
                forward_s=t.event.forward_s,
                blocked_s=blocker.end_s - detected_wall if blocker else 0.0,
                blocker_in_end_silence=blocker is not None and blocker.start_s > last_voiced_wall,
                audio_s=u.end_s - u.start_s,
            )
        )
    return out


def partial_intervals_s(events: Sequence[TimedEvent]) -> tuple[list[float], dict[int, int]]:
    """Wall intervals between consecutive partials of one utterance, and partials per utterance."""
    walls: dict[int, list[float]] = defaultdict(list)
    for t in events:
        if isinstance(t.event, Partial):
            walls[t.event.utterance].append(t.wall_s)
    intervals = [b - a for w in walls.values() for a, b in itertools.pairwise(w)]
    return intervals, {k: len(v) for k, v in walls.items()}


def partial_staleness_s(events: Sequence[TimedEvent], t0_s: float) -> list[float]:
    """For each partial: its wall time − wall time when the newest audio it covers was played."""
    return [t.wall_s - (t0_s + t.event.end_s) for t in events if isinstance(t.event, Partial)]


def first_partial_s(events: Sequence[TimedEvent], t0_s: float, pre_roll_s: float) -> list[float]:
    """Per utterance with partials: first Partial arrival − wall when its first voiced
    sample was played (``start_s + pre_roll_s``)."""
    first: dict[int, tuple[float, Partial]] = {}
    for t in events:
        if isinstance(t.event, Partial):
            first.setdefault(t.event.utterance, (t.wall_s, t.event))
    return [wall - (t0_s + p.start_s + pre_roll_s) for wall, p in first.values()]


def last_stats(events: Sequence[TimedEvent]) -> Stats | None:
    stats = [t.event for t in events if isinstance(t.event, Stats)]
    return stats[-1] if stats else None


def final_call_count(events: Sequence[TimedEvent], calls: Sequence[ForwardCall]) -> int:
    """How many of ``calls`` produced a final: the last call to end before each final."""
    ends = sorted(c.end_s for c in calls)
    used: set[int] = set()
    for t in events:
        if isinstance(t.event, Final):
            index = int(np.searchsorted(ends, t.wall_s, side="right")) - 1
            if index >= 0:
                used.add(index)
    return len(used)


def busy_share(calls: Sequence[ForwardCall], start_s: float, end_s: float) -> float:
    """Share of the wall interval ``[start_s, end_s]`` the recognizer spent in forward passes."""
    total = sum(max(0.0, min(c.end_s, end_s) - max(c.start_s, start_s)) for c in calls)
    return total / max(end_s - start_s, 1e-9)


def covered_speech_s(events: Sequence[TimedEvent]) -> float:
    """Sum of the finals' utterance durations (stream s)."""
    return sum(
        t.event.utterance.end_s - t.event.utterance.start_s for t in events if isinstance(t.event, Final)
    )


def count_chars(texts: Sequence[str]) -> int:
    """Non-space characters (composed Hangul syllables count one each)."""
    return sum(1 for text in texts for ch in text if not ch.isspace())


def spread(values: Sequence[float]) -> dict[str, float | int | None]:
    """p50, p95 and max of ``values`` (same unit), and how many there were."""
    return {
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "max": rounded(max(values)) if values else None,
        "n": len(values),
    }


def summarize_partials(
    events: Sequence[TimedEvent], calls: Sequence[ForwardCall], t0_s: float, pre_roll_s: float
) -> dict[str, Any]:
    """Cadence, count, staleness and wasted work of partials during a live session."""
    intervals, per_utterance = partial_intervals_s(events)
    finals = [t.event.utterance.index for t in events if isinstance(t.event, Final)]
    emitted = sum(per_utterance.values())
    forwards = len(calls) - final_call_count(events, calls)
    stats = last_stats(events)
    return {
        "interval_s": spread(intervals),
        "per_utterance_mean": rounded(
            sum(per_utterance.get(i, 0) for i in finals) / len(finals) if finals else None
        ),
        "emitted": emitted,
        "forwards": forwards,
        "forwards_discarded": forwards - emitted,
        "skipped": stats.partials_skipped if stats else None,
        "staleness_s": spread(partial_staleness_s(events, t0_s)),
        "first_after_s": spread(first_partial_s(events, t0_s, pre_roll_s)),
    }


def summarize_live(
    events: Sequence[TimedEvent],
    calls: Sequence[ForwardCall],
    wall_span_s: tuple[float, float],
    audio_s: float,
    segmenter: SegmenterOptions,
) -> dict[str, Any]:
    """The live-session numbers of the report (see bench/README.md), seconds unless named."""
    t0 = stream_origin_s(events)
    endpointing = Endpointing.from_options(segmenter)
    timings = final_timings(events, calls, t0, endpointing)
    ratios = [f.latency_s / f.forward_s for f in timings if f.forward_s > 0]
    lags = reader_lag_s(events, t0)
    stats = last_stats(events)
    return {
        "audio_s": rounded(audio_s),
        "wall_s": rounded(wall_span_s[1] - wall_span_s[0]),
        "drain_s": rounded(wall_span_s[1] - (t0 + audio_s)),
        "utterances": len(timings),
        "speech_share": rounded(covered_speech_s(events) / audio_s),
        "finalization_latency_s": spread([f.finalization_s for f in timings]),
        "final_latency_s": spread([f.latency_s for f in timings]),
        "forward_s": spread([f.forward_s for f in timings]),
        "latency_over_forward": spread(ratios),
        "blocked_by_running_forward_s": spread([f.blocked_s for f in timings]),
        "finals_blocked": sum(1 for f in timings if f.blocked_s >= BLOCKED_MIN_S),
        "finals_blocked_by_end_silence_partial": sum(
            1 for f in timings if f.blocked_s >= BLOCKED_MIN_S and f.blocker_in_end_silence
        ),
        "utterance_audio_s": spread([f.audio_s for f in timings]),
        "partials": summarize_partials(events, calls, t0, endpointing.pre_roll_s),
        "worker_busy_share": rounded(busy_share(calls, t0, t0 + audio_s)),
        "reader_lag_s": spread(lags),
        "dropped_blocks": stats.dropped_blocks if stats else None,
        "failures": [t.event.message for t in events if isinstance(t.event, Failure)],
    }


def chunked_input_s(audio_s: float, chunk_length_s: float) -> float:
    """Audio the transformers pipeline feeds the model when chunking ``audio_s`` seconds:
    chunks of ``chunk_length_s`` that overlap by ``chunk_length_s / 6`` on each side (its
    default stride), ignoring the rounding of lengths to whole model frames."""
    step_s = chunk_length_s - 2 * chunk_length_s / 6
    total, start = 0.0, 0.0
    while True:
        total += min(chunk_length_s, audio_s - start)
        if start + chunk_length_s >= audio_s:
            return total
        start += step_s


def summarize_file(
    audio_s: float,
    livekr_wall_s: float,
    livekr_texts: Sequence[str],
    livekr_speech_s: float,
    baseline_wall_s: float,
    baseline_text: str,
    chunk_length_s: float,
) -> dict[str, Any]:
    """Real-time factors (wall s / audio s) of livekr and the baseline, and what each covered."""
    livekr_rtf = livekr_wall_s / audio_s
    baseline_rtf = baseline_wall_s / audio_s
    baseline_input_s = chunked_input_s(audio_s, chunk_length_s)
    return {
        "audio_s": rounded(audio_s),
        "livekr_wall_s": rounded(livekr_wall_s),
        "livekr_rtf": rounded(livekr_rtf),
        "livekr_utterances": len(livekr_texts),
        "livekr_chars": count_chars(livekr_texts),
        "speech_share": rounded(livekr_speech_s / audio_s),
        "baseline_wall_s": rounded(baseline_wall_s),
        "baseline_rtf": rounded(baseline_rtf),
        "baseline_chars": count_chars([baseline_text]),
        "baseline_over_livekr_rtf": rounded(baseline_rtf / livekr_rtf),
        "livekr_model_input_s": rounded(livekr_speech_s),
        "baseline_model_input_s": rounded(baseline_input_s),
        "input_ratio": rounded(baseline_input_s / max(livekr_speech_s, 1e-9)),
    }
