"""livekr.audioheader: the length a WAV or MP3 header promises, found past large chunks and tags."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import soundfile

from livekr.audio import FileSource
from livekr.audioheader import mp3_has_frame_count, wav_data_frames


def pcm16_wav(frames: int, extra_chunk: bytes = b"", data_size: int | None = None) -> bytes:
    """A mono 16 kHz PCM_16 WAV with ``extra_chunk`` (name + body) before its data chunk."""
    samples = (np.sin(np.arange(frames) / 5) * 8000).astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, 16000, 32000, 2, 16)
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt
    if extra_chunk:
        name, body = extra_chunk[:4], extra_chunk[4:]
        chunks += name + struct.pack("<I", len(body)) + body + b"\0" * (len(body) & 1)
    size = len(samples) if data_size is None else data_size
    chunks += b"data" + struct.pack("<I", size) + samples
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def test_wav_length_is_found_past_a_large_odd_sized_chunk(tmp_path: Path) -> None:
    data = pcm16_wav(32000, extra_chunk=b"LIST" + b"x" * 100_001)  # larger than any first read
    assert wav_data_frames(io.BytesIO(data)) == 32000
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) - 16000 * 2])  # the last second is gone
    source = FileSource(cut)
    source.start()
    while source.read(0.1) is not None:
        pass
    assert source.warnings == [
        f"{cut}: the header says 2.0 s but only 1.0 s could be read; the file is truncated"
    ]


def test_streamed_wav_length_is_unknown_and_not_a_truncation(tmp_path: Path) -> None:
    data = pcm16_wav(16000, data_size=0xFFFFFFFF)  # what a writer on a pipe leaves in the header
    assert wav_data_frames(io.BytesIO(data)) is None
    path = tmp_path / "streamed.wav"
    path.write_bytes(data)
    source = FileSource(path)
    source.start()
    total = 0
    while (block := source.read(0.1)) is not None:
        total += block.size
    assert total == 16000
    assert source.warnings == []


def test_not_a_wav() -> None:
    assert wav_data_frames(io.BytesIO(b"fLaC\0\0\0\x22" + b"\0" * 40)) is None
    assert wav_data_frames(io.BytesIO(b"RIFF\0\0\0\0WAVE")) is None  # no chunks at all


def test_mp3_frame_count_is_found_after_an_id3_tag(tmp_path: Path) -> None:
    path = tmp_path / "t.mp3"
    soundfile.write(path, np.zeros(16000, dtype=np.float32), 16000, format="MP3", subtype="MPEG_LAYER_III")
    mp3 = path.read_bytes()
    assert mp3_has_frame_count(io.BytesIO(mp3))
    tag_size = 70_000  # e.g. cover art, larger than any first read
    syncsafe = bytes((tag_size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    tagged = b"ID3\x04\x00\x00" + syncsafe + b"\0" * tag_size + mp3
    assert mp3_has_frame_count(io.BytesIO(tagged))


def test_mp3_without_a_frame_count() -> None:
    # An MPEG frame header followed by audio data only: the length would be an estimate.
    assert not mp3_has_frame_count(io.BytesIO(b"\xff\xfb\x90\x64" + b"\x55" * 1000))
