"""Windowed encoding: windows line up with the utterance's frames, stitched frames never
change, and each forward pass is bounded by one window however long the utterance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livekr.windowing import HOP_SAMPLES, RECEPTIVE_SAMPLES, Stitcher, frames_for

CLASSES = 5


def frame_local_encoder(audio: np.ndarray) -> np.ndarray:
    """A stand-in encoder whose frame ``f`` depends only on samples [320 f, 320 f + 400), as
    the convolutional front end of wav2vec2 does: windows must reproduce it exactly."""
    frames = frames_for(audio.size)
    out = np.zeros((frames, CLASSES), np.float32)
    for f in range(frames):
        piece = audio[f * HOP_SAMPLES: f * HOP_SAMPLES + RECEPTIVE_SAMPLES]
        out[f, int(abs(piece.sum()) * 1000) % CLASSES] = 1.0
    return out


def stitch_all(audio: np.ndarray, stitcher: Stitcher, step: int) -> tuple[np.ndarray, list[int]]:
    """Feed ``audio`` as it would arrive, ``step`` samples at a time; returns the finished
    frames and the length of every window encoded."""
    lengths = []
    for available in range(step, audio.size + step, step):
        while (window := stitcher.next_window(min(available, audio.size))) is not None:
            piece = audio[window.start_sample:window.end_sample]
            lengths.append(piece.size)
            before = stitcher.stitched()
            stitcher.accept(window, frame_local_encoder(piece))
            if before.size:  # fixed frames never change
                assert np.array_equal(stitcher.stitched()[: before.shape[0]], before)
    tail = stitcher.tail_window(audio.size)
    piece = audio[tail.start_sample:tail.end_sample]
    lengths.append(piece.size)
    return stitcher.finish(tail, frame_local_encoder(piece)), lengths


@settings(max_examples=60, deadline=None)
@given(
    seconds=st.floats(0.03, 30.0),
    left_s=st.sampled_from([0.0, 1.0, 4.0]),
    chunk_s=st.sampled_from([0.5, 1.0, 2.0]),
    right_s=st.sampled_from([0.0, 0.5, 1.0]),
    step_ms=st.sampled_from([30, 250, 1000]),
    seed=st.integers(0, 2**16),
)
def test_stitched_frames_equal_the_whole_utterance_for_a_frame_local_encoder(
        seconds: float, left_s: float, chunk_s: float, right_s: float, step_ms: int, seed: int) -> None:
    audio = np.random.default_rng(seed).standard_normal(int(seconds * 16000)).astype(np.float32)
    stitched, lengths = stitch_all(audio, Stitcher(left_s, chunk_s, right_s), step_ms * 16)
    assert np.array_equal(stitched, frame_local_encoder(audio))
    window_limit = round((left_s + chunk_s + right_s) * 16000) + RECEPTIVE_SAMPLES + HOP_SAMPLES
    assert max(lengths[:-1], default=0) <= window_limit  # every window, however long the speech
    assert lengths[-1] <= window_limit + round(chunk_s * 16000)  # the tail: left + what is left


def test_a_final_shorter_than_one_chunk_is_one_whole_window() -> None:
    audio = np.random.default_rng(1).standard_normal(12_000).astype(np.float32)  # 0.75 s
    stitcher = Stitcher(4.0, 1.0, 1.0)
    assert stitcher.next_window(audio.size) is None
    tail = stitcher.tail_window(audio.size)
    assert (tail.start_sample, tail.end_sample, tail.keep_from) == (0, audio.size, 0)
    assert np.array_equal(stitcher.finish(tail, frame_local_encoder(audio)), frame_local_encoder(audio))


def test_a_stop_in_the_middle_of_a_window_keeps_every_frame() -> None:
    audio = np.random.default_rng(2).standard_normal(16000 * 5).astype(np.float32)
    stitcher = Stitcher(1.0, 1.0, 1.0)
    window = stitcher.next_window(audio.size)
    assert window is not None
    stitcher.accept(window, frame_local_encoder(audio[window.start_sample:window.end_sample]))
    cut = window.end_sample + 7_000  # speech ends 0.44 s into the next window
    assert stitcher.next_window(cut) is None
    tail = stitcher.tail_window(cut)
    assert tail.keep_from == stitcher.stitched_frames and tail.start_sample == 0
    done = stitcher.finish(tail, frame_local_encoder(audio[tail.start_sample:cut]))
    assert np.array_equal(done, frame_local_encoder(audio[:cut]))


def test_provisional_text_extends_the_fixed_frames() -> None:
    audio = np.random.default_rng(3).standard_normal(16000 * 4).astype(np.float32)
    stitcher = Stitcher(1.0, 1.0, 1.0)
    window = stitcher.next_window(audio.size)
    assert window is not None
    encoded = frame_local_encoder(audio[window.start_sample:window.end_sample])
    stitcher.accept(window, encoded)
    shown = stitcher.provisional(window, encoded)
    assert shown.shape[0] == frames_for(window.end_sample)  # the right context, provisionally
    assert np.array_equal(shown[: stitcher.stitched_frames], stitcher.stitched())


def test_windows_must_be_accepted_in_order() -> None:
    stitcher = Stitcher(1.0, 1.0, 1.0)
    first = stitcher.next_window(16000 * 10)
    assert first is not None
    stitcher.accept(first, np.zeros((frames_for(first.end_sample), CLASSES), np.float32))
    with pytest.raises(ValueError, match="next_window"):
        stitcher.accept(first, np.zeros((frames_for(first.end_sample), CLASSES), np.float32))
    with pytest.raises(ValueError, match="frames"):
        second = stitcher.next_window(16000 * 10)
        assert second is not None
        stitcher.accept(second, np.zeros((3, CLASSES), np.float32))
