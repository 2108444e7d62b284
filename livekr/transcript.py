"""Transcripts: utterances with their times, text and per-character confidence.

The data types only; writing them as TXT, SRT, VTT or JSON is ``livekr.export``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import PurePath
from typing import Any


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
    source: str = ""
    """The audio file it was transcribed from (its path); "" for dictation (microphone, demo)."""

    def to_dict(self) -> dict[str, Any]:
        """All fields; ``source`` only when set, so dictation's records are as before."""
        data = asdict(self)
        if not self.source:
            del data["source"]
        return data

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
            source=str(data.get("source", "")),
        )


def source_name(source: str) -> str:
    """The name a section of the transcript is headed by: the file's name, "" for dictation."""
    return PurePath(source).name if source else ""


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
