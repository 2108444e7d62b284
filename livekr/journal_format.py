"""The journal file format and naming: a header line, then one record per line, in
``session-….jsonl``; the session's kept audio beside it in ``session-….pcm``. A record is an
utterance (``Utterance.to_dict()``) or, from version 3, an edit of one
(``{"edit": index, "text": …}``, see ``edit_record``); reading applies them in file order.

Reading keeps every whole record and skips what a crash or a failed write tore: a torn last
line, a garbled line in the middle, a record glued to a torn one (as version 1 wrote after a
disk-full), and a record written twice because a failed write had in fact reached the disk.
A journal of a newer version, or one without a valid header, is refused (``JournalError``)
so that it is never misread; its file is left alone. Stdlib only.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livekr.messages import Message
from livekr.transcript import Transcript, Utterance

log = logging.getLogger(__name__)

JOURNAL_VERSION = 3
"""1: the first format. 2: the same lines; the file is locked while open (not found by pid).
3: edit records too (a version-2 reader would skip them and recover the text as recognised,
so it must refuse the file instead). All three are read; a newer version is left alone. An
adopted older journal keeps its header: only a livekr downgraded after the recovery would skip
its edits (with a warning)."""
EDIT_KEY = "edit"
"""The key that makes a record an edit: ``{"edit": utterance index, "text": new text}``."""
PREFIX = "session-"
SUFFIX = ".jsonl"
SPOOL_SUFFIX = ".pcm"
DISCARDED_DIR = "discarded"
"""The subfolder of the journal folder that holds discarded journals."""


class JournalError(ValueError):
    """A journal this version cannot read (newer version, or no valid header); kept on disk."""


class NoHeaderError(JournalError):
    """A journal without a whole header line: being created right now, or a crash at creation."""


def spool_path(journal: Path) -> Path:
    """Where the kept audio of ``journal``'s session lives (raw 16 kHz mono PCM16): beside it,
    same name, ``.pcm``. Create it only while the journal exists, so that a spool without a
    journal is always an orphan."""
    return journal.with_suffix(SPOOL_SUFFIX)


def encode_record(record: dict[str, Any]) -> bytes:
    """One line of the journal, newline included."""
    return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")


def edit_record(index: int, text: str) -> dict[str, Any]:
    """The record of the user replacing the text of utterance ``index`` (empty: removed from
    the exports, kept in the transcript)."""
    return {EDIT_KEY: index, "text": text}


def decode_record(line: bytes) -> dict[str, Any] | None:
    """The JSON object on ``line``, or None when it is not one (torn, garbled, not UTF-8)."""
    try:
        record = json.loads(line.decode("utf-8"))
    except ValueError:  # includes UnicodeDecodeError
        return None
    return record if isinstance(record, dict) else None


def _salvage(line: bytes) -> dict[str, Any] | None:
    """A whole record glued to the end of a torn one (as written before version 2)."""
    start = line.find(b'{"', 1)
    while start > 0:
        record = decode_record(line[start:])
        if record is not None and ("index" in record or EDIT_KEY in record):
            return record
        start = line.find(b'{"', start + 1)
    return None


@dataclass
class JournalContent:
    """What a journal file holds, and where the next record may be written."""

    header: dict[str, Any]
    transcript: Transcript
    good_end: int
    """Bytes from the start that hold whole records (a torn tail lies beyond)."""
    newline_due: bool
    """The last record is whole but its newline is missing (a write cut just before it)."""
    skipped_lines: int
    """Lines that could not be read as utterances or applied as edits (torn, garbled,
    unknown, an edit of an utterance it does not hold)."""


def parse_journal(data: bytes, name: str) -> JournalContent:
    """Read a journal's bytes; torn or garbled lines are skipped with a warning.

    Raises ``NoHeaderError`` when no whole header line is there, ``JournalError`` when the
    first line is not a header or the version is newer than ``JOURNAL_VERSION``.
    """
    lines = data.split(b"\n")
    tail = lines.pop()
    good_end, newline_due = len(data) - len(tail), False
    if tail and decode_record(tail) is not None:
        lines.append(tail)
        good_end, newline_due = len(data), True
    elif tail and lines:
        log.warning("%s: skipping a torn last line (%d bytes; a crash mid-write)", name, len(tail))
    if not lines:
        raise NoHeaderError(Message("journal.no_header", name=name))
    header = decode_record(lines[0])
    version = header.get("journal") if header is not None else None
    if header is None or not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise JournalError(Message("journal.not_journal", name=name))
    if version > JOURNAL_VERSION:
        raise JournalError(Message("journal.too_new", name=name, version=version, supported=JOURNAL_VERSION))
    transcript = Transcript(model=str(header.get("model", "")))
    previous: dict[str, Any] | None = None
    skipped = 0
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        record = decode_record(line) or _salvage(line)
        if record is None:
            log.warning("%s:%d: skipping an unreadable line (torn by a failed write)", name, number)
            skipped += 1
            continue
        if record == previous:  # written again after a failed write that had reached the disk
            continue
        previous = record
        if not _apply(transcript, record, f"{name}:{number}"):
            skipped += 1
    return JournalContent(header, transcript, good_end, newline_due, skipped)


def _apply(transcript: Transcript, record: dict[str, Any], where: str) -> bool:
    """Add the utterance or apply the edit ``record`` holds; False (logged) when it is neither,
    or edits an utterance the journal does not hold."""
    if EDIT_KEY not in record:
        try:
            transcript.add(Utterance.from_dict(record))
        except (KeyError, TypeError, ValueError) as e:
            log.warning("%s: skipping a line that is not an utterance (%s)", where, e)
            return False
        return True
    index, text = record[EDIT_KEY], record.get("text")
    if isinstance(index, bool) or not isinstance(index, int) or not isinstance(text, str):
        log.warning("%s: skipping a malformed edit (%r)", where, record)
        return False
    try:
        transcript.edit(index, text)
    except KeyError:
        log.warning("%s: skipping an edit of utterance %d, which the journal does not hold",
                    where, index)
        return False
    return True
