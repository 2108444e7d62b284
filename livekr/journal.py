"""Autosave journal: every final utterance is on disk the moment it is shown.

A journal is an append-only JSON-lines file: a header line, then one ``Utterance.to_dict()``
per line, each flushed and fsynced, so a crash or a kill loses at most the line being
written. A clean end (the transcript was saved or deliberately discarded) removes the file;
whatever is left at the next start is an unfinished session to offer for recovery.
Qt-free, stdlib only.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import IO, Any

import platformdirs

from livekr.transcript import Transcript, Utterance

log = logging.getLogger(__name__)

STATE_DIR_ENV = "LIVEKR_STATE_DIR"
JOURNAL_VERSION = 1
SUFFIX = ".jsonl"
PREFIX = "session-"


def journal_dir() -> Path:
    """Where journals are kept (``$LIVEKR_STATE_DIR``/journal overrides the user state dir)."""
    override = os.environ.get(STATE_DIR_ENV)
    root = Path(override).expanduser() if override else platformdirs.user_state_path("livekr")
    return root / "journal"


def _pid_alive(pid: int) -> bool:
    """True when another process with ``pid`` runs (its journal is in use, not abandoned)."""
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


class Journal:
    """One session's journal file. Used from one thread (the GUI's)."""

    def __init__(self, path: Path, file: IO[str]) -> None:
        self.path = path
        self._file: IO[str] | None = file

    @classmethod
    def open_new(cls, directory: Path | None = None, model: str = "") -> Journal:
        """Create a fresh journal file in ``directory`` (default ``journal_dir()``)."""
        folder = directory or journal_dir()
        folder.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = folder / f"{PREFIX}{stamp}-{os.getpid()}-{time.monotonic_ns() % 10**6}{SUFFIX}"
        file = open(path, "x", encoding="utf-8", newline="\n")  # noqa: SIM115 (kept open)
        journal = cls(path, file)
        journal._write({"journal": JOURNAL_VERSION, "pid": os.getpid(), "model": model,
                        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
        return journal

    @property
    def closed(self) -> bool:
        return self._file is None

    def _write(self, record: dict[str, Any]) -> None:
        if self._file is None:
            raise ValueError(f"journal {self.path} is closed")
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def append(self, utterance: Utterance) -> None:
        """Write one final utterance and push it to disk before returning."""
        self._write(utterance.to_dict())

    def close(self, clean: bool = True) -> None:
        """Close the file; ``clean`` (saved or discarded) removes it, else it stays recoverable."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if clean:
            self.path.unlink(missing_ok=True)


def read_journal(path: Path) -> Transcript:
    """The utterances in a journal file; a torn or garbled line (a crash mid-write) is skipped."""
    transcript = Transcript()
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if "journal" in record:
                    transcript.model = str(record.get("model", ""))
                    continue
                transcript.add(Utterance.from_dict(record))
            except (ValueError, KeyError, TypeError) as e:
                log.warning("%s:%d: skipping an unreadable line (%s)", path, number, e)
    return transcript


def _abandoned(directory: Path) -> list[Path]:
    """Journal files not in use by another running livekr, oldest first."""
    try:
        paths = sorted(directory.glob(f"{PREFIX}*{SUFFIX}"), key=lambda p: p.stat().st_mtime)
    except OSError:
        return []
    out = []
    for path in paths:
        parts = path.stem.split("-")
        pid = int(parts[3]) if len(parts) > 3 and parts[3].isdigit() else 0
        if not _pid_alive(pid):
            out.append(path)
    return out


def find_unfinished(directory: Path | None = None) -> Transcript | None:
    """The newest abandoned session that holds at least one utterance, or None.

    Call it before opening this run's own journal. Leftovers without utterances are removed.
    """
    folder = directory or journal_dir()
    newest: Transcript | None = None
    for path in reversed(_abandoned(folder)):
        try:
            transcript = read_journal(path)
        except OSError as e:
            log.warning("cannot read journal %s: %s", path, e)
            continue
        if not transcript.utterances:
            path.unlink(missing_ok=True)
        elif newest is None:
            newest = transcript
    return newest


def discard_unfinished(directory: Path | None = None, keep: Path | None = None) -> None:
    """Remove abandoned journals (after their text was recovered, or the offer declined);
    ``keep`` is this run's own journal, which holds the recovered text now."""
    for path in _abandoned(directory or journal_dir()):
        if keep is None or path != keep:
            path.unlink(missing_ok=True)
