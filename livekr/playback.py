"""Playing back a stretch of the session's kept audio (click an utterance to hear it).

Qt-free; sounddevice (PortAudio) is imported only when something is played, and its absence
or a missing output device becomes an ``AudioError`` that says what to do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from livekr.audio import AudioError
from livekr.config import SAMPLE_RATE
from livekr.messages import os_error

PAD_S = 0.15
"""Played before and after the utterance, so its first and last sounds are whole."""
BYTES_PER_SAMPLE = 2


def read_span(spool: Path, start_s: float, end_s: float, pad_s: float = PAD_S) -> np.ndarray:
    """float32 samples of the raw 16 kHz mono PCM16 file ``spool`` from ``start_s - pad_s``
    to ``end_s + pad_s`` (clipped to the file); empty when the span lies beyond it. Raises
    ``AudioError`` when the file cannot be read."""
    try:
        return _read_span(spool, start_s, end_s, pad_s)
    except OSError as e:
        raise AudioError("playback.unreadable", error=os_error(e, str(e))) from e


def _read_span(spool: Path, start_s: float, end_s: float, pad_s: float) -> np.ndarray:
    first = max(0, round((start_s - pad_s) * SAMPLE_RATE))
    last = max(first, round((end_s + pad_s) * SAMPLE_RATE))
    with open(spool, "rb") as f:
        f.seek(first * BYTES_PER_SAMPLE)
        data = f.read((last - first) * BYTES_PER_SAMPLE)
    pcm = np.frombuffer(data[: len(data) // BYTES_PER_SAMPLE * BYTES_PER_SAMPLE], dtype="<i2")
    return pcm.astype(np.float32) / 32768.0


class Player:
    """Plays one stretch at a time on the default output device (a new one stops the last)."""

    def __init__(self, sounddevice: Any = None) -> None:
        self._sd = sounddevice

    def _module(self) -> Any:
        if self._sd is None:
            try:
                import sounddevice
            except (ImportError, OSError) as e:
                raise AudioError("playback.no_portaudio") from e
            self._sd = sounddevice
        return self._sd

    def play(self, audio: np.ndarray) -> None:
        """Start playing ``audio`` (float32, 16 kHz) and return at once."""
        sd = self._module()
        try:
            sd.stop()
            sd.play(audio, SAMPLE_RATE)
        except Exception as e:  # PortAudioError and friends: no output device, device busy
            raise AudioError("playback.failed", detail=str(e).strip() or type(e).__name__) from e

    def stop(self) -> None:
        if self._sd is not None:
            self._sd.stop()
