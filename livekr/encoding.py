"""How an utterance becomes text: whole, or window by window with stitched posteriors.

``UtteranceEncoder`` is used by the pipeline's worker thread only. In windowed mode it keeps a
``Stitcher`` for the utterance in progress: every call encodes the windows that have become
complete since the last one (each costs one window, however long the utterance) and decodes
the stitched frames plus a provisional tail; the final adds only the tail. Recognizers that
cannot encode a span of audio on its own (no ``log_posteriors``) are decoded whole.
"""

from __future__ import annotations

import time
from typing import Any, Protocol, runtime_checkable

import numpy as np

from livekr.config import SAMPLE_RATE, EncodingOptions
from livekr.ctc import Decoded, TokenTable, mean_confidence
from livekr.decoder import Decoder, DecodeStream
from livekr.recognizer import Recognition, Recognizer
from livekr.windowing import Stitcher


@runtime_checkable
class FrameEncoder(Protocol):
    """A recognizer whose model can be run on any span of audio (what windowing needs)."""

    frame_s: float
    tokens: TokenTable

    def log_posteriors(self, audio: np.ndarray) -> np.ndarray:
        """(frames, classes) float32 log-posteriors of 1-D float32 16 kHz audio."""
        ...


def windowed(options: EncodingOptions, recognizer: Any, live: bool = True) -> bool:
    """Whether utterances are encoded window by window: asked for ("auto" asks for it with
    live audio; a file read as fast as possible costs least whole), and the recognizer can."""
    wanted = options.mode == "windowed" or (options.mode == "auto" and live)
    return wanted and isinstance(recognizer, FrameEncoder)


class UtteranceEncoder:
    """Text of the utterance in progress (``partial``) and of a finished one (``final``)."""

    def __init__(self, recognizer: Recognizer, options: EncodingOptions | None = None,
                 live: bool = True, decoder: Decoder | None = None) -> None:
        self.recognizer = recognizer
        self.options = options or EncodingOptions()
        self.windowed = windowed(self.options, recognizer, live)
        self.decoder = decoder if isinstance(recognizer, FrameEncoder) else None
        """Decodes finals (beam search with an LM and custom words, or greedy); partials stay
        greedy. None: the recognizer's own greedy decoding."""
        self._stream: DecodeStream | None = None
        self._fed = 0
        """Stitched frames of the utterance already given to ``_stream``."""
        o = self.options
        self.clock = Stitcher(o.left_s, o.chunk_s, o.right_s)
        """Window arithmetic only (never fed): ``clock.windows_complete(samples)``."""
        self.last_encoded_samples = 0
        """Audio the last call encoded (all its windows): its forward time is for this much."""
        self._utterance = -1
        self._stitcher: Stitcher | None = None
        self.windows_encoded = 0
        """Windows encoded so far (all utterances): each is one forward pass."""

    @property
    def window_samples(self) -> int | None:
        """The longest span one forward pass covers while speech goes on (None: whole)."""
        if not self.windowed:
            return None
        o = self.options
        return round((o.left_s + o.chunk_s + o.right_s) * SAMPLE_RATE)

    def _stitcher_for(self, utterance: int) -> Stitcher:
        if self._stitcher is None or utterance != self._utterance:
            o = self.options
            self._stitcher = Stitcher(o.left_s, o.chunk_s, o.right_s)
            self._utterance = utterance
            self._stream = self.decoder.begin() if self.decoder is not None else None
            self._fed = 0
        return self._stitcher

    def advance(self, utterance: int, audio: np.ndarray) -> float:
        """Encode the windows of ``utterance`` complete in its ``audio`` so far, without text
        (so the final finds them done); returns the seconds it took."""
        t0 = time.perf_counter()
        self.last_encoded_samples = 0
        if self.windowed:
            self._encode_complete_windows(self._stitcher_for(utterance), audio)
        return time.perf_counter() - t0

    def partial(self, utterance: int, audio: np.ndarray) -> Recognition:
        """Provisional text of ``utterance`` from its ``audio`` so far: the stitched text,
        which never changes afterwards, and the newest window's tail."""
        self.last_encoded_samples = audio.size
        if not self.windowed:
            return self.recognizer.recognize(audio)
        self.last_encoded_samples = 0
        t0 = time.perf_counter()
        stitcher = self._stitcher_for(utterance)
        newest = self._encode_complete_windows(stitcher, audio)
        if newest is None:  # shorter than one window so far: encode what there is
            tail = stitcher.tail_window(audio.size)
            log_probs = stitcher.provisional(tail, self._encode(audio, tail.start_sample, tail.end_sample))
        else:
            log_probs = stitcher.provisional(*newest)
        return self._recognition(log_probs, audio.size, t0)

    def final(self, utterance: int, audio: np.ndarray) -> Recognition:
        """The finished text of ``utterance`` (all of its ``audio``); forgets its windows."""
        self.last_encoded_samples = audio.size
        if not self.windowed:
            return self.whole(audio)
        self.last_encoded_samples = 0
        t0 = time.perf_counter()
        stitcher = self._stitcher_for(utterance)
        self._encode_complete_windows(stitcher, audio)
        tail = stitcher.tail_window(audio.size)
        log_probs = stitcher.finish(tail, self._encode(audio, tail.start_sample, tail.end_sample))
        self._stitcher = None
        if self._stream is None:
            return self._recognition(log_probs, audio.size, t0)
        decoded = self._stream.end(log_probs[self._fed:])
        self._stream = None
        return self._from_decoded(decoded, audio.size, t0)

    def whole(self, audio: np.ndarray) -> Recognition:
        """The text of a finished utterance encoded in one pass. Keeps no state, so finals of
        a file may be decoded this way from several threads at once."""
        if self.decoder is None:
            return self.recognizer.recognize(audio)
        t0 = time.perf_counter()
        decoded = self.decoder.decode(self.recognizer.log_posteriors(audio))  # type: ignore[attr-defined]
        return self._from_decoded(decoded, audio.size, t0)

    def _encode(self, audio: np.ndarray, start: int, end: int) -> np.ndarray:
        self.windows_encoded += 1
        self.last_encoded_samples += end - start
        return self.recognizer.log_posteriors(audio[start:end])  # type: ignore[attr-defined]

    def _encode_complete_windows(self, stitcher: Stitcher, audio: np.ndarray) -> Any:
        """Encode and stitch every window complete in ``audio``; the last (window, frames)."""
        newest = None
        while (window := stitcher.next_window(audio.size)) is not None:
            log_probs = self._encode(audio, window.start_sample, window.end_sample)
            stitcher.accept(window, log_probs)
            newest = (window, log_probs)
            if self._stream is not None:  # the decoder follows the fixed frames as they come
                fixed = log_probs[window.keep_from - window.first_frame:window.keep_to - window.first_frame]
                self._stream.step(fixed)
                self._fed += fixed.shape[0]
        return newest

    @staticmethod
    def _from_decoded(decoded: Decoded, samples: int, t0: float) -> Recognition:
        return Recognition(text=decoded.text, chars=decoded.chars, confidence=decoded.confidence,
                           audio_s=samples / SAMPLE_RATE, forward_s=time.perf_counter() - t0)

    def _recognition(self, log_probs: np.ndarray, samples: int, t0: float) -> Recognition:
        encoder: Any = self.recognizer
        text, chars = encoder.tokens.decode(log_probs, encoder.frame_s)
        return Recognition(text=text, chars=chars, confidence=mean_confidence(chars),
                           audio_s=samples / SAMPLE_RATE, forward_s=time.perf_counter() - t0)
