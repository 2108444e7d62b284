"""Autosave journal: every final utterance is on disk the moment it is shown.

A journal is an append-only JSON-lines file: a header line, then one ``Utterance.to_dict()``
or one edit of an utterance's text per line, each written whole and fsynced before
``append`` (``append_edit``) returns; reading applies edits in order. Rules that keep committed
text from being lost:

- A failed write (disk full part-way) is cut back to the last whole record and the records
  not yet on disk are kept and written first at the next append; if the cut fails, the next
  record starts on a fresh line. Reading skips a torn line and keeps every whole record.
- A journal is in use exactly while a process holds its OS lock (``journal_lock``); one
  whose lock is free is abandoned, whatever process ids say.
- Recovery adopts the abandoned file itself (``Journal.adopt``) and goes on appending to it:
  nothing is copied, so there is no moment when recovered text exists only in memory.
- Nothing the user has not seen is deleted: "No" to a recovery offer moves the journal into
  ``discarded/`` (``discard``), kept for ``DISCARDED_KEEP_DAYS``; a journal this version
  cannot read (newer version, bad header) is skipped with a warning and kept.
- The session's kept audio (raw 16 kHz mono PCM16) lives beside its journal
  (``spool_path``); it is recovered, discarded and removed together with it.

This module is the one callers import: it re-exports the folder functions
(``livekr.journal_folder``); the file format is in ``livekr.journal_format``, the OS lock in
``livekr.journal_lock``.
Qt-free; stdlib and platformdirs only.
"""

from __future__ import annotations

import errno
import logging
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from livekr.journal_folder import (
    DISCARDED_KEEP_DAYS,
    Abandoned,
    discard,
    find_abandoned,
    journal_dir,
    list_discarded,
    move_with_spool,
    prune,
    restore,
)
from livekr.journal_format import (
    DISCARDED_DIR,
    JOURNAL_VERSION,
    PREFIX,
    SUFFIX,
    JournalError,
    edit_record,
    encode_record,
    parse_journal,
    spool_path,
)
from livekr.journal_lock import O_BINARY, JournalInUse, claim, fsync_dir, read_all, retire, try_lock
from livekr.transcript import Transcript, Utterance

__all__ = [
    "DISCARDED_KEEP_DAYS", "JOURNAL_VERSION", "Abandoned", "Journal", "JournalError",
    "JournalInUse", "discard", "find_abandoned",
    "journal_dir", "list_discarded", "prune", "read_journal", "restore", "spool_path",
]

log = logging.getLogger(__name__)

Writer = Callable[[int, bytes], int]
"""``os.write``'s shape: write some of the bytes to the fd, return how many."""
Truncator = Callable[[int, int], None]
"""``os.ftruncate``'s shape."""


def _write_all(write: Writer, fd: int, data: bytes) -> None:
    written = 0
    while written < len(data):
        n = write(fd, data[written:])
        if n <= 0:
            raise OSError(errno.EIO, "a write to the journal made no progress")
        written += n


def read_journal(path: Path) -> Transcript:
    """The utterances in a journal file, edits applied (any lock is ignored; for reading only).

    Raises ``JournalError`` (see ``parse_journal``) and ``OSError``."""
    return parse_journal(path.read_bytes(), path.name).transcript


