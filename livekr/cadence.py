"""When to ask for a partial: often enough to keep the text moving, never so often that
partials take more than their share of the compute or delay a final. Pure functions."""

from __future__ import annotations

from livekr.config import SAMPLE_RATE, PipelineOptions


def partial_interval_s(options: PipelineOptions, expected_forward_s: float) -> float:
    """Stream time between partial requests: partials take at most ``partial_duty`` of compute."""
    return max(options.min_partial_interval_s, expected_forward_s / max(options.partial_duty, 1e-3))


def partial_due(
    options: PipelineOptions,
    utterance_samples: int,
    trailing_silence_samples: int,
    since_last_request_samples: int,
    forward_per_audio_s: float,
) -> bool:
    """Whether to request a partial now.

    Not once the speaker has paused for ``partial_pause_ms`` (the utterance is probably
    ending, and its final should not wait behind a partial); otherwise when the stream has
    moved on by the interval that the expected forward time of the utterance so far allows
    (``forward_per_audio_s`` × its length, see ``partial_interval_s``).
    """
    if trailing_silence_samples * 1000 >= options.partial_pause_ms * SAMPLE_RATE:
        return False
    expected_forward_s = forward_per_audio_s * utterance_samples / SAMPLE_RATE
    return since_last_request_samples >= partial_interval_s(options, expected_forward_s) * SAMPLE_RATE
