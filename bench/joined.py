"""Long utterances built by joining real clips, for the latency and accuracy benchmarks.

Clips are trimmed of their leading and trailing quiet and joined with pauses shorter than
the segmenter's end silence, so that livekr hears one utterance; a clip that the segmenter
splits on its own (a long internal pause) is never used. Pure numpy and livekr's segmenter:
no model. Stream time is in samples at 16 kHz.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from livekr.audio import StreamResampler
from livekr.config import SAMPLE_RATE, SegmenterOptions
from livekr.segmenter import Segmenter, SpeechEnded

TRIM_FRAME_SAMPLES = 160
"""10 ms frames for trimming the quiet at a clip's ends."""
TRIM_BELOW_PEAK_DB = 40.0
"""A frame at a clip's edge is quiet when its RMS is this far below the clip's loudest frame."""
TRIM_MARGIN_SAMPLES = 800
"""Kept on each side of the first and last loud frames (50 ms)."""
JOIN_GAP_S = 0.25
"""Pause between joined clips: far below the default end silence of 0.7 s."""
PAUSE_NOISE_RMS = 1e-4
"""Gaussian noise in pauses, about -80 dBFS: not digital silence, far below speech."""
ROLL_S = (SegmenterOptions().pre_roll_ms + SegmenterOptions().post_roll_ms) / 1000
"""Audio the segmenter adds around the speech of an utterance (pre-roll + post-roll)."""


@dataclass(frozen=True)
class Clip:
    """A trimmed clip with its transcript."""

    name: str
    text: str
    audio: np.ndarray
    """float32, 16 kHz mono."""

    @property
    def seconds(self) -> float:
        return self.audio.size / SAMPLE_RATE


@dataclass(frozen=True)
class Joined:
    """Clips joined into one utterance."""

    clips: tuple[Clip, ...]
    audio: np.ndarray
    target_s: float
    """The nominal utterance length it was built for."""

    @property
    def text(self) -> str:
        return " ".join(c.text for c in self.clips)

    @property
    def seconds(self) -> float:
        return self.audio.size / SAMPLE_RATE


def read_manifest(manifest: Path) -> list[dict]:
    """The rows of a JSONL manifest with ``audio`` (relative to its folder) and ``text``."""
    with manifest.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_audio(path: Path) -> np.ndarray:
    """A file as mono float32 at 16 kHz."""
    audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    return StreamResampler(rate)(audio.mean(axis=1), last=True)


def trim(audio: np.ndarray) -> np.ndarray:
    """``audio`` without the quiet before its first and after its last loud 10 ms frame
    (``TRIM_BELOW_PEAK_DB`` below the loudest), keeping ``TRIM_MARGIN_SAMPLES`` each side."""
    frames = audio.size // TRIM_FRAME_SAMPLES
    if frames == 0:
        return audio
    rms = np.sqrt(np.mean(audio[: frames * TRIM_FRAME_SAMPLES].reshape(frames, -1) ** 2, axis=1))
    loud = np.flatnonzero(rms >= rms.max() * 10 ** (-TRIM_BELOW_PEAK_DB / 20))
    start = max(0, int(loud[0]) * TRIM_FRAME_SAMPLES - TRIM_MARGIN_SAMPLES)
    end = min(audio.size, (int(loud[-1]) + 1) * TRIM_FRAME_SAMPLES + TRIM_MARGIN_SAMPLES)
    return audio[start:end]


def pause(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """``seconds`` of faint Gaussian noise (``PAUSE_NOISE_RMS``)."""
    return (rng.standard_normal(round(seconds * SAMPLE_RATE)) * PAUSE_NOISE_RMS).astype(np.float32)


def segment(audio: np.ndarray, options: SegmenterOptions | None = None) -> list[SpeechEnded]:
    """The utterances livekr's segmenter finds in ``audio`` (30 ms blocks, as a source gives)."""
    seg = Segmenter(options)
    block = SAMPLE_RATE * 30 // 1000
    events = [e for i in range(0, audio.size, block) for e in seg.feed(audio[i : i + block])]
    return [e for e in events + seg.flush() if isinstance(e, SpeechEnded)]


def load_clips(manifest: Path, options: SegmenterOptions | None = None) -> list[Clip]:
    """The manifest's clips, trimmed, keeping only those the segmenter hears as one utterance
    (with a pause around them)."""
    rng = np.random.default_rng(0)
    clips = []
    for row in read_manifest(manifest):
        audio = trim(read_audio(manifest.parent / row["audio"]))
        padded = np.concatenate([pause(1.0, rng), audio, pause(1.0, rng)])
        if len(segment(padded, options)) == 1:
            clips.append(Clip(str(row["audio"]), str(row["text"]), audio))
    return clips


def join(clips: Sequence[Clip], target_s: float, rng: np.random.Generator,
         gap_s: float = JOIN_GAP_S) -> Joined:
    """Clips drawn from ``clips`` and joined with ``gap_s`` pauses so that the utterance the
    segmenter makes of them (speech plus ``ROLL_S``) lasts about ``target_s``; no clip twice.

    Each step draws at random among the clips that still fit; the shortest clip alone is
    used when none fits (a target shorter than every clip).
    """
    speech_s = target_s - ROLL_S
    chosen: list[Clip] = []
    total_s = 0.0
    pool = list(clips)
    while pool:
        room = speech_s - total_s - (gap_s if chosen else 0.0)
        fitting = [c for c in pool if c.seconds <= room]
        if not fitting:
            break
        clip = fitting[int(rng.integers(len(fitting)))]
        pool.remove(clip)
        chosen.append(clip)
        total_s += clip.seconds + (gap_s if len(chosen) > 1 else 0.0)
    if not chosen:
        chosen = [min(clips, key=lambda c: c.seconds)]
    parts: list[np.ndarray] = []
    for i, clip in enumerate(chosen):
        if i:
            parts.append(pause(gap_s, rng))
        parts.append(clip.audio)
    return Joined(tuple(chosen), np.concatenate(parts), target_s)


def join_many(clips: Sequence[Clip], targets_s: Sequence[float], seed: int,
              min_fill: float = 0.9, gap_s: float = JOIN_GAP_S, floor_s: float = 0.0) -> list[Joined]:
    """One ``Joined`` per target, each redrawn (up to 50 times) until, with ``ROLL_S``, it lasts
    at least ``min_fill`` of the target and ``floor_s``; clips may recur across utterances, never
    within one."""
    rng = np.random.default_rng(seed)
    out = []
    for target in targets_s:
        best = join(clips, target, rng, gap_s)
        for _ in range(50):
            if best.seconds + ROLL_S >= max(min_fill * target, floor_s):
                break
            candidate = join(clips, target, rng, gap_s)
            best = max(best, candidate, key=lambda j: j.seconds)
        out.append(best)
    return out


@dataclass(frozen=True)
class Stream:
    """Joined utterances in a row, each after a pause: what is played."""

    audio: np.ndarray
    utterances: tuple[Joined, ...]
    starts: tuple[int, ...]
    """Stream sample where each utterance's speech begins."""


def build_stream(utterances: Sequence[Joined], pause_s: float, seed: int) -> Stream:
    """pause, utterance, pause, …, utterance, pause (``pause_s`` each)."""
    rng = np.random.default_rng(seed)
    parts = [pause(pause_s, rng)]
    starts = []
    position = parts[0].size
    for u in utterances:
        starts.append(position)
        parts += [u.audio, pause(pause_s, rng)]
        position += u.audio.size + parts[-1].size
    return Stream(np.concatenate(parts), tuple(utterances), tuple(starts))
