"""Transcripts: utterances with their times, text and per-character confidence.

The data types only; writing them as TXT, SRT, VTT or JSON is ``livekr.export``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
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
    """The model's, for the text it recognised (kept when the text is edited)."""
    chars: tuple[CharSpan, ...] = field(default=())
    """The recognised characters with their times (one per non-space character of the text
    as recognised); empty once the text is edited."""
    edited: bool = False
    """The text is the user's correction, not the model's."""
    source: str = ""
    """The audio file it was transcribed from (its path); "" for dictation (microphone, demo)."""

    def to_dict(self) -> dict[str, Any]:
        """All fields; ``source`` only when set, so dictation's records are as before."""
        data = asdict(self)
        if not self.source:
            del data["source"]
        return data

    def with_text(self, text: str) -> Utterance:
        """This utterance with the user's ``text`` (times kept; the recognised characters'
        spans no longer match it, so they are dropped)."""
        return replace(self, text=text, chars=(), edited=True)

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
            edited=bool(data.get("edited", False)),
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

    def position(self, index: int) -> int:
        """Where the utterance numbered ``index`` is in ``utterances``; raises ``KeyError``."""
        for position in range(len(self.utterances) - 1, -1, -1):  # recent ones are looked up most
            if self.utterances[position].index == index:
                return position
        raise KeyError(f"no utterance {index} in the transcript")

    def edit(self, index: int, text: str) -> Utterance:
        """Replace the text of the utterance numbered ``index`` (``Utterance.with_text``; an
        empty text keeps it, out of every export) and return it as it is now. Text equal to
        the current one changes nothing. Raises ``KeyError`` for an index it does not hold."""
        position = self.position(index)
        if self.utterances[position].text != text:
            self.utterances[position] = self.utterances[position].with_text(text)
        return self.utterances[position]

    @property
    def text(self) -> str:
        return "\n".join(u.text for u in self.utterances if u.text)
