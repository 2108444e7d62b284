"""Options for every stage of livekr, as frozen dataclasses.

Stream time is counted in samples at ``SAMPLE_RATE``; durations in options carry their
unit in the field name.
"""

from __future__ import annotations

from dataclasses import dataclass

SAMPLE_RATE = 16_000
"""The one rate livekr works at internally: every source resamples to it."""

VAD_FRAME_MS_CHOICES = (10, 20, 30)


@dataclass(frozen=True)
class AudioOptions:
    """How audio is captured."""

    block_ms: int = 30
    """Length of one block delivered by a source."""
    queue_s: float = 60.0
    """Capacity of the microphone queue; blocks beyond it are dropped and counted."""


@dataclass(frozen=True)
class SegmenterOptions:
    """How the stream is cut into utterances."""

    frame_ms: int = 30
    """webrtcvad frame length: 10, 20 or 30 ms."""
    aggressiveness: int = 2
    """webrtcvad aggressiveness, 0 (keeps most audio as speech) to 3 (strictest)."""
    pre_roll_ms: int = 300
    """Audio kept before the first voiced frame so the first syllable is not cut."""
    end_silence_ms: int = 700
    """Unvoiced audio that ends an utterance; shorter pauses stay inside it."""
    post_roll_ms: int = 200
    """Audio kept after the last voiced frame (at most ``end_silence_ms``)."""
    min_speech_ms: int = 240
    """Voiced audio needed before an utterance counts as speech; shorter blips are dropped."""
    max_utterance_s: float = 20.0
    """An utterance longer than this is split at the quietest recent frame."""
    split_search_s: float = 4.0
    """How far back from the maximum length the quietest frame is searched for."""

    def __post_init__(self) -> None:
        if self.frame_ms not in VAD_FRAME_MS_CHOICES:
            raise ValueError(f"frame_ms must be one of {VAD_FRAME_MS_CHOICES}, got {self.frame_ms}")
        if not 0 <= self.aggressiveness <= 3:
            raise ValueError(f"aggressiveness must be 0..3, got {self.aggressiveness}")
        if self.end_silence_ms < self.frame_ms:
            raise ValueError("end_silence_ms must be at least one frame long")
        if self.max_utterance_s <= self.split_search_s:
            raise ValueError("max_utterance_s must be longer than split_search_s")


@dataclass(frozen=True)
class RecognizerOptions:
    """Where and how the model runs."""

    device: str = "auto"
    """"auto" (CUDA when present, else CPU), "cpu", "cuda" or "cuda:N"."""
    dtype: str = "auto"
    """"auto" (fp16 on CUDA, fp32 on CPU), "fp32", "fp16" or "bf16"."""


@dataclass(frozen=True)
class PipelineOptions:
    """How the streaming transcriber schedules work."""

    partials: bool = True
    """Decode partial text while speech continues."""
    min_partial_interval_s: float = 0.25
    """Partials are never requested more often than this (stream time)."""
    partial_duty: float = 0.5
    """Largest share of compute spent on partials: the interval grows with the expected
    forward time of the utterance so far."""
    partial_pause_ms: int = 150
    """No partial is requested once the speaker has been silent this long: the utterance is
    probably ending, and its final should not wait behind a partial."""
    max_pending_finals: int = 4
    """For sources that are not live, reading pauses while this many finals wait."""
    stats_interval_s: float = 0.5
    """How often (stream time) a stats event is sent."""


DEFAULT_MODEL = "kresnik/wav2vec2-large-xlsr-korean"
"""The checkpoint used when none is named: the most accurate published Korean CTC model."""
