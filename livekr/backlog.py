"""The utterances waiting for their final decode: a FIFO bounded in memory.

When the recognizer is slower than real time, finished utterances pile up. None is ever
dropped; once their audio passes a memory budget, the audio of further utterances is
spilled to an anonymous temporary file (deleted by the system when it is closed, or when
the process dies) and read back when its turn comes, so the order never changes.
"""

from __future__ import annotations

import logging
import tempfile
from collections import deque
from dataclasses import dataclass, replace
from typing import IO

import numpy as np

from livekr.config import SAMPLE_RATE

log = logging.getLogger(__name__)

BACKLOG_MEMORY_BYTES = 32 * 1024 * 1024
"""Default budget for queued utterance audio held in memory: about 8.7 min at 16 kHz."""
_SAMPLE_DTYPE = np.dtype("<f4")
_NO_AUDIO = np.zeros(0, dtype=np.float32)


@dataclass(frozen=True)
class Job:
    """Audio for the recognizer: a whole utterance (final) or the utterance so far (partial)."""

    utterance: int
    start_sample: int
    end_sample: int
    audio: np.ndarray
    """1-D float32 at 16 kHz."""
    detected_at: float
    """time.monotonic() when the reader produced the job."""


@dataclass(frozen=True)
class _Entry:
    job: Job
    """The job; its audio is empty while it is spilled."""
    samples: int
    offset: int | None
    """Byte offset of the spilled audio in the spill file; None when the audio is in memory."""


class FinalsBacklog:
    """Finals waiting to be decoded, in order; audio beyond ``memory_budget_bytes`` on disk.

    Not thread-safe: the pipeline calls it under its own lock. Spilling and reading back
    are plain file writes and reads of one utterance (at most a few MB). If the temporary
    file cannot be written (disk full), the audio stays in memory: a final is never lost.
    """

    def __init__(self, memory_budget_bytes: int = BACKLOG_MEMORY_BYTES) -> None:
        self.memory_budget_bytes = memory_budget_bytes
        self._entries: deque[_Entry] = deque()
        self._memory_bytes = 0
        self._samples = 0
        self._spilled = 0
        self._spilled_total = 0
        self._file: IO[bytes] | None = None
        self._write_offset = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def samples(self) -> int:
        """Audio samples queued, in memory and on disk."""
        return self._samples

    @property
    def memory_bytes(self) -> int:
        """Bytes of queued audio held in memory."""
        return self._memory_bytes

    @property
    def spilled(self) -> int:
        """Queued utterances whose audio is on disk now."""
        return self._spilled

    @property
    def spilled_total(self) -> int:
        """Utterances spilled to disk since this backlog was made."""
        return self._spilled_total

    def append(self, job: Job) -> None:
        """Queue ``job`` last; its audio goes to disk if memory would pass the budget."""
        size = job.audio.size
        nbytes = size * _SAMPLE_DTYPE.itemsize
        offset = None
        if self._memory_bytes + nbytes > self.memory_budget_bytes:
            offset = self._spill(job.audio)
        if offset is None:
            self._entries.append(_Entry(job, size, None))
            self._memory_bytes += nbytes
        else:
            self._entries.append(_Entry(replace(job, audio=_NO_AUDIO), size, offset))
            self._spilled += 1
            self._spilled_total += 1
        self._samples += size
        if offset is not None and self._spilled_total == 1:
            log.warning(
                "the recognizer is slower than real time: %.0f s of speech wait to be decoded; "
                "beyond %d MiB in memory they wait in a temporary file",
                self._samples / SAMPLE_RATE,
                self.memory_budget_bytes // (1024 * 1024),
            )

    def popleft(self) -> Job:
        """The oldest job, with its audio (read back from disk if it was spilled).

        Raises ``IndexError`` when empty, and ``OSError`` if spilled audio cannot be read
        back (the job is then gone from the queue; the caller reports it).
        """
        entry = self._entries.popleft()
        self._samples -= entry.samples
        if entry.offset is None:
            self._memory_bytes -= entry.samples * _SAMPLE_DTYPE.itemsize
            return entry.job
        self._spilled -= 1
        try:
            audio = self._read(entry.offset, entry.samples)
        finally:
            if self._spilled == 0:
                self._rewind()
        return replace(entry.job, audio=audio)

    def clear(self) -> tuple[int, int]:
        """Drop every queued job; returns how many and their samples."""
        dropped = (len(self._entries), self._samples)
        self._entries.clear()
        self._memory_bytes = self._samples = self._spilled = 0
        self._rewind()
        return dropped

    def close(self) -> None:
        """Drop the queue and delete the spill file."""
        self.clear()
        if self._file is not None:
            self._file.close()
            self._file = None

    def _spill(self, audio: np.ndarray) -> int | None:
        try:
            if self._file is None:
                # lives as long as the backlog; close() closes it
                self._file = tempfile.TemporaryFile(prefix="livekr-backlog-")  # noqa: SIM115
            self._file.seek(self._write_offset)
            self._file.write(np.ascontiguousarray(audio, dtype=_SAMPLE_DTYPE).tobytes())
        except OSError as e:
            log.warning("cannot spill queued audio to a temporary file (%s); keeping it in memory", e)
            return None
        offset = self._write_offset
        self._write_offset += audio.size * _SAMPLE_DTYPE.itemsize
        return offset

    def _read(self, offset: int, samples: int) -> np.ndarray:
        assert self._file is not None
        self._file.seek(offset)
        data = self._file.read(samples * _SAMPLE_DTYPE.itemsize)
        if len(data) != samples * _SAMPLE_DTYPE.itemsize:
            raise OSError(f"the backlog file holds {len(data)} bytes at {offset}, not {samples * 4}")
        return np.frombuffer(data, dtype=_SAMPLE_DTYPE).astype(np.float32)

    def _rewind(self) -> None:
        """Nothing on disk is queued any more: start the file over."""
        self._write_offset = 0
        if self._file is not None:
            try:
                self._file.truncate(0)
            except OSError:
                log.debug("truncating the backlog file failed", exc_info=True)
