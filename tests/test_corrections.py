"""Export Corrections: clips of the kept audio with their corrected text, a manifest the
trainer reads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

from livekr.audio import ArraySource
from livekr.config import SAMPLE_RATE, SessionOptions
from livekr.corrections import MANIFEST_NAME, clip_span, export_corrections
from livekr.events import Final, Finished
from livekr.session import TranscriptSession
from livekr.text import normalize
from livekr.transcript import Utterance
from trainer.data import load_audio, read_manifest

SR = SAMPLE_RATE


def ramp(seconds: float) -> np.ndarray:
    """int16 samples whose value tells their position (to check what was cut)."""
    return (np.arange(round(seconds * SR)) % 30_000).astype("<i2")


def write_spool(path: Path, samples: np.ndarray) -> Path:
    path.write_bytes(samples.astype("<i2").tobytes())
    return path


@pytest.mark.parametrize(
    ("start_s", "end_s", "spool_s", "expected"),
    [
        (1.0, 2.0, 5.0, slice(round(0.9 * SR), round(2.1 * SR))),  # 0.1 s either side
        (0.05, 1.0, 5.0, slice(0, round(1.1 * SR))),  # the pad stops at the start
        (4.0, 5.0, 5.0, slice(round(3.9 * SR), 5 * SR)),  # ... and at the end of the spool
        (1.0, 20.96, 30.0, slice(round(0.98 * SR), round(20.98 * SR))),  # shrunk to stay within 20 s
        (1.0, 22.0, 30.0, slice(1 * SR, 22 * SR)),  # longer than 20 s: no pad, not cut
        (4.5, 5.5, 5.0, None),  # runs past the spool (its tail lost in a crash)
        (6.0, 7.0, 5.0, None),  # after the spool
        (2.0, 2.0, 5.0, None),  # empty span
    ],
)
def test_clip_span(start_s: float, end_s: float, spool_s: float, expected: slice | None) -> None:
    assert clip_span(start_s, end_s, round(spool_s * SR)) == expected


def test_clips_and_manifest_are_what_the_trainer_reads(tmp_path: Path) -> None:
    audio = ramp(10.0)
    spool = write_spool(tmp_path / "s.pcm", audio)
    utterances = [
        Utterance(0, 0.5, 2.0, "안년하세요", 0.6).with_text("안녕하세요, 여러분!"),
        Utterance(1, 2.5, 3.0, "", 0.0),  # nothing recognised
        Utterance(2, 3.5, 5.0, "지울 말", 0.7).with_text("  "),  # deleted by an edit
        Utterance(3, 6.0, 8.0, "오늘 날씨가 좋습니다", 0.9),
        Utterance(4, 9.5, 10.5, "잘린 끝", 0.9),  # past the end of the spool
    ]
    target = tmp_path / "corrections"
    report = export_corrections(utterances, spool, target)
    assert (report.written, report.skipped_empty, report.skipped_outside, report.skipped) == (2, 2, 1, 3)
    assert report.manifest == target / MANIFEST_NAME
    assert report.total_s == pytest.approx(1.7 + 2.2)
    rows = [json.loads(line) for line in report.manifest.read_text(encoding="utf-8").splitlines()]
    assert rows == [
        {"audio": "clips/0000.flac", "text": "안녕하세요, 여러분!", "start": 0.5, "end": 2.0, "index": 0,
         "edited": True},
        {"audio": "clips/0003.flac", "text": "오늘 날씨가 좋습니다", "start": 6.0, "end": 8.0, "index": 3,
         "edited": False},
    ]
    clip, rate = soundfile.read(target / "clips" / "0003.flac", dtype="int16")
    assert rate == SR and np.array_equal(clip, audio[round(5.9 * SR):round(8.1 * SR)])
    examples, skipped = read_manifest(report.manifest, min_s=0.3, max_s=20.0)
    assert skipped.total == 0
    assert [ex.text for ex in examples] == [normalize(row["text"]) for row in rows]
    assert examples[0].text == "안녕하세요 여러분"  # as the trainer normalises it
    assert [ex.duration_s for ex in examples] == pytest.approx([1.7, 2.2])
    assert load_audio(examples[1].audio).size == round(2.2 * SR)
    assert sorted(p.name for p in target.iterdir()) == ["clips", MANIFEST_NAME]  # no temporary file


def test_only_edited_and_a_second_export_replaces_the_manifest(tmp_path: Path) -> None:
    spool = write_spool(tmp_path / "s.pcm", ramp(4.0))
    utterances = [Utterance(0, 0.5, 1.5, "하나", 0.9), Utterance(1, 2.0, 3.0, "둘", 0.9).with_text("두울")]
    target = tmp_path / "corrections"
    assert export_corrections(utterances, spool, target).written == 2
    report = export_corrections(utterances, spool, target, only_edited=True)
    assert (report.written, report.skipped) == (1, 0)
    lines = report.manifest.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["text"] for line in lines] == ["두울"]


def test_an_empty_spool_leaves_everything_out(tmp_path: Path) -> None:
    spool = write_spool(tmp_path / "s.pcm", np.zeros(0, "<i2"))
    report = export_corrections([Utterance(0, 0.0, 1.0, "하나", 0.9)], spool, tmp_path / "c")
    assert (report.written, report.skipped_outside, report.total_s) == (0, 1, 0.0)
    assert report.manifest.read_text(encoding="utf-8") == ""


def test_a_session_exports_its_corrections_from_its_kept_audio(tmp_path: Path) -> None:
    samples = (ramp(3.0) / 32768).astype(np.float32)
    session = TranscriptSession(SessionOptions(keep_audio=True), journal_dir=tmp_path / "journal")
    source = session.begin_run(ArraySource(samples), "m")
    source.start()
    while source.read(0.1) is not None:
        pass
    session.handle(Final(Utterance(0, 0.5, 1.5, "안년", 0.5), latency_s=0.1, forward_s=0.1))
    session.handle(Final(Utterance(1, 2.0, 2.8, "그대로", 0.9), latency_s=0.1, forward_s=0.1))
    session.handle(Finished(2, 3.0))
    session.edit(0, "안녕")
    report = session.export_corrections(tmp_path / "corrections", only_edited=True)
    assert report is not None and report.written == 1
    [row] = [json.loads(line) for line in report.manifest.read_text(encoding="utf-8").splitlines()]
    assert (row["text"], row["edited"]) == ("안녕", True)
    clip, _ = soundfile.read(report.manifest.parent / row["audio"], dtype="float32")
    assert np.abs(clip - samples[round(0.4 * SR):round(1.6 * SR)]).max() < 1e-3
    session.close()


def test_a_session_without_kept_audio_exports_nothing(tmp_path: Path) -> None:
    session = TranscriptSession(journal_dir=None)
    session.handle(Final(Utterance(0, 0.5, 1.5, "하나", 0.5), latency_s=0.1, forward_s=0.1))
    assert session.export_corrections(tmp_path / "corrections") is None
    assert not (tmp_path / "corrections").exists()
