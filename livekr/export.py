"""Transcripts as text: TXT, SRT, VTT and JSON, reading JSON back, and saving by extension.

SRT and VTT cut each utterance into short cues (``livekr.subtitles``); TXT keeps one line per
utterance; JSON keeps everything, edits included, as readable UTF-8."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from livekr.fileio import write_atomic
from livekr.subtitles import DEFAULT_CUES, CueOptions, cues
from livekr.transcript import Transcript, Utterance, source_name

Format = Literal["txt", "srt", "vtt", "json"]
FORMATS: tuple[Format, ...] = ("txt", "srt", "vtt", "json")
JSON_SCHEMA_VERSION = 1
DICTATION_HEADING = "dictation"
"""The TXT heading of a dictation section that follows a transcribed file's."""


def _timestamp(seconds: float, decimal: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal}{millis:03d}"


def _spoken(utterances: Iterable[Utterance]) -> list[Utterance]:
    return [u for u in utterances if u.text.strip()]


def to_txt(transcript: Transcript) -> str:
    """One line per utterance with text. Where the source changes (a transcribed file, or
    dictation after one) a ``[name]`` heading line opens the section, after a blank line
    unless it is the first; a transcript of dictation alone has no headings."""
    lines: list[str] = []
    source = ""
    for u in _spoken(transcript.utterances):
        if u.source != source:
            source = u.source
            if lines:
                lines.append("")
            lines.append(f"[{source_name(source) or DICTATION_HEADING}]")
        lines.append(u.text)
    return "\n".join(lines) + ("\n" if lines else "")


def to_srt(transcript: Transcript, options: CueOptions = DEFAULT_CUES) -> str:
    """SubRip: numbered cues of at most two short lines, ``HH:MM:SS,mmm --> HH:MM:SS,mmm``."""
    out = []
    for n, cue in enumerate(cues(_spoken(transcript.utterances), options), start=1):
        span = f"{_timestamp(cue.start_s, ',')} --> {_timestamp(cue.end_s, ',')}"
        out.append(f"{n}\n{span}\n{cue.text}\n")
    return "\n".join(out)


def to_vtt(transcript: Transcript, options: CueOptions = DEFAULT_CUES) -> str:
    """WebVTT: a ``WEBVTT`` header and cues ``HH:MM:SS.mmm --> HH:MM:SS.mmm`` (as ``to_srt``)."""
    out = ["WEBVTT\n"]
    for cue in cues(_spoken(transcript.utterances), options):
        out.append(f"{_timestamp(cue.start_s, '.')} --> {_timestamp(cue.end_s, '.')}\n{cue.text}\n")
    return "\n".join(out)


def to_json(transcript: Transcript) -> str:
    """Every utterance with its characters, times and confidences; ``from_json`` reads it."""
    data = {
        "version": JSON_SCHEMA_VERSION,
        "model": transcript.model,
        "utterances": [u.to_dict() for u in transcript.utterances],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


class TranscriptFormatError(ValueError):
    """A JSON transcript cannot be read; the message says why and what to do."""


def _schema_version(data: object) -> int:
    """The ``version`` of a parsed JSON transcript, checked against what this livekr reads."""
    if not isinstance(data, dict):
        raise TranscriptFormatError("not a livekr JSON transcript (expected an object at the top)")
    if "version" not in data:
        raise TranscriptFormatError("not a livekr JSON transcript: it has no \"version\" field")
    version = data["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise TranscriptFormatError(
            f"invalid transcript version {version!r}; expected a whole number from 1 to {JSON_SCHEMA_VERSION}"
        )
    if version > JSON_SCHEMA_VERSION:
        raise TranscriptFormatError(
            f"transcript version {version} was written by a newer livekr; this one reads versions "
            f"up to {JSON_SCHEMA_VERSION}: update livekr"
        )
    return version


def from_json(text: str) -> Transcript:
    """Read what ``to_json`` wrote (any version from 1 to ``JSON_SCHEMA_VERSION``).

    Raises ``TranscriptFormatError`` (a ``ValueError``) when the text is not JSON, its
    ``version`` is missing, invalid or newer than this livekr reads, or an utterance is malformed.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise TranscriptFormatError(f"not a livekr JSON transcript: {e}") from e
    _schema_version(data)
    try:
        utterances = [Utterance.from_dict(u) for u in data["utterances"]]
    except (KeyError, TypeError, ValueError) as e:
        problem = f"{type(e).__name__}: {e}"
        raise TranscriptFormatError(f"malformed utterances in the JSON transcript ({problem})") from e
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


def save(transcript: Transcript, path: str | os.PathLike[str], fmt: Format | None = None) -> None:
    """Save atomically in ``fmt``, or in the format the extension of ``path`` names."""
    write_atomic(path, render(transcript, fmt or format_for_path(path)))
