"""Transcripts: utterances with times, text and confidence; TXT, SRT, VTT and JSON; atomic save."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Format = Literal["txt", "srt", "vtt", "json"]
FORMATS: tuple[Format, ...] = ("txt", "srt", "vtt", "json")
JSON_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class CharSpan:
    """One recognised character with its place in the utterance audio."""

    char: str
    start_s: float
    """Seconds from the start of the utterance audio."""
    end_s: float
    confidence: float
    """Mean posterior of the frames that emitted it, 0..1."""


@dataclass(frozen=True)
class Utterance:
    """One finished stretch of speech and its text."""

    index: int
    start_s: float
    """Seconds from the start of the stream."""
    end_s: float
    text: str
    confidence: float
    chars: tuple[CharSpan, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Utterance:
        chars = tuple(CharSpan(**c) for c in data.get("chars", ()))
        return cls(
            index=int(data["index"]),
            start_s=float(data["start_s"]),
            end_s=float(data["end_s"]),
            text=str(data["text"]),
            confidence=float(data.get("confidence", 1.0)),
            chars=chars,
        )


@dataclass
class Transcript:
    """The utterances of a session, in stream order. Owned by one thread at a time."""

    utterances: list[Utterance] = field(default_factory=list)
    model: str = ""
    """The checkpoint that produced it (folder or hub id)."""

    def add(self, utterance: Utterance) -> None:
        self.utterances.append(utterance)

    @property
    def text(self) -> str:
        return "\n".join(u.text for u in self.utterances if u.text)


def _timestamp(seconds: float, decimal: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal}{millis:03d}"


def _spoken(utterances: Iterable[Utterance]) -> list[Utterance]:
    return [u for u in utterances if u.text.strip()]


def to_txt(transcript: Transcript) -> str:
    """One line per utterance with text."""
    lines = [u.text for u in _spoken(transcript.utterances)]
    return "\n".join(lines) + ("\n" if lines else "")


def to_srt(transcript: Transcript) -> str:
    """SubRip: numbered cues, ``HH:MM:SS,mmm --> HH:MM:SS,mmm``."""
    cues = []
    for n, u in enumerate(_spoken(transcript.utterances), start=1):
        span = f"{_timestamp(u.start_s, ',')} --> {_timestamp(u.end_s, ',')}"
        cues.append(f"{n}\n{span}\n{u.text}\n")
    return "\n".join(cues)


def to_vtt(transcript: Transcript) -> str:
    """WebVTT: a ``WEBVTT`` header and cues ``HH:MM:SS.mmm --> HH:MM:SS.mmm``."""
    cues = ["WEBVTT\n"]
    for u in _spoken(transcript.utterances):
        cues.append(f"{_timestamp(u.start_s, '.')} --> {_timestamp(u.end_s, '.')}\n{u.text}\n")
    return "\n".join(cues)


def to_json(transcript: Transcript) -> str:
    """Every utterance with its characters, times and confidences; ``from_json`` reads it."""
    data = {
        "version": JSON_SCHEMA_VERSION,
        "model": transcript.model,
        "utterances": [u.to_dict() for u in transcript.utterances],
    }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def from_json(text: str) -> Transcript:
    """Read what ``to_json`` wrote."""
    data = json.loads(text)
    utterances = [Utterance.from_dict(u) for u in data["utterances"]]
    return Transcript(utterances=utterances, model=str(data.get("model", "")))


_RENDERERS = {"txt": to_txt, "srt": to_srt, "vtt": to_vtt, "json": to_json}


def render(transcript: Transcript, fmt: Format) -> str:
    """The transcript in ``fmt`` (one of ``FORMATS``)."""
    try:
        return _RENDERERS[fmt](transcript)
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}") from None


def format_for_path(path: str | os.PathLike[str], default: Format = "txt") -> Format:
    """The format a file name asks for by its extension, else ``default``."""
    suffix = Path(path).suffix.lower().lstrip(".")
    for fmt in FORMATS:
        if suffix == fmt:
            return fmt
    return default


def write_atomic(path: str | os.PathLike[str], content: str) -> None:
    """Write ``content`` (UTF-8) to ``path`` so that readers see the old file or the new one.

    The text goes to a temporary file in the same folder, is flushed to disk, then replaces
    ``path``. If anything fails, the old file is left as it was and the error is raised.
    """
    target = Path(path)
    # Not tempfile.mkstemp: its owner-only mode (0600) would become the transcript's mode.
    tmp = target.parent / f".{target.name}.{secrets.token_hex(8)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def save(transcript: Transcript, path: str | os.PathLike[str], fmt: Format | None = None) -> None:
    """Save atomically in ``fmt``, or in the format the extension of ``path`` names."""
    write_atomic(path, render(transcript, fmt or format_for_path(path)))
