"""Audio sources: the ``AudioSource`` interface, files and arrays, all delivering mono
float32 at 16 kHz; the microphone source is in ``livekr.microphone``.

The pipeline reads blocks from a source on its own thread.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
import threading
import time
from collections.abc import Generator
from pathlib import Path
from typing import Protocol

import numpy as np
import soundfile
import soxr

from livekr.audioheader import declared_frames
from livekr.config import SAMPLE_RATE, AudioOptions
from livekr.fileio import file_kind
from livekr.messages import LocalizedError, Message, os_error

log = logging.getLogger(__name__)

FILE_BLOCK_S = 0.5
"""How much of a file is read at once when transcribing as fast as possible."""
TRUNCATION_TOLERANCE_S = 0.25
"""A file that ends this much earlier than its header says is reported as truncated
(encoder padding, a few MP3 frames at most, stays well under it)."""


AUDIO_EXTENSIONS = (".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".aif", ".aiff", ".aifc",
                    ".au", ".caf", ".w64", ".rf64")
"""Extensions of the files ``FileSource`` reads (libsndfile: WAV, FLAC, MP3, Ogg Vorbis and
Opus, AIFF, AU, CAF, Wave64, RF64). Not M4A/AAC: libsndfile does not decode them."""


def has_audio_extension(path: str | os.PathLike[str]) -> bool:
    """Whether ``path``'s name ends in one of ``AUDIO_EXTENSIONS`` (any case)."""
    return Path(path).suffix.lower() in AUDIO_EXTENSIONS


class AudioError(LocalizedError):
    """A source cannot deliver audio; the message (from ``livekr.catalogue``) says why and what
    to do."""


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
    """Shared reading logic for sources that produce blocks from a generator.

    ``read`` runs on the pipeline's reader thread; ``stop`` may come from any thread and
    waits for a read in progress (one block) before releasing what the source holds.
    """

    live = False
    description = ""

    def __init__(self, realtime: bool) -> None:
        self.realtime = realtime
        self.live = realtime
        self._stopped = threading.Event()
        self._pacer = _Pacer(self._stopped)
        self._lock = threading.RLock()
        self._blocks: Generator[np.ndarray, None, None] | None = None
        self._delivered = 0
        self._non_finite = 0

    def _generate(self) -> Generator[np.ndarray, None, None]:
        raise NotImplementedError

    def _release(self) -> None:
        """Give back what reading holds (an open file); called once reading has ended."""

    def start(self) -> None:
        self._blocks = self._generate()

    def read(self, timeout_s: float) -> np.ndarray | None:
        with self._lock:
            if self._blocks is None:
                raise RuntimeError("read() before start()")
            try:
                block = None if self._stopped.is_set() else next(self._blocks, None)
            except BaseException:
                self._end()
                raise
            if block is None:
                self._end()
                return None
        if self.realtime:
            self._pacer.wait_for((self._delivered + block.size) / SAMPLE_RATE)
        self._delivered += block.size
        return block

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            self._end()

    def _end(self) -> None:
        if self._blocks is not None:
            self._blocks.close()  # a generator's close: its cleanup runs, then it is exhausted
        self._release()

    @property
    def warnings(self) -> list[str]:
        """What was wrong with the audio but did not stop it, one line each, [] if nothing.

        Complete once the source has ended: read it after the session (or on the reader
        thread). The command line prints each line; the window shows them.
        """
        if not self._non_finite:
            return []
        return [Message("audio.non_finite", count=self._non_finite)]

    @property
    def dropped_blocks(self) -> int:
        return 0

    @property
    def status_errors(self) -> int:
        return 0


def silence_non_finite(samples: np.ndarray) -> int:
    """Replace NaN and infinite values in ``samples`` (in place) by 0; return how many."""
    bad = ~np.isfinite(samples)
    count = int(np.count_nonzero(bad))
    if count:
        samples[bad] = 0.0
    return count


def source_warnings(source: AudioSource) -> list[str]:
    """The warnings of any source (see ``FileSource.warnings``); sources without any give []."""
    return list(getattr(source, "warnings", []))


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
        mono = np.array(samples, dtype=np.float32)  # a copy: the caller's array is not changed
        self._non_finite = silence_non_finite(mono)
        if mono.ndim == 2:
            mono = mono.mean(axis=1)
        self.samples = StreamResampler(sample_rate)(mono, last=True)
        self.block_samples = SAMPLE_RATE * block_ms // 1000
        self.description = f"{self.samples.size / SAMPLE_RATE:.1f} s of audio"

    def _generate(self) -> Generator[np.ndarray, None, None]:
        for i in range(0, self.samples.size, self.block_samples):
            yield self.samples[i : i + self.block_samples].copy()


def _unreadable(path: Path, e: OSError) -> AudioError:
    """The one-line error for a file that cannot be opened or examined."""
    if e.errno in (errno.EACCES, errno.EPERM):
        return AudioError("audio.permission", path=path)
    if e.errno in (errno.EMFILE, errno.ENFILE):
        return AudioError("audio.too_many_files", path=path)
    if e.errno == errno.ENOTDIR:
        return AudioError("audio.not_a_folder", path=path)
    return AudioError("audio.cannot_open", path=path, reason=os_error(e))


