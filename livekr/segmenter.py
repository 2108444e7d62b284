"""Cut a 16 kHz stream into utterances with webrtcvad.

``Segmenter`` is a plain class: ``feed(block) -> events`` and ``flush() -> events``; no
threads, Qt or I/O. Positions are stream samples counted from the first sample fed.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import webrtcvad

from livekr.config import SAMPLE_RATE, SegmenterOptions

SILENCE_DB = -100.0
"""Level reported for digital silence."""


@dataclass(frozen=True)
class SpeechStarted:
    """Speech was confirmed; the utterance begins at ``start_sample`` (pre-roll included)."""

    start_sample: int


@dataclass(frozen=True, eq=False)
class SpeechEnded:
    """An utterance is complete: ``audio`` is the stream's samples ``[start_sample, end_sample)``."""

    start_sample: int
    end_sample: int
    audio: np.ndarray
    """float32 mono at 16 kHz, ``end_sample - start_sample`` long."""
    detected_sample: int
    """Stream position at which the end was decided (after the end silence)."""
    split: bool = False
    """True when the maximum length forced the cut rather than a pause."""


@dataclass(frozen=True)
class Level:
    """Loudness of the block just fed, for a level meter."""

    sample: int
    """Stream position at the end of the block."""
    rms_db: float
    """RMS level in dBFS (``SILENCE_DB`` for digital silence)."""
    peak: float
    """Largest absolute sample value, 0..1."""
    speech: bool
    """Whether an utterance is in progress."""


SegmentEvent = SpeechStarted | SpeechEnded | Level


def to_float32(block: np.ndarray) -> np.ndarray:
    """Mono float32 in [-1, 1] from float or int16 samples (1-D)."""
    if block.ndim != 1:
        raise ValueError(f"expected mono 1-D samples, got shape {block.shape}")
    if block.dtype == np.int16:
        return block.astype(np.float32) / 32768.0
    return block.astype(np.float32, copy=False)


def level_of(block: np.ndarray) -> tuple[float, float]:
    """(RMS in dBFS, peak) of float samples."""
    if block.size == 0:
        return SILENCE_DB, 0.0
    rms = float(np.sqrt(np.mean(np.square(block, dtype=np.float64))))
    peak = float(np.max(np.abs(block)))
    db = 20.0 * math.log10(rms) if rms > 1e-5 else SILENCE_DB
    return max(db, SILENCE_DB), peak


