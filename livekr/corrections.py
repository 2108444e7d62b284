"""Export Corrections: the session's utterances as clips of its kept audio with their
(corrected) text, and a manifest that ``livekr-train --train_data`` reads.

The folder it writes::

    target_dir/manifest.jsonl    {"audio": "clips/0003.flac", "text": …, "start": …, "end": …,
                                  "index": 3, "edited": true}, one line per clip
    target_dir/clips/0003.flac   16 kHz mono PCM16, named by the utterance's index

Audio paths are relative to the manifest, so the folder can be moved as a whole. The manifest
is replaced atomically and lists exactly this export; exporting again into the same folder
rewrites the clips of the same utterances and leaves clips it does not list as they were.
Qt-free; call it while no run writes the spool (``TranscriptSession.export_corrections``
flushes it first).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from livekr.config import SAMPLE_RATE
from livekr.fileio import write_atomic
from livekr.transcript import Utterance

log = logging.getLogger(__name__)

PAD_S = 0.1
"""Audio kept before and after an utterance's own span, so no syllable edge is cut."""
MAX_CLIP_S = 20.0
"""``livekr-train``'s default ``--max_duration_s``: the pad shrinks so that a clip of an
utterance up to this long stays within it."""
CLIPS_DIR = "clips"
MANIFEST_NAME = "manifest.jsonl"


@dataclass(frozen=True)
class CorrectionsReport:
    """What ``export_corrections`` wrote and what it left out."""

    written: int
    """Clips written, one manifest line each."""
    skipped_empty: int
    """Utterances without text (deleted by an edit, or nothing recognised)."""
    skipped_outside: int
    """Utterances whose audio is not all in the spool (after a crash that lost its tail)."""
    manifest: Path
    total_s: float
    """Seconds of audio in the written clips, pads included."""

    @property
    def skipped(self) -> int:
        return self.skipped_empty + self.skipped_outside


def clip_span(start_s: float, end_s: float, spool_samples: int, pad_s: float = PAD_S,
              max_clip_s: float = MAX_CLIP_S) -> slice | None:
    """The samples of the spool to cut for an utterance from ``start_s`` to ``end_s``
    (seconds on the spool's timeline): its span with up to ``pad_s`` either side, within the
    spool and, where the utterance allows, within ``max_clip_s``. None when the utterance's
    own span is empty or not all inside the spool's ``spool_samples``."""
    start, end = round(start_s * SAMPLE_RATE), round(end_s * SAMPLE_RATE)
    if start < 0 or end <= start or end > spool_samples:
        return None
    room_s = max(0.0, (max_clip_s - (end_s - start_s)) / 2)
    pad = round(min(pad_s, room_s) * SAMPLE_RATE)
    return slice(max(0, start - pad), min(spool_samples, end + pad))


def clip_name(utterance: Utterance) -> str:
    """The manifest's relative path of an utterance's clip."""
    return f"{CLIPS_DIR}/{utterance.index:04d}.flac"


def manifest_line(utterance: Utterance, audio: str) -> str:
    """One line of the manifest (no newline): the trainer reads ``audio`` and ``text``."""
    return json.dumps({
        "audio": audio,
        "text": utterance.text.strip(),
        "start": round(utterance.start_s, 3),
        "end": round(utterance.end_s, 3),
        "index": utterance.index,
        "edited": utterance.edited,
    }, ensure_ascii=False)


def read_spool(spool: Path) -> np.ndarray:
    """The raw 16 kHz mono PCM16 of ``spool`` as int16 samples (memory-mapped; a torn last
    byte is left out)."""
    samples = spool.stat().st_size // 2
    if not samples:
        return np.zeros(0, dtype="<i2")
    return np.memmap(spool, dtype="<i2", mode="r", shape=(samples,))


def write_clip(path: Path, samples: np.ndarray) -> None:
    """``samples`` (int16 at ``SAMPLE_RATE``) as FLAC at ``path``, atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        soundfile.write(tmp, np.asarray(samples), SAMPLE_RATE, subtype="PCM_16", format="FLAC")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def export_corrections(utterances: Iterable[Utterance], spool: Path, target_dir: Path,
                       only_edited: bool = False, pad_s: float = PAD_S) -> CorrectionsReport:
    """Write a clip of ``spool`` (raw 16 kHz mono PCM16 on the utterances' timeline) for every
    utterance with text, or only the ``edited`` ones, into ``target_dir/clips/``, then
    ``target_dir/manifest.jsonl`` listing them (atomically). Utterances without text, or
    whose audio is not all in the spool, are counted and left out.

    Raises ``OSError`` (``OutputError`` for the manifest) when the folder cannot be written.
    """
    raw = read_spool(spool)
    (target_dir / CLIPS_DIR).mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    empty = outside = 0
    total_samples = 0
    try:
        for u in utterances:
            if only_edited and not u.edited:
                continue
            if not u.text.strip():
                empty += 1
                continue
            span = clip_span(u.start_s, u.end_s, raw.size, pad_s)
            if span is None:
                log.info("utterance %d (%.2f–%.2f s) is not in the kept audio (%.2f s); left out",
                         u.index, u.start_s, u.end_s, raw.size / SAMPLE_RATE)
                outside += 1
                continue
            name = clip_name(u)
            write_clip(target_dir / name, raw[span])
            lines.append(manifest_line(u, name))
            total_samples += span.stop - span.start
    finally:
        del raw  # the memory map holds the file open (Windows could not remove it)
    manifest = target_dir / MANIFEST_NAME
    write_atomic(manifest, "".join(f"{line}\n" for line in lines))
    return CorrectionsReport(len(lines), empty, outside, manifest, total_samples / SAMPLE_RATE)
