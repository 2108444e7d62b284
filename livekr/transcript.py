"""Transcripts: utterances with their times, text and per-character confidence.

The data types only; writing them as TXT, SRT, VTT or JSON is ``livekr.export``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
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