def check_audio_path(path: str | os.PathLike[str]) -> os.stat_result:
    """Check that ``path`` is a non-empty regular file without opening it; raise
    ``AudioError`` saying what it is otherwise (missing, a dangling link, a folder, a FIFO
    or device, empty, not allowed)."""
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError as e:
        if os.path.islink(p):
            raise AudioError("audio.dangling_link", path=p, target=os.readlink(p)) from e
        raise AudioError("audio.no_file", path=p) from e
    except OSError as e:
        raise _unreadable(p, e) from e
    if stat.S_ISDIR(st.st_mode):
        raise AudioError("audio.is_folder", path=p)
    if not stat.S_ISREG(st.st_mode):
        raise AudioError("audio.not_regular", path=p, kind=file_kind(st.st_mode))
    if st.st_size == 0:
        raise AudioError("audio.empty", path=p)
    return st


def open_sound_file(path: str | os.PathLike[str]) -> soundfile.SoundFile:
    """Open ``path`` for reading, or raise ``AudioError`` saying what is wrong with it.

    The caller owns the returned file and must close it.
    """
    p = Path(path)
    check_audio_path(p)
    try:
        # Python says why a file cannot be opened (errno); libsndfile only says "System error".
        with open(p, "rb"):
            pass
        f = soundfile.SoundFile(str(p))
    except OSError as e:
        raise _unreadable(p, e) from e
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as e:
        raise AudioError("audio.unreadable", path=p, detail=str(e)) from e
    if f.frames == 0:
        f.close()
        raise AudioError("audio.no_samples", path=p)
    return f


def _libsndfile_reason(e: Exception) -> str:
    """libsndfile's own words for an error, without its "Error :" prefix and final stop."""
    text = str(getattr(e, "error_string", "") or e).strip()
    return text.removeprefix("Error :").strip().rstrip(".")


class FileSource(_BlockSource):
    """Streams any file libsndfile reads (WAV, FLAC, OGG, MP3), a block at a time.

    Channels are averaged to mono and any sample rate is resampled to 16 kHz; the file is
    never held in memory whole. Construction checks the file (kind, permission, header,
    length) and raises ``AudioError``, but keeps nothing open: ``start`` opens the file and
    it is closed when reading ends or on ``stop``, so any number of sources can wait their
    turn. NaN or infinite samples become silence; a file shorter than its header says, or
    whose decoder fails part way, ends there. Both are reported in ``warnings``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        realtime: bool = False,
        block_ms: int = AudioOptions.block_ms,
    ) -> None:
        super().__init__(realtime)
        self.path = Path(path)
        with open_sound_file(self.path) as f:
            self.native_rate: int = f.samplerate
            self.channels: int = f.channels
            self.duration_s = f.frames / f.samplerate
            """Length as libsndfile reports it: what a truncated WAV holds, the header's for FLAC/MP3."""
            self._declared = declared_frames(self.path, f)
        block_s = block_ms / 1000 if realtime else FILE_BLOCK_S
        self._native_block = max(1, int(block_s * self.native_rate))
        self.description = str(self.path)
        self._file: soundfile.SoundFile | None = None
        self._frames_read = 0
        self._reached_end = False
        self._decode_error: str | None = None

    def start(self) -> None:
        """Open the file (``AudioError`` if it went away or changed since it was checked)."""
        f = open_sound_file(self.path)
        if (f.samplerate, f.channels) != (self.native_rate, self.channels):
            f.close()
            raise AudioError("audio.changed", path=self.path)
        self._file = f
        super().start()

    def _release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _read_native(self, f: soundfile.SoundFile) -> np.ndarray:
        """The next block at the file's rate, (frames, channels); a decoder error after some
        audio ends the file there (a warning), before any audio it is an ``AudioError``."""
        try:
            return f.read(self._native_block, dtype="float32", always_2d=True)
        except (soundfile.LibsndfileError, RuntimeError) as e:
            reason = _libsndfile_reason(e)
            if self._frames_read == 0:
                raise AudioError("audio.damaged", path=self.path, reason=reason) from e
            self._decode_error = reason
            return np.zeros((0, self.channels), dtype=np.float32)

    def _generate(self) -> Generator[np.ndarray, None, None]:
        f = self._file
        if f is None:
            raise RuntimeError("read() before start()")
        resample = StreamResampler(self.native_rate)
        while True:
            data = self._read_native(f)
            last = data.shape[0] < self._native_block
            self._frames_read += data.shape[0]
            self._non_finite += silence_non_finite(data)  # before NaN can spread through the filter
            out = resample(data.mean(axis=1), last=last)
            if out.size:
                yield out
            if last:
                self._reached_end = True
                return

    @property
    def warnings(self) -> list[str]:
        lines: list[str] = [Message("audio.damaged_warning", path=self.path, warning=line)
                            for line in super().warnings]
        truncation = self._truncation_warning()
        return [*lines, truncation] if truncation else lines

    def _truncation_warning(self) -> str | None:
        """One line when reading ended early: short of the header's length, or on a decoder error."""
        if not self._reached_end:
            return None  # stopped early, or still reading: nothing to say yet
        read = f"{self._frames_read / self.native_rate:.1f} s"
        declared = self._declared or 0
        if declared - self._frames_read > TRUNCATION_TOLERANCE_S * self.native_rate:
            said = {"path": self.path, "declared": f"{declared / self.native_rate:.1f} s", "read": read}
            if self._decode_error is None:
                return Message("audio.truncated", **said)
            return Message("audio.truncated_damaged", **said, reason=self._decode_error)
        if self._decode_error is not None:
            return Message("audio.stopped_early", path=self.path, read=read, reason=self._decode_error)
        return None
