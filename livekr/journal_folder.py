"""The folder of journals: finding the abandoned ones, discarding and restoring, pruning.

Every operation first claims a journal's lock (``journal_lock.claim``), so a journal some
process has open is never read as abandoned, moved or removed. Nothing the user has not seen
is deleted: only leftovers with neither text nor audio, discarded journals older than
``DISCARDED_KEEP_DAYS``, files that never got a header, and spools whose journal is gone.
Qt-free, stdlib only; call from the thread that owns the session (at start, in practice).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import platformdirs

from livekr.journal_format import (
    DISCARDED_DIR,
    PREFIX,
    SPOOL_SUFFIX,
    SUFFIX,
    JournalError,
    NoHeaderError,
    decode_record,
    parse_journal,
    spool_path,
)
from livekr.journal_lock import JournalInUse, claim, fsync_dir, read_all, retire
from livekr.transcript import Transcript

log = logging.getLogger(__name__)

STATE_DIR_ENV = "LIVEKR_STATE_DIR"
DISCARDED_KEEP_DAYS = 7
"""How long a discarded journal stays recoverable before ``prune`` removes it."""
DAY_S = 86400.0
NO_HEADER_GRACE_S = 3600.0
"""A journal file without a whole header line may be one being created right now (between
its creation and its lock); ``prune`` removes such files only when older than this (they
hold no text)."""


def journal_dir() -> Path:
    """Where journals are kept (``$LIVEKR_STATE_DIR``/journal overrides the user state dir)."""
    override = os.environ.get(STATE_DIR_ENV)
    root = Path(override).expanduser() if override else platformdirs.user_state_path("livekr")
    return root / "journal"


def move_with_spool(journal: Path, folder: Path) -> Path:
    """Move ``journal`` and its spool into ``folder`` (spool first: the journal always exists
    in one of the two folders, so the spool is never taken for an orphan). The moved journal's
    modification time is set to now. Returns the new journal path."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / journal.name
    spool = spool_path(journal)
    if spool.exists():
        os.replace(spool, spool_path(target))
    os.replace(journal, target)
    os.utime(target)
    fsync_dir(folder)
    fsync_dir(journal.parent)
    return target


@dataclass(frozen=True)
class Abandoned:
    """A journal no process has open: a session that did not end cleanly, or a discarded one."""

    path: Path
    transcript: Transcript
    """Its utterances (torn lines skipped) and the model that wrote them."""
    started: str
    """When its session began (ISO 8601 local time with offset), from its header."""
    modified_s: float
    """Its last write (or when it was discarded), seconds since the epoch."""
    audio: Path | None
    """Its kept audio, raw 16 kHz mono PCM16 (``spool_path``), when some was recorded."""


def _journals(folder: Path) -> list[Path]:
    """Journal files in ``folder``, newest (last written) first."""
    entries = []
    try:
        for path in folder.glob(f"{PREFIX}*{SUFFIX}"):
            with contextlib.suppress(OSError):
                entries.append((path.stat().st_mtime, path.name, path))
    except OSError:
        return []
    return [path for _, _, path in sorted(entries, reverse=True)]


def _audio_of(journal: Path) -> Path | None:
    spool = spool_path(journal)
    try:
        return spool if spool.stat().st_size >= 2 else None
    except OSError:
        return None


def _remove_with_spool(journal: Path) -> None:
    journal.unlink(missing_ok=True)
    spool_path(journal).unlink(missing_ok=True)


def _nothing() -> None:
    return None


def _inspect(path: Path, remove_empty: bool) -> Abandoned | None:
    """``path`` read under its lock; None when in use, unreadable (warned and kept), or
    holding neither text nor audio (then removed if ``remove_empty``)."""
    try:
        fd = claim(path)
    except (JournalInUse, FileNotFoundError):
        return None
    except OSError as e:
        log.warning("cannot open the journal %s: %s", path, e)
        return None
    found, remove = None, False
    try:
        content = parse_journal(read_all(fd), path.name)
        audio = _audio_of(path)
        if content.transcript.utterances or audio is not None:
            found = Abandoned(path, content.transcript, str(content.header.get("started", "")),
                              os.fstat(fd).st_mtime, audio)
        else:  # only a header (a line it could not read is not nothing: that file stays)
            remove = remove_empty and content.skipped_lines == 0
    except NoHeaderError as e:
        log.debug("%s", e)
    except (JournalError, OSError) as e:
        log.warning("skipping the journal %s: %s", path, e)
    finally:
        retire(fd, partial(_remove_with_spool, path) if remove else _nothing)
    return found


