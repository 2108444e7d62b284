"""Windowed encoding of one utterance: overlapping windows, stitched CTC log-posteriors.

While speech goes on, the encoder sees windows of left context | chunk | right context and
only the chunk's frames are kept, appended to the utterance's stitched log-posteriors; at the
end of speech it sees left context | the rest. Each forward pass then costs one window,
however long the utterance. Pure numpy: the model is called by the caller.

Frames: a CTC encoder of the wav2vec2 family emits frame ``f`` from samples
``[f * hop, f * hop + receptive)``; a window that starts on a multiple of ``hop`` therefore
emits the utterance's frames ``start // hop`` onwards, and frames of different windows line
up exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from livekr.config import SAMPLE_RATE

HOP_SAMPLES = 320
"""Samples between two frames of wav2vec2 / HuBERT (20 ms at 16 kHz)."""
RECEPTIVE_SAMPLES = 400
"""Samples that make one frame (the convolutional feature encoder's receptive field)."""


def frames_for(samples: int, hop: int = HOP_SAMPLES, receptive: int = RECEPTIVE_SAMPLES) -> int:
    """How many frames the encoder emits for ``samples`` of audio (0 below one frame)."""
    return 0 if samples < receptive else (samples - receptive) // hop + 1


@dataclass(frozen=True)
class Window:
    """A span of the utterance to encode, and which of its frames to keep."""

    start_sample: int
    end_sample: int
    first_frame: int
    """Utterance frame of the window's first frame (``start_sample // hop``)."""
    keep_from: int
    """First utterance frame to keep (the first not stitched yet)."""
    keep_to: int
    """Utterance frame after the last one to keep."""
    final: bool
    """The tail of a finished utterance: every frame from ``keep_from`` on is kept."""


class Stitcher:
    """Stitched log-posteriors of one utterance (used by one thread: the pipeline's worker).

    Ask ``next_window(available)`` while speech goes on, encode each window it gives, and
    ``accept`` the result; at the end of speech encode ``tail_window(total)`` and ``finish``.
    """

    def __init__(self, left_s: float, chunk_s: float, right_s: float,
                 hop: int = HOP_SAMPLES, receptive: int = RECEPTIVE_SAMPLES) -> None:
        self.hop = hop
        self.receptive = receptive
        self.left_frames = max(0, round(left_s * SAMPLE_RATE / hop))
        self.chunk_frames = max(1, round(chunk_s * SAMPLE_RATE / hop))
        self.right_frames = max(0, round(right_s * SAMPLE_RATE / hop))
        self._kept: list[np.ndarray] = []
        self.stitched_frames = 0
        """Frames of the utterance fixed so far; they never change afterwards."""
        self.windows = 0
        """Windows accepted so far."""

    def windows_complete(self, available_samples: int) -> int:
        """How many windows of an utterance are complete once ``available_samples`` exist."""
        usable = frames_for(available_samples, self.hop, self.receptive) - self.right_frames
        return max(0, usable // self.chunk_frames)

    def _frame_end_sample(self, frame: int) -> int:
        """Samples needed before frame ``frame`` (exclusive) is complete."""
        return frame * self.hop + self.receptive

    def next_window(self, available_samples: int) -> Window | None:
        """The next chunk to fix once ``available_samples`` of the utterance exist (its right
        context included), or None until there is enough audio."""
        keep_to = self.stitched_frames + self.chunk_frames
        end = self._frame_end_sample(keep_to - 1 + self.right_frames)
        if end > available_samples:
            return None
        first = max(0, self.stitched_frames - self.left_frames)
        return Window(first * self.hop, end, first, self.stitched_frames, keep_to, final=False)

    def tail_window(self, total_samples: int) -> Window:
        """Left context and everything not stitched yet, to end a finished utterance."""
        first = max(0, self.stitched_frames - self.left_frames)
        first = min(first, max(0, (total_samples - self.receptive) // self.hop))
        keep_to = max(self.stitched_frames, frames_for(total_samples, self.hop, self.receptive))
        return Window(first * self.hop, total_samples, first, self.stitched_frames, keep_to, final=True)

    def _slice(self, window: Window, log_probs: np.ndarray) -> np.ndarray:
        lo = window.keep_from - window.first_frame
        hi = window.keep_to - window.first_frame
        if log_probs.shape[0] < hi:
            raise ValueError(f"a window of {window.end_sample - window.start_sample} samples gave "
                             f"{log_probs.shape[0]} frames, {hi} were expected")
        return log_probs[lo:hi]

    def accept(self, window: Window, log_probs: np.ndarray) -> None:
        """Keep the chunk's frames of ``log_probs`` (frames × classes, the encoded ``window``)."""
        if window.keep_from != self.stitched_frames or window.final:
            raise ValueError("accept() takes the window that next_window() gave last")
        self._kept.append(np.array(self._slice(window, log_probs), dtype=np.float32))
        self.stitched_frames = window.keep_to
        self.windows += 1

    def stitched(self) -> np.ndarray:
        """The fixed frames so far (frames × classes; empty before the first window)."""
        return np.concatenate(self._kept) if self._kept else np.zeros((0, 0), np.float32)

    def provisional(self, window: Window, log_probs: np.ndarray) -> np.ndarray:
        """The fixed frames plus every later frame of ``log_probs`` (the encoded ``window``,
        accepted or not: its right context, or a tail): text for a partial that may still
        change at its end."""
        tail = log_probs[max(0, self.stitched_frames - window.first_frame):]
        return np.concatenate([*self._kept, tail]) if self._kept else np.asarray(tail, np.float32)

    def finish(self, window: Window, log_probs: np.ndarray) -> np.ndarray:
        """All frames of the finished utterance: the fixed ones and the tail's."""
        if not window.final or window.keep_from != self.stitched_frames:
            raise ValueError("finish() takes the window that tail_window() gave")
        tail = self._slice(window, log_probs)
        return np.concatenate([*self._kept, tail]) if self._kept else np.asarray(tail, np.float32)
