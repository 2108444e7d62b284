"""Keep the session's audio: a source wrapper that spools what it reads, and FLAC export.

Qt-free. The spool is raw 16-bit PCM appended block by block on the pipeline's reader
thread, so several Record/Stop sessions of one transcript form one continuous recording
whose sample positions match the transcript's times. ``export_flac`` writes it beside the
saved transcript.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np
import soundfile

from livekr.audio import AudioSource, source_warnings
from livekr.config import SAMPLE_RATE

log = logging.getLogger(__name__)

EXPORT_BLOCK_SAMPLES = SAMPLE_RATE * 10
"""How much of the spool is converted at a time when exporting."""


class AudioSpool:
    """Append-only 16 kHz mono PCM16 file; written by one thread, exported when idle."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file = open(path, "ab")  # noqa: SIM115 (kept open for the session)
        self.samples = self._file.tell() // 2

    def write(self, block: np.ndarray) -> None:
        """Append float32 samples in [-1, 1] (reader thread)."""
        pcm = (np.clip(block, -1.0, 1.0) * 32767.0).astype("<i2")
        with self._lock:
            if self._file.closed:
                return
            self._file.write(pcm.tobytes())
            self.samples += pcm.size

    def pad_to(self, samples: int) -> None:
        """Append silence until the spool holds ``samples`` (keeps it aligned with the text)."""
        missing = samples - self.samples
        if missing > 0:
            self.write(np.zeros(missing, dtype=np.float32))

    def restart(self, path: Path | None = None, remove: bool = True) -> int:
        """Go on from an empty spool (any thread): ``path``, or this file emptied. The old file
        is removed when ``remove``, else left closed for its owner. Returns how many samples
        the old spool held."""
        with self._lock:
            dropped = self.samples
            if path is None or path == self.path:
                if not self._file.closed:
                    self._file.flush()
                    self._file.truncate(0)
            else:
                self._file.close()
                if remove:
                    self.path.unlink(missing_ok=True)
                self.path = path
                self._file = open(path, "ab")  # noqa: SIM115 (kept open for the session)
                self._file.truncate(0)
            self.samples = 0
        return dropped

    def flush(self) -> None:
        """Put what was written so far into the file, for readers of ``path`` (any thread)."""
        with self._lock:
            if not self._file.closed:
                self._file.flush()

    def export_flac(self, target: Path) -> Path:
        """Write everything spooled so far to ``target`` as FLAC (atomically); returns it."""
        self.flush()
        tmp = target.with_name(f".{target.name}.tmp")
        raw = np.memmap(self.path, dtype="<i2", mode="r") if self.samples else np.zeros(0, "<i2")
        try:
            with soundfile.SoundFile(tmp, "w", SAMPLE_RATE, 1, "PCM_16", format="FLAC") as out:
                for i in range(0, raw.size, EXPORT_BLOCK_SAMPLES):
                    out.write(np.asarray(raw[i : i + EXPORT_BLOCK_SAMPLES]))
            tmp.replace(target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        finally:
            del raw
        return target

    def close(self, remove: bool = True) -> None:
        with self._lock:
            self._file.close()
        if remove:
            self.path.unlink(missing_ok=True)


class RecordingSource:
    """An ``AudioSource`` that passes blocks through and appends each to a spool."""

    def __init__(self, inner: AudioSource, spool: AudioSpool) -> None:
        self.inner = inner
        self.spool = spool
        self.live = inner.live
        self.description = inner.description

    def start(self) -> None:
        self.inner.start()
        self.description = self.inner.description

    def read(self, timeout_s: float) -> np.ndarray | None:
        block = self.inner.read(timeout_s)
        if block is not None and block.size:
            self.spool.write(block)
        return block

    def stop(self) -> None:
        self.inner.stop()

    @property
    def warnings(self) -> list[str]:
        return source_warnings(self.inner)

    @property
    def dropped_blocks(self) -> int:
        return self.inner.dropped_blocks

    @property
    def status_errors(self) -> int:
        return self.inner.status_errors