class Segmenter:
    """webrtcvad segmenter with pre-roll, hang-over, minimum speech and maximum length.

    Not thread-safe: one thread feeds it.
    """

    def __init__(self, options: SegmenterOptions | None = None) -> None:
        self.options = opts = options or SegmenterOptions()
        self._vad = webrtcvad.Vad(opts.aggressiveness)
        self.frame_samples = SAMPLE_RATE * opts.frame_ms // 1000
        self._pre_roll_frames = opts.pre_roll_ms // opts.frame_ms
        self._end_frames = math.ceil(opts.end_silence_ms / opts.frame_ms)
        self._min_frames = max(1, math.ceil(opts.min_speech_ms / opts.frame_ms))
        self._post_roll_samples = SAMPLE_RATE * min(opts.post_roll_ms, opts.end_silence_ms) // 1000
        self._max_samples = int(opts.max_utterance_s * SAMPLE_RATE)
        self._search_frames = max(1, int(opts.split_search_s * 1000) // opts.frame_ms)
        self._pending = np.zeros(0, dtype=np.float32)
        self._frames: deque[np.ndarray] = deque()  # frames from self._buf_start to self._pos
        self._energies: deque[float] = deque(maxlen=self._search_frames)
        self._buf_start = 0
        self._pos = 0  # samples consumed into whole frames
        self._floor = 0  # no utterance may start before the end of the previous one
        self._state = "idle"  # idle | candidate | speech
        self._start = 0
        self._candidate_start = 0
        self._voiced = 0
        self._silent = 0
        self._last_voiced_end = 0

    @property
    def position(self) -> int:
        """Samples fed so far."""
        return self._pos + self._pending.size

    @property
    def in_speech(self) -> bool:
        """Whether a confirmed utterance is in progress."""
        return self._state == "speech"

    @property
    def utterance_start(self) -> int | None:
        """Start sample of the utterance in progress, or None."""
        return self._start if self._state == "speech" else None

    @property
    def trailing_silence_samples(self) -> int:
        """Samples since the last voiced frame of the utterance in progress (0 when idle)."""
        return self._pos - self._last_voiced_end if self._state == "speech" else 0

    def current_audio(self) -> np.ndarray | None:
        """A copy of the utterance in progress up to the last whole frame, or None."""
        if self._state != "speech":
            return None
        return self._slice(self._start, self._pos)

    def feed(self, block: np.ndarray) -> list[SegmentEvent]:
        """Consume the next samples (mono, 16 kHz, float32 or int16) and return what happened."""
        samples = to_float32(block)
        events: list[SegmentEvent] = []
        data = np.concatenate((self._pending, samples)) if self._pending.size else samples
        n = data.size // self.frame_samples
        for i in range(n):
            frame = data[i * self.frame_samples : (i + 1) * self.frame_samples]
            self._step(np.array(frame, dtype=np.float32), events)
        self._pending = np.array(data[n * self.frame_samples :], dtype=np.float32)
        rms_db, peak = level_of(samples)
        events.append(Level(self.position, rms_db, peak, self.in_speech))
        return events

    def flush(self) -> list[SegmentEvent]:
        """End of stream: finish the utterance in progress, including any partial frame."""
        events: list[SegmentEvent] = []
        if self._pending.size:
            self._frames.append(self._pending)
            self._pos += self._pending.size
            self._pending = np.zeros(0, dtype=np.float32)
        if self._state == "speech":
            end = min(self._last_voiced_end + self._post_roll_samples, self._pos)
            events.append(self._end(end, self._pos, split=False))
        self._state = "idle"
        return events

    # -- internals ------------------------------------------------------------------

    def _is_voiced(self, frame: np.ndarray) -> bool:
        pcm = np.clip(frame * 32768.0, -32768, 32767).astype(np.int16).tobytes()
        return bool(self._vad.is_speech(pcm, SAMPLE_RATE))

    def _step(self, frame: np.ndarray, events: list[SegmentEvent]) -> None:
        frame_start = self._pos
        self._frames.append(frame)
        self._pos += frame.size
        self._energies.append(float(np.mean(np.square(frame))))
        voiced = self._is_voiced(frame)
        if self._state == "idle":
            if voiced:
                self._state, self._candidate_start = "candidate", frame_start
                self._voiced, self._silent = 1, 0
                self._last_voiced_end = self._pos
            else:
                self._trim_idle()
        elif self._state == "candidate":
            self._voiced += voiced
            self._silent = 0 if voiced else self._silent + 1
            if voiced:
                self._last_voiced_end = self._pos
            if self._voiced >= self._min_frames:
                pre_roll = self._pre_roll_frames * self.frame_samples
                self._start = max(self._candidate_start - pre_roll, self._floor, self._buf_start)
                self._state = "speech"
                events.append(SpeechStarted(self._start))
            elif self._silent >= self._end_frames:
                self._state = "idle"
                self._trim_idle()
        else:
            if voiced:
                self._last_voiced_end, self._silent = self._pos, 0
            else:
                self._silent += 1
            if self._silent >= self._end_frames:
                end = min(self._last_voiced_end + self._post_roll_samples, self._pos)
                events.append(self._end(end, self._pos, split=False))
                self._state = "idle"
                self._trim_idle()
            elif self._pos - self._start >= self._max_samples:
                self._split(events)

    def _split(self, events: list[SegmentEvent]) -> None:
        """Cut at the end of the quietest of the recent frames and go on with the rest."""
        energies = list(self._energies)
        quietest = int(np.argmin(energies))
        cut = self._pos - (len(energies) - quietest - 1) * self.frame_samples
        cut = max(cut, self._start + self.frame_samples)
        events.append(self._end(cut, self._pos, split=True))
        if cut >= self._last_voiced_end:
            # Nothing voiced after the cut: the pause simply goes on, as when idle.
            self._state = "idle"
            self._trim_idle()
            return
        self._start = cut
        self._drop_before(cut)
        events.append(SpeechStarted(cut))

    def _end(self, end: int, detected: int, split: bool) -> SpeechEnded:
        event = SpeechEnded(self._start, end, self._slice(self._start, end), detected, split)
        self._floor = end
        self._energies.clear()
        return event

    def _slice(self, start: int, end: int) -> np.ndarray:
        """Samples ``[start, end)`` of the buffered frames, as one new array."""
        out = np.empty(end - start, dtype=np.float32)
        pos, filled = self._buf_start, 0
        for frame in self._frames:
            lo, hi = max(start, pos), min(end, pos + frame.size)
            if lo < hi:
                out[filled : filled + hi - lo] = frame[lo - pos : hi - pos]
                filled += hi - lo
            pos += frame.size
            if pos >= end:
                break
        return out

    def _trim_idle(self) -> None:
        """While idle keep only the pre-roll, and nothing before the last utterance's end."""
        self._drop_before(max(self._pos - (self._pre_roll_frames + 1) * self.frame_samples, self._floor))

    def _drop_before(self, sample: int) -> None:
        """Forget buffered frames that end at or before ``sample``."""
        while self._frames and self._buf_start + self._frames[0].size <= sample:
            self._buf_start += self._frames.popleft().size
