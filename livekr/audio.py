"""Audio sources: the ``AudioSource`` interface, files and arrays, all delivering mono
float32 at 16 kHz; the microphone source is in ``livekr.microphone``.

The pipeline reads blocks from a source on its own thread.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import numpy as np
import soundfile
import soxr

from livekr.config import SAMPLE_RATE, AudioOptions

log = logging.getLogger(__name__)

FILE_BLOCK_S = 0.5
"""How much of a file is read at once when transcribing as fast as possible."""


class AudioError(Exception):
    """A source cannot deliver audio; the message says why and what to do."""


class AudioSource(Protocol):
    """Where the pipeline's audio comes from.

    ``read`` is called from one thread (the pipeline's reader); ``stop`` may be called
    from any thread.
    """

    live: bool
    """True for sources that must never be paused (a microphone, real-time playback)."""
    description: str

    def start(self) -> None: ...

    def read(self, timeout_s: float) -> np.ndarray | None:
        """The next block (1-D float32, 16 kHz), an empty array if none came within
        ``timeout_s``, or None once the stream has ended (after ``stop`` or the file's end)."""
        ...

    def stop(self) -> None: ...

    @property
    def dropped_blocks(self) -> int: ...

    @property
    def status_errors(self) -> int: ...


class StreamResampler:
    """Streaming conversion of one channel to 16 kHz (soxr, high quality)."""

    def __init__(self, in_rate: float) -> None:
        self.in_rate = in_rate
        self._stream = (
            None
            if in_rate == SAMPLE_RATE
            else soxr.ResampleStream(in_rate, SAMPLE_RATE, 1, dtype="float32", quality="HQ")
        )

    def __call__(self, block: np.ndarray, last: bool = False) -> np.ndarray:
        block = np.ascontiguousarray(block, dtype=np.float32)
        if self._stream is None:
            return block
        return self._stream.resample_chunk(block, last=last)


class _Pacer:
    """Holds delivery back to real time: stream time never runs ahead of the wall clock."""

    def __init__(self, stopped: threading.Event) -> None:
        self._t0: float | None = None
        self._stopped = stopped

    def wait_for(self, stream_s: float) -> None:
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = now
        delay = self._t0 + stream_s - now
        if delay > 0:
            self._stopped.wait(delay)


class _BlockSource:
    """Shared reading logic for sources that produce blocks from a generator."""

    live = False
    description = ""

    def __init__(self, realtime: bool) -> None:
        self.realtime = realtime
        self.live = realtime
        self._stopped = threading.Event()
        self._pacer = _Pacer(self._stopped)
        self._blocks: Iterator[np.ndarray] | None = None
        self._delivered = 0

    def _generate(self) -> Iterator[np.ndarray]:
        raise NotImplementedError

    def start(self) -> None:
        self._blocks = self._generate()

    def read(self, timeout_s: float) -> np.ndarray | None:
        if self._blocks is None:
            raise RuntimeError("read() before start()")
        if self._stopped.is_set():
            return None
        block = next(self._blocks, None)
        if block is None:
            return None
        if self.realtime:
            self._pacer.wait_for((self._delivered + block.size) / SAMPLE_RATE)
        self._delivered += block.size
        return block

    def stop(self) -> None:
        self._stopped.set()

    @property
    def dropped_blocks(self) -> int:
        return 0

    @property
    def status_errors(self) -> int:
        return 0


class ArraySource(_BlockSource):
    """Plays samples held in memory, as fast as possible or at real-time pace."""

    def __init__(
        self,
        samples: np.ndarray,
        sample_rate: int = SAMPLE_RATE,
        block_ms: int = AudioOptions.block_ms,
        realtime: bool = False,
    ) -> None:
        super().__init__(realtime)
        mono = np.asarray(samples, dtype=np.float32)
        if mono.ndim == 2:
            mono = mono.mean(axis=1)
        self.samples = StreamResampler(sample_rate)(mono, last=True)
        self.block_samples = SAMPLE_RATE * block_ms // 1000
        self.description = f"{self.samples.size / SAMPLE_RATE:.1f} s of audio"

    def _generate(self) -> Iterator[np.ndarray]:
        for i in range(0, self.samples.size, self.block_samples):
            yield self.samples[i : i + self.block_samples].copy()


def open_sound_file(path: str | os.PathLike[str]) -> soundfile.SoundFile:
    """Open ``path`` for reading, or raise ``AudioError`` saying what is wrong with it."""
    p = Path(path)
    if not p.exists():
        raise AudioError(f"{p}: no such file")
    if p.is_dir():
        raise AudioError(f"{p} is a folder; give an audio file (WAV, FLAC, OGG or MP3)")
    if p.stat().st_size == 0:
        raise AudioError(f"{p} is empty (0 bytes); record or export the audio again")
    try:
        f = soundfile.SoundFile(str(p))
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as e:
        raise AudioError(
            f"{p} is not audio that livekr can read ({e}); "
            "convert it to WAV, FLAC, OGG or MP3, e.g. with: ffmpeg -i INPUT -ar 16000 OUT.wav"
        ) from e
    if f.frames == 0:
        f.close()
        raise AudioError(f"{p} contains no audio samples; record or export the audio again")
    return f


class FileSource(_BlockSource):
    """Streams any file libsndfile reads (WAV, FLAC, OGG, MP3), a block at a time.

    Channels are averaged to mono and any sample rate is resampled to 16 kHz; the file is
    never held in memory whole. Opening checks the file and raises ``AudioError``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        realtime: bool = False,
        block_ms: int = AudioOptions.block_ms,
    ) -> None:
        super().__init__(realtime)
        self.path = Path(path)
        self._file = open_sound_file(self.path)
        self.native_rate = self._file.samplerate
        self.channels = self._file.channels
        self.duration_s = self._file.frames / self._file.samplerate
        block_s = block_ms / 1000 if realtime else FILE_BLOCK_S
        self._native_block = max(1, int(block_s * self.native_rate))
        self.description = str(self.path)

    def _generate(self) -> Iterator[np.ndarray]:
        resample = StreamResampler(self.native_rate)
        read_frames = 0
        with self._file:
            while True:
                try:
                    data = self._file.read(self._native_block, dtype="float32", always_2d=True)
                except (soundfile.LibsndfileError, RuntimeError) as e:
                    raise AudioError(
                        f"{self.path}: reading stopped after {read_frames / self.native_rate:.1f} s "
                        f"({e}); the file may be truncated or damaged"
                    ) from e
                last = data.shape[0] < self._native_block
                read_frames += data.shape[0]
                out = resample(data.mean(axis=1), last=last)
                if out.size:
                    yield out
                if last:
                    return
