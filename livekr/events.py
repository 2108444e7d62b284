"""What a streaming session reports: immutable events, and the sink type that receives them.

Times are seconds of stream time unless a field says otherwise. ``to_dict`` gives the
JSON-lines form that ``livekr transcribe --events`` prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from livekr.transcript import Utterance


@dataclass(frozen=True)
class Partial:
    """Provisional text of the utterance in progress; replaces the previous partial.

    An utterance that ends without any text gets a last partial with empty text (and no
    final), so a display clears what it showed.
    """

    utterance: int
    start_s: float
    end_s: float
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "partial",
            "utterance": self.utterance,
            "start": round(self.start_s, 3),
            "end": round(self.end_s, 3),
            "text": self.text,
        }


@dataclass(frozen=True)
class Final:
    """The finished text of an utterance."""

    utterance: Utterance
    latency_s: float
    """Wall time from detecting the end of speech to this event."""
    forward_s: float

    def to_dict(self) -> dict[str, Any]:
        u = self.utterance
        return {
            "type": "final",
            "utterance": u.index,
            "start": round(u.start_s, 3),
            "end": round(u.end_s, 3),
            "text": u.text,
            "confidence": round(u.confidence, 4),
            "latency": round(self.latency_s, 4),
        }


@dataclass(frozen=True)
class LevelChanged:
    """Loudness of the newest audio block."""

    time_s: float
    rms_db: float
    peak: float
    speech: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "level",
            "time": round(self.time_s, 3),
            "db": round(self.rms_db, 1),
            "speech": self.speech,
        }


@dataclass(frozen=True)
class Stats:
    """How the session is keeping up."""

    time_s: float
    """Stream time."""
    backlog_s: float
    """Audio waiting to be finalised (queued utterances)."""
    pending_finals: int
    dropped_blocks: int
    status_errors: int
    rtf: float
    """Running forward time / audio time of the recognizer's passes, finals and partials
    (below 1 keeps up with speech)."""
    last_latency_s: float
    partials_skipped: int
    spilled_finals: int = 0
    """Queued utterances whose audio waits in a temporary file (memory budget reached)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "stats",
            "time": round(self.time_s, 3),
            "backlog": round(self.backlog_s, 3),
            "pending_finals": self.pending_finals,
            "dropped_blocks": self.dropped_blocks,
            "status_errors": self.status_errors,
            "rtf": round(self.rtf, 4),
            "last_latency": round(self.last_latency_s, 4),
            "partials_skipped": self.partials_skipped,
            "spilled_finals": self.spilled_finals,
        }


class FailureKind(str, Enum):
    """What failed, so a display can offer the matching remedy without parsing the message."""

    INPUT = "input"
    """The audio source: no or lost microphone, missing PortAudio, an unreadable file."""
    RECOGNITION = "recognition"
    """The model failed on some audio (the rest of the session goes on)."""
    JOURNAL = "journal"
    """The autosave journal could not be written (the text is still in memory)."""
    OUTPUT = "output"
    """The transcript could not be written where asked (it was put somewhere safe)."""
    INTERNAL = "internal"
    """Anything else: a defect in livekr."""


@dataclass(frozen=True)
class Failure:
    """Something went wrong; what was transcribed before it is kept."""

    message: str
    """One line for the user: what failed and what to do."""
    kind: FailureKind = FailureKind.INTERNAL

    def to_dict(self) -> dict[str, Any]:
        return {"type": "error", "kind": self.kind.value, "message": self.message}


@dataclass(frozen=True)
class Finished:
    """The session ended and everything captured was decoded. Always the last event."""

    utterances: int
    audio_s: float

    def to_dict(self) -> dict[str, Any]:
        return {"type": "finished", "utterances": self.utterances, "audio": round(self.audio_s, 3)}


PipelineEvent = Partial | Final | LevelChanged | Stats | Failure | Finished
EventSink = Callable[[PipelineEvent], None]
