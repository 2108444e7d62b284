"""What an audio file's header promises: its length in frames, read from the header itself
where libsndfile reports something else. Stdlib only (plus an open ``soundfile.SoundFile``)."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    import soundfile

MAX_WAV_CHUNKS = 64
"""Chunks looked at before the data chunk of a WAV file (fmt, fact, LIST, bext, …)."""
MP3_TAG_SCAN_BYTES = 256
"""How far into an MP3's first frame a Xing/Info/VBRI tag is looked for."""
WAV_UNKNOWN_SIZES = (0, 0xFFFFFFFF)
"""Data sizes that streaming writers put in a WAV header when the length is not yet known."""
WAV_LINEAR_SUBTYPES = frozenset({"PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE", "ULAW", "ALAW"})
"""WAV encodings whose data size divided by the block size is the number of frames."""


def wav_data_frames(raw: BinaryIO) -> int | None:
    """Frames the data chunk of a RIFF/RIFX WAVE file promises, or None when it does not say
    (not such a file, a streamed length, no data chunk among the first chunks)."""
    head = raw.read(12)
    if len(head) < 12 or head[8:12] != b"WAVE" or head[:4] not in (b"RIFF", b"RIFX"):
        return None
    endian = "<" if head[:4] == b"RIFF" else ">"
    block_align = 0
    for _ in range(MAX_WAV_CHUNKS):
        chunk = raw.read(8)
        if len(chunk) < 8:
            return None
        name, size = chunk[:4], struct.unpack(endian + "I", chunk[4:])[0]
        if name == b"data":
            return None if size in WAV_UNKNOWN_SIZES or block_align == 0 else size // block_align
        body = raw.read(size) if name == b"fmt " else b""
        if len(body) >= 14:
            block_align = struct.unpack(endian + "H", body[12:14])[0]
        else:
            raw.seek(size - len(body), 1)
        raw.seek(size & 1, 1)  # chunks are padded to an even size
    return None


def mp3_has_frame_count(raw: BinaryIO) -> bool:
    """True when an MP3 (after any ID3v2 tag) starts with a Xing/Info/VBRI frame: its length
    is then counted by the encoder, not estimated from the file size."""
    head = raw.read(10)
    start = 0
    if head[:3] == b"ID3" and len(head) == 10:
        size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
        start = 10 + size + (10 if head[5] & 0x10 else 0)  # flag 0x10: a footer follows
    raw.seek(start)
    window = raw.read(MP3_TAG_SCAN_BYTES)
    return any(tag in window for tag in (b"Xing", b"Info", b"VBRI"))


def declared_frames(path: Path, f: soundfile.SoundFile) -> int | None:
    """How many frames the header of ``f`` (opened from ``path``) promises, where it says.

    libsndfile shortens a truncated WAV's length to what the file holds, so the WAV data
    chunk is read here; FLAC and MP3 with a frame count report the header's length through
    libsndfile; otherwise (an estimate, a streamed file, another format) None.
    """
    if f.format == "FLAC":
        return f.frames
    if f.format == "WAV" and f.subtype in WAV_LINEAR_SUBTYPES:
        with open(path, "rb") as raw:
            return wav_data_frames(raw)
    if f.format == "MP3":
        with open(path, "rb") as raw:
            return f.frames if mp3_has_frame_count(raw) else None
    return None
