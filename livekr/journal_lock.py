"""OS file primitives for the autosave journal: an exclusive lock per open journal, claiming
a journal (open + lock), and directory syncs. Stdlib only; POSIX (``fcntl.flock``) and
Windows (``msvcrt.locking``).

A journal is "in use" exactly while some open file handle holds its lock. The lock goes with
the handle: closing it, or the process ending in any way (a kill, a crash, a power cut),
releases it, so a stale process id can never hide a journal and nothing is ever signalled to
find out. On both systems the lock is per handle, so a second handle in the same process is
refused too.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from livekr.messages import Message

LOCK_BYTE_OFFSET = 0x7FFF_FFF0
"""Windows: where the one locked byte lies. Windows locks are mandatory (a locked range cannot
be read through other handles), so the lock sits far past the end of any journal, where there
is nothing to read; locking beyond the end of a file is allowed."""

_BUSY_ERRNOS = frozenset({errno.EACCES, errno.EAGAIN, errno.EWOULDBLOCK,
                          getattr(errno, "EDEADLOCK", errno.EDEADLK)})

O_BINARY: int = getattr(os, "O_BINARY", 0)
"""Windows opens files in text mode (newline translation) unless asked; 0 elsewhere."""

_T = TypeVar("_T")


def try_lock(fd: int, wait: bool = False) -> bool:
    """Take the exclusive lock of the open file ``fd``.

    True when taken (it is held until ``unlock`` or until ``fd`` is closed), False when another
    handle holds it. Without ``wait`` it returns at once; with it, it waits for the holder
    (Windows gives up after about 10 s and returns False). Other failures raise ``OSError``.
    """
    try:
        if sys.platform == "win32":
            import msvcrt

            position = os.lseek(fd, 0, os.SEEK_CUR)
            os.lseek(fd, LOCK_BYTE_OFFSET, os.SEEK_SET)
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
            finally:
                os.lseek(fd, position, os.SEEK_SET)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        if e.errno in _BUSY_ERRNOS:
            return False
        raise
    return True


def unlock(fd: int) -> None:
    """Release the lock taken by ``try_lock`` on ``fd`` (closing ``fd`` releases it too)."""
    if sys.platform == "win32":
        import msvcrt

        position = os.lseek(fd, 0, os.SEEK_CUR)
        os.lseek(fd, LOCK_BYTE_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        finally:
            os.lseek(fd, position, os.SEEK_SET)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


def fsync_dir(folder: os.PathLike[str] | str) -> None:
    """Make a file created, renamed or removed in ``folder`` survive a power cut (POSIX).

    Windows cannot open a folder for syncing and does not need to; nothing is done there.
    Failures are ignored: the file's own data is already synced by then.
    """
    if sys.platform == "win32":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class JournalInUse(RuntimeError):
    """The journal's lock is held: another livekr window or process has it open."""


def claim(path: Path) -> int:
    """Open ``path`` for reading and appending and take its lock; returns the fd.

    Raises ``JournalInUse`` when another handle holds the lock, ``OSError``."""
    fd = os.open(path, os.O_RDWR | os.O_APPEND | O_BINARY)
    try:
        locked = try_lock(fd)
    except BaseException:
        os.close(fd)
        raise
    if not locked:
        os.close(fd)
        raise JournalInUse(Message("journal.in_use", name=path.name))
    return fd


def retire(fd: int, action: Callable[[], _T]) -> _T:
    """Close a claimed ``fd`` and run ``action`` (a move or removal of its file).

    POSIX runs it while the lock is still held, so no other process can claim the file in
    between; Windows cannot rename or remove an open file, so it closes first (a process that
    opens the file in between makes the action fail, which is safe).
    """
    if sys.platform == "win32":
        os.close(fd)
        return action()
    try:
        return action()
    finally:
        os.close(fd)


def read_all(fd: int) -> bytes:
    """Everything in the file ``fd`` from its start."""
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)