def find_abandoned(directory: Path | None = None) -> list[Abandoned]:
    """Every journal in ``directory`` (default ``journal_dir()``) that no process has open,
    newest first, with its text and audio: all of them are to be offered.

    Nothing is changed, except that leftovers holding neither text nor audio are removed.
    A journal this version cannot read is skipped with a logged warning and kept. Call it on
    the thread that will own the session; this run's own open journal is never listed.
    """
    found = (_inspect(path, True) for path in _journals(directory or journal_dir()))
    return [item for item in found if item is not None]


def list_discarded(directory: Path | None = None) -> list[Abandoned]:
    """The discarded journals still kept (see ``discard``), most recently discarded first."""
    found = (_inspect(p, False) for p in _journals((directory or journal_dir()) / DISCARDED_DIR))
    return [item for item in found if item is not None]


def discard(path: Path) -> Path:
    """Move an abandoned journal (and its spool) into ``discarded/``, the answer to "No" to a
    recovery offer: ``list_discarded`` shows it and ``restore`` brings it back until ``prune``
    removes it after ``DISCARDED_KEEP_DAYS``. Returns the new path.

    Raises ``JournalInUse`` if a process has it open, ``OSError``."""
    fd = claim(path)
    return retire(fd, partial(move_with_spool, path, path.parent / DISCARDED_DIR))


def restore(path: Path) -> Path:
    """Move a discarded journal (and its spool) back into the journal folder, where
    ``find_abandoned`` offers it (as the newest) and ``Journal.adopt`` takes it. Returns the
    new path. Raises ``ValueError`` when ``path`` is not in a ``discarded/`` folder,
    ``JournalInUse``, ``OSError``."""
    if path.parent.name != DISCARDED_DIR:
        raise ValueError(f"{path} is not a discarded journal (not in a {DISCARDED_DIR}/ folder)")
    fd = claim(path)
    return retire(fd, partial(move_with_spool, path, path.parent.parent))


def _remove_unused(path: Path, only_without_header: bool) -> bool:
    """Remove ``path`` and its spool if no process has it open (and, with
    ``only_without_header``, if it holds no whole header line); True when removed."""
    try:
        fd = claim(path)
    except (JournalInUse, OSError):
        return False
    remove = True
    try:
        if only_without_header:
            data = read_all(fd)
            remove = b"\n" not in data and decode_record(data) is None
    finally:
        retire(fd, partial(_remove_with_spool, path) if remove else _nothing)
    return remove


def _has_journal(spool: Path, folders: tuple[Path, ...]) -> bool:
    return any((folder / spool.name).with_suffix(SUFFIX).exists() for folder in folders)


def prune(directory: Path | None = None, *, now_s: float | None = None) -> list[Path]:
    """Housekeeping for the start of the app; returns what was removed.

    Removes discarded journals older than ``DISCARDED_KEEP_DAYS`` (with their spools),
    journals that never got a header (older than ``NO_HEADER_GRACE_S``), and audio spools
    whose journal is gone. ``now_s`` (seconds since the epoch) defaults to the clock.
    """
    folder = directory or journal_dir()
    binned = folder / DISCARDED_DIR
    now = time.time() if now_s is None else now_s
    candidates = [(p, DISCARDED_KEEP_DAYS * DAY_S, False) for p in _journals(binned)]
    candidates += [(p, NO_HEADER_GRACE_S, True) for p in _journals(folder)]
    removed = []
    for path, limit_s, only_without_header in candidates:
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > limit_s and _remove_unused(path, only_without_header):
                removed.append(path)
    # A spool is created only once its journal exists, and a journal moving between the two
    # folders is always in one of them: looking in folder, binned, folder catches a move.
    for spool in [*folder.glob(f"{PREFIX}*{SPOOL_SUFFIX}"), *binned.glob(f"{PREFIX}*{SPOOL_SUFFIX}")]:
        if not _has_journal(spool, (folder, binned, folder)):
            with contextlib.suppress(OSError):  # gone already, or open (Windows)
                spool.unlink()
                removed.append(spool)
    return removed