class Journal:
    """One session's open journal; holds its lock until closed.

    Used from one thread: the one that owns the session's transcript (the GUI thread in the
    window). ``write`` and ``truncate`` default to ``os.write`` and ``os.ftruncate``; tests
    pass failing ones.
    """

    def __init__(self, path: Path, fd: int, end: int, *, write: Writer = os.write,
                 truncate: Truncator = os.ftruncate,
                 recovered: Transcript | None = None) -> None:
        self.path = path
        """The journal file (it moves on ``discard``)."""
        self.recovered = recovered if recovered is not None else Transcript()
        """What the file held when it was adopted; empty for a new journal."""
        self._fd: int | None = fd
        self._end = end
        self._write = write
        self._truncate = truncate
        self._pending: list[bytes] = []
        self._newline_due = False
        self._garbage = False

    @classmethod
    def open_new(cls, directory: Path | None = None, model: str = "", *,
                 write: Writer = os.write, truncate: Truncator = os.ftruncate) -> Journal:
        """Create and lock a fresh journal in ``directory`` (default ``journal_dir()``).

        Raises ``OSError`` (nothing is left behind then)."""
        folder = directory or journal_dir()
        folder.mkdir(parents=True, exist_ok=True)
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_EXCL | O_BINARY
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = folder / f"{PREFIX}{stamp}-{os.getpid()}-{secrets.token_hex(4)}{SUFFIX}"
        fd = os.open(path, flags, 0o600)
        try:
            if not try_lock(fd, wait=True):
                raise OSError(errno.EAGAIN, f"cannot lock the new journal {path}")
            journal = cls(path, fd, 0, write=write, truncate=truncate)
            journal._pending.append(encode_record({
                "journal": JOURNAL_VERSION, "pid": os.getpid(), "model": model,
                "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}))
            journal._commit()
        except BaseException:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        fsync_dir(folder)
        return journal

    @classmethod
    def adopt(cls, path: Path, *, write: Writer = os.write,
              truncate: Truncator = os.ftruncate) -> Journal:
        """Take over an abandoned journal: lock it, read it, and go on appending to it.

        ``recovered`` holds its utterances. A torn tail is cut off (or, failing that, fenced
        off by a newline at the next append); a kept audio spool with a torn last sample is
        cut to whole samples. Raises ``JournalInUse``, ``JournalError``, ``OSError``, and
        ``ValueError`` for a journal in ``discarded/`` (``restore`` it first).
        """
        if path.parent.name == DISCARDED_DIR:
            raise ValueError(f"{path} is a discarded journal: restore it before adopting it")
        fd = claim(path)
        try:
            data = read_all(fd)
            content = parse_journal(data, path.name)
            journal = cls(path, fd, content.good_end, write=write, truncate=truncate,
                          recovered=content.transcript)
            journal._newline_due = content.newline_due
            if content.good_end < len(data):
                journal._garbage = True
                journal._roll_back(fd)
            _trim_spool(spool_path(path))
        except BaseException:
            os.close(fd)
            raise
        return journal

    @property
    def closed(self) -> bool:
        return self._fd is None

    @property
    def spool_path(self) -> Path:
        """Where this session's kept audio belongs (create it only while the journal is open)."""
        return spool_path(self.path)

    @property
    def pending(self) -> int:
        """Records (utterances, edits) given to ``append`` or ``append_edit`` that are not on
        disk yet (a write failed)."""
        return len(self._pending)

    def append(self, utterance: Utterance) -> None:
        """Write one final utterance (after any still pending) and fsync before returning.

        On ``OSError`` (disk full, I/O error) the file is cut back to its last whole record
        and the utterance stays pending: the next ``append`` or ``flush`` writes it first.
        Raises ``ValueError`` once closed.
        """
        if self._fd is None:
            raise ValueError(f"journal {self.path} is closed")
        self._pending.append(encode_record(utterance.to_dict()))
        self._commit()

    def append_edit(self, index: int, text: str) -> None:
        """Record that the user replaced the text of utterance ``index`` (already appended)
        with ``text``; written and kept pending on failure exactly as ``append``."""
        if self._fd is None:
            raise ValueError(f"journal {self.path} is closed")
        self._pending.append(encode_record(edit_record(index, text)))
        self._commit()

    def flush(self) -> None:
        """Try again to write pending utterances (raises ``OSError`` if it fails again)."""
        if self._fd is None:
            raise ValueError(f"journal {self.path} is closed")
        self._commit()

    def close(self, clean: bool = True) -> None:
        """Close and release the lock; ``clean`` (the text was saved) removes the file,
        otherwise it stays to be offered for recovery (pending utterances are tried once more).
        The kept audio spool is the caller's to close and remove first. Closing again does
        nothing."""
        if self._fd is None:
            return
        if not clean:
            self._try_flush()
        fd, self._fd = self._fd, None
        retire(fd, self._remove if clean else _nothing)

    def _remove(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError as e:  # it stays and is offered again: nothing is lost
            log.warning("cannot remove the finished journal %s: %s", self.path, e)

    def discard(self) -> Path:
        """Close and move the journal (and its spool) into ``discarded/``, where it stays
        recoverable for ``DISCARDED_KEEP_DAYS``; returns the new path. Close the audio spool
        first (Windows cannot move an open file)."""
        if self._fd is None:
            raise ValueError(f"journal {self.path} is closed")
        self._try_flush()
        fd, self._fd = self._fd, None
        self.path = retire(fd, lambda: move_with_spool(self.path,
                                                        self.path.parent / DISCARDED_DIR))
        return self.path

    def __del__(self) -> None:
        # Dropped without ``close``: release the lock (the file stays, as after a crash).
        fd = getattr(self, "_fd", None)
        if fd is not None:
            os.close(fd)

    def _try_flush(self) -> None:
        try:
            self._commit()
        except OSError as e:
            log.warning("%d utterances could not be written to the journal %s: %s",
                        len(self._pending), self.path, e)

    def _commit(self) -> None:
        """Write the pending records (fenced by a newline when needed) and fsync."""
        assert self._fd is not None
        fence = b"\n" if self._newline_due or self._garbage else b""
        data = fence + b"".join(self._pending)
        if not data:
            return
        try:
            _write_all(self._write, self._fd, data)
            os.fsync(self._fd)
        except OSError:
            self._roll_back(self._fd)
            raise
        self._pending.clear()
        self._newline_due = self._garbage = False
        self._end = os.fstat(self._fd).st_size

    def _roll_back(self, fd: int) -> None:
        """Cut the file back to its last whole record; if that fails, remember to fence."""
        try:
            self._truncate(fd, self._end)
            self._garbage = False
        except OSError as e:
            log.warning("cannot cut the journal %s back after a failed write: %s", self.path, e)
            self._garbage = True


def _nothing() -> None:
    return None


def _trim_spool(spool: Path) -> None:
    """Cut a half-written last sample (odd byte count) off a PCM16 spool, if there is one."""
    try:
        size = spool.stat().st_size
    except FileNotFoundError:
        return
    if size % 2:
        os.truncate(spool, size - 1)
