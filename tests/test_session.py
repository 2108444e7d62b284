"""TranscriptSession: runs on one timeline, clearing mid-run, kept audio, journal failures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

from livekr.audio import ArraySource
from livekr.config import SAMPLE_RATE, SessionOptions
from livekr.events import Failure, FailureKind, Final, Finished, LevelChanged, Partial
from livekr.journal import read_journal
from livekr.recording import AudioSpool, RecordingSource
from livekr.session import TranscriptSession
from livekr.transcript import Utterance


def utterance(index: int, text: str, start_s: float, end_s: float | None = None) -> Utterance:
    return Utterance(index=index, start_s=start_s, end_s=end_s if end_s is not None else start_s + 1.0,
                     text=text, confidence=0.9)


def final(index: int, text: str, start_s: float, end_s: float | None = None) -> Final:
    return Final(utterance(index, text, start_s, end_s), latency_s=0.1, forward_s=0.1)


def read_all(source: object, seconds: float) -> None:
    """Read ``seconds`` of audio from a started source (as the pipeline's reader would)."""
    wanted = round(seconds * SAMPLE_RATE)
    got = 0
    while got < wanted:
        block = source.read(0.1)  # type: ignore[attr-defined]
        assert block is not None
        got += block.size


def test_runs_follow_each_other_on_one_timeline(tmp_path: Path) -> None:
    session = TranscriptSession(journal_dir=tmp_path / "journal")
    source = ArraySource(np.zeros(SAMPLE_RATE, np.float32))
    assert session.begin_run(source, "m") is source  # no kept audio: read as it is
    session.handle(final(0, "하나", 1.0))
    session.handle(Finished(1, 5.0))
    session.begin_run(source, "m")
    [placed] = session.handle(final(0, "둘", 0.5))
    assert isinstance(placed, Final)
    assert (placed.utterance.index, placed.utterance.start_s) == (1, 5.5)
    [level] = session.handle(LevelChanged(2.0, -20.0, 0.1, True))
    assert isinstance(level, LevelChanged) and level.time_s == 7.0
    [partial] = session.handle(Partial(1, 0.25, 1.0, "셋"))
    assert isinstance(partial, Partial) and (partial.utterance, partial.start_s) == (2, 5.25)
    assert session.dirty and session.journal is not None
    assert [u.text for u in read_journal(session.journal.path).utterances] == ["하나", "둘"]
    session.save(tmp_path / "t.txt")
    assert not session.dirty and (tmp_path / "t.txt").read_text(encoding="utf-8") == "하나\n둘\n"
    session.close()


def test_clear_during_a_run_restarts_the_timeline_and_the_kept_audio(tmp_path: Path) -> None:
    ramp = (np.arange(6 * SAMPLE_RATE) % 20_000 / 40_000).astype(np.float32)  # audio with a position
    session = TranscriptSession(SessionOptions(keep_audio=True), journal_dir=tmp_path / "journal")
    source = session.begin_run(ArraySource(ramp, block_ms=20), "m")  # 2 s = 100 blocks
    source.start()
    read_all(source, 2.0)
    session.handle(final(0, "지울 말", 0.5, 1.5))
    session.handle(LevelChanged(2.0, -20.0, 0.1, True))
    journal = session.journal
    assert journal is not None
    session.clear()
    assert session.utterances == [] and journal.path.parent.name == "discarded"
    assert [u.text for u in read_journal(journal.path).utterances] == ["지울 말"]  # recoverable
    assert journal.spool_path.stat().st_size == 2 * 2 * SAMPLE_RATE  # with its 2 s of audio
    read_all(source, 2.0)
    [kept] = session.handle(final(1, "남을 말", 2.5, 3.5))
    session.handle(Finished(2, 4.0))
    assert isinstance(kept, Final)
    assert (kept.utterance.index, kept.utterance.start_s, kept.utterance.end_s) == (0, 0.5, 1.5)
    assert session.end_s == 2.0
    flac = session.save(tmp_path / "t.txt")
    assert flac is not None
    audio, rate = soundfile.read(flac, dtype="float32")
    assert rate == SAMPLE_RATE and audio.size == 2 * SAMPLE_RATE
    under = slice(round(0.5 * SAMPLE_RATE), round(1.5 * SAMPLE_RATE))
    spoken = ramp[round(2.5 * SAMPLE_RATE):round(3.5 * SAMPLE_RATE)]
    assert np.abs(audio[under] - spoken).max() < 1e-3  # the audio under the text is what was said
    session.close()


def test_a_final_in_progress_at_clear_starts_the_new_timeline(tmp_path: Path) -> None:
    session = TranscriptSession(journal_dir=None)
    session.begin_run(ArraySource(np.zeros(10, np.float32)), "m")
    session.handle(final(0, "앞", 0.2))
    session.handle(LevelChanged(3.0, -20.0, 0.1, True))
    session.clear()
    [placed] = session.handle(final(1, "걸친 말", 2.5, 4.0))
    assert isinstance(placed, Final)
    assert (placed.utterance.index, placed.utterance.start_s, placed.utterance.end_s) == (0, 0.0, 1.0)


def test_a_journal_that_cannot_be_written_is_reported_and_the_text_kept(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    session = TranscriptSession(journal_dir=blocker / "journal")
    shown = session.handle(final(0, "그래도 남는다", 0.0))
    assert isinstance(shown[0], Final)
    failure = shown[1]
    assert isinstance(failure, Failure) and failure.kind is FailureKind.JOURNAL
    assert "autosave journal" in failure.message and session.failures == [failure]
    assert [u.text for u in session.utterances] == ["그래도 남는다"]


def test_no_journal_when_autosave_is_off(tmp_path: Path) -> None:
    session = TranscriptSession(SessionOptions(autosave=False), journal_dir=tmp_path / "journal")
    session.handle(final(0, "하나", 0.0))
    assert session.journal is None and not (tmp_path / "journal").exists()


def test_recording_source_spools_what_it_reads(tmp_path: Path) -> None:
    samples = (np.sin(np.arange(SAMPLE_RATE) / 10) * 0.5).astype(np.float32)
    spool = AudioSpool(tmp_path / "a.pcm")
    spool.pad_to(SAMPLE_RATE // 2)
    source = RecordingSource(ArraySource(samples), spool)
    source.start()
    while (block := source.read(0.1)) is not None:
        assert block.size
    flac = spool.export_flac(tmp_path / "a.flac")
    audio, rate = soundfile.read(flac, dtype="float32")
    assert rate == SAMPLE_RATE and audio.size == SAMPLE_RATE * 3 // 2
    assert np.abs(audio[SAMPLE_RATE // 2:] - samples).max() < 1e-3
    spool.close()
    assert not (tmp_path / "a.pcm").exists()


def test_a_runs_name_becomes_its_utterances_source(tmp_path: Path) -> None:
    session = TranscriptSession(journal_dir=tmp_path / "journal")
    source = ArraySource(np.zeros(SAMPLE_RATE, np.float32))
    session.begin_run(source, "m", "/audio/a.wav")
    [placed] = session.handle(final(0, "파일", 1.0))
    session.handle(Finished(1, 2.0))
    session.begin_run(source, "m")
    [spoken] = session.handle(final(0, "말", 0.5))
    assert isinstance(placed, Final) and isinstance(spoken, Final)
    assert (placed.utterance.source, spoken.utterance.source) == ("/audio/a.wav", "")
    assert session.journal is not None
    assert [u.source for u in read_journal(session.journal.path).utterances] == ["/audio/a.wav", ""]
    session.close()
