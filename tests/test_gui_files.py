"""File → Transcribe Files… and dropped files: the queue, its panel, the transcript's sections,
cancelling, unreadable files, turns with dictation, saving and closing. The real window,
offscreen, with a scripted recognizer (and once a tiny real checkpoint); waits on signals."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from livekr.audio import ArraySource
from livekr.config import SAMPLE_RATE, PipelineOptions
from livekr.gui.file_jobs import FileJob, JobState
from livekr.gui.file_panel import local_files, refusal, state_text
from livekr.gui.file_worker import file_pipeline_options
from livekr.gui.i18n import tr
from livekr.gui.main_window import MainWindow
from tests.conftest import ScriptedRecognizer, silence
from tests.test_gui_window import (  # noqa: F401  (fixtures)
    SESSION_TIMEOUT_MS,
    HoldingSource,
    ScriptedPrompter,
    app_settings,
    finished,
    isolated,
    make_window,
    speech,
)


class FilePrompter(ScriptedPrompter):
    """Also answers File → Transcribe Files… with ``files``."""

    def __init__(self, files: list[Path] | None = None) -> None:
        super().__init__()
        self.files = list(files or [])

    def audio_files(self, parent: object) -> list[Path]:
        self.asked.append("audio_files")
        return list(self.files)


def write_wav(path: Path, audio: np.ndarray) -> Path:
    soundfile.write(str(path), audio, SAMPLE_RATE)
    return path


def queue_ended(qtbot, window: MainWindow):  # type: ignore[no-untyped-def]
    """A ``waitSignal`` for the file queue's end (no file runs any more)."""
    return qtbot.waitSignal(window.dictation.files.idle, timeout=SESSION_TIMEOUT_MS)


def record_jobs(window: MainWindow) -> list[FileJob]:
    """Every snapshot of every job, as the panel received them."""
    seen: list[FileJob] = []
    window.dictation.files.job_added.connect(seen.append)
    window.dictation.files.job_changed.connect(seen.append)
    return seen


def last(seen: list[FileJob], path: Path) -> FileJob:
    return [job for job in seen if job.path == path][-1]


def texts_and_sources(window: MainWindow) -> list[tuple[str, str]]:
    return [(u.text, Path(u.source).name) for u in window.dictation.session.utterances]


def drag_enter(window: MainWindow, mime: QMimeData) -> bool:
    event = QDragEnterEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, event)
    return event.isAccepted()


def drop(window: MainWindow, mime: QMimeData) -> None:
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, event)


def file_urls(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


# -- pure parts ------------------------------------------------------------------------------


def test_state_text_says_why_a_file_waits_or_failed() -> None:
    job = FileJob(1, Path("/x/a.wav"), 10.0)
    assert state_text(job) == tr("file_waiting")
    assert state_text(FileJob(1, Path("a.wav"), 10.0, held=True)) == tr("file_held")
    failed = FileJob(1, Path("a.wav"), 0.0, JobState.FAILED, reason="a.wav is empty")
    assert "a.wav is empty" in state_text(failed)
    assert FileJob(1, Path("a.wav"), 10.0, JobState.RUNNING, done_s=10.0).percent == 99
    assert FileJob(1, Path("a.wav"), 10.0, JobState.DONE, done_s=5.0).percent == 100
    assert FileJob(1, Path("a.wav"), 0.0, JobState.RUNNING).percent == 0


def test_dropped_urls_are_split_into_audio_and_refused(tmp_path: Path) -> None:
    mime = file_urls(tmp_path / "a.WAV", tmp_path / "notes.txt", tmp_path / "b.flac")
    mime.setUrls([*mime.urls(), QUrl("https://example.com/c.mp3")])
    audio, refused = local_files(mime)
    assert audio == [tmp_path / "a.WAV", tmp_path / "b.flac"]
    assert refused == ["notes.txt", "https://example.com/c.mp3"]
    message = refusal(["1.txt", "2.txt", "3.txt", "4.txt"])
    assert "1.txt, 2.txt, 3.txt, …" in message and "4.txt" not in message and "FLAC" in message


def test_files_are_read_without_partials() -> None:
    options = file_pipeline_options(PipelineOptions(partials=True, parallel_finals=2))
    assert not options.partials and options.parallel_finals == 2


# -- the window ------------------------------------------------------------------------------


def test_two_files_become_two_sections_in_order(qtbot, make_window, speech, tmp_path) -> None:
    a = write_wav(tmp_path / "a.wav", speech(1))
    b = write_wav(tmp_path / "b.wav", speech(2))
    prompter = FilePrompter([a, b])
    window = make_window([], ScriptedRecognizer(["첫 파일", "둘째", "셋째"]), prompter=prompter)
    seen = record_jobs(window)
    with queue_ended(qtbot, window):
        window.transcribe_files_action.trigger()
        assert window.file_panel.isVisible() and len(window.file_panel.rows) == 2
    assert texts_and_sources(window) == [("첫 파일", "a.wav"), ("둘째", "b.wav"), ("셋째", "b.wav")]
    assert window.view.toPlainText() == "a.wav\n첫 파일\nb.wav\n둘째\n셋째"
    assert window.view.committed_text() == "첫 파일\n둘째\n셋째"
    for path in (a, b):
        assert last(seen, path).state is JobState.DONE and last(seen, path).percent == 100
    running = [job.percent for job in seen if job.path == b and job.state is JobState.RUNNING]
    assert running == sorted(running) and len(running) > 2  # progress as the file is read
    utterances = window.dictation.session.utterances
    assert utterances[1].start_s >= len(speech(1)) / SAMPLE_RATE > utterances[0].end_s  # one timeline
    assert window.dictation.session.dirty and not window.dictation.busy
    assert not window.file_panel.isVisible()  # every file done: the list goes
    assert window.statusBar().currentMessage() == tr("files_done", count=2)


def test_cancelling_a_running_file_lets_the_next_run(qtbot, make_window, speech, tmp_path) -> None:
    a = write_wav(tmp_path / "a.wav", speech(1))
    b = write_wav(tmp_path / "b.wav", speech(1))
    gate = threading.Event()
    recognizer = ScriptedRecognizer(["취소될 말", "남는 말"], gate=gate)
    window = make_window([], recognizer)
    window.dictation.files.add([a, b])
    qtbot.waitUntil(recognizer.entered.is_set, timeout=SESSION_TIMEOUT_MS)
    window.record_button.click()  # refused while a file runs, saying why
    assert window.message_bar.text() == tr("files_record_busy") and not window.dictation.running
    rows = window.file_panel.rows
    first, second = (rows[n] for n in sorted(rows))
    assert first.state.text() == tr("file_running") and second.state.text() == tr("file_waiting")
    with queue_ended(qtbot, window):
        first.cancel_button.click()
        assert first.state.text() == tr("file_cancelled") and not first.cancel_button.isEnabled()
        gate.set()
    assert texts_and_sources(window) == [("남는 말", "b.wav")]  # nothing of the cancelled file
    assert second.state.text() == tr("file_done") and second.progress.value() == 100
    assert first.state.text() == tr("file_cancelled")
    assert window.file_panel.isVisible()  # one was cancelled: the list stays until closed
    window.file_panel.close_button.click()
    assert not window.file_panel.isVisible() and window.dictation.files.jobs == []


def test_an_unreadable_file_says_why_and_the_next_is_transcribed(qtbot, make_window, speech,
                                                                  tmp_path) -> None:
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"this is not a wave file at all" * 10)
    good = write_wav(tmp_path / "good.wav", speech(1))
    window = make_window([], ScriptedRecognizer(["잘 읽힘"]))
    with queue_ended(qtbot, window):
        window.dictation.files.add([bad, good])
        assert "broken.wav" in window.message_bar.text()
    assert texts_and_sources(window) == [("잘 읽힘", "good.wav")]
    rows = window.file_panel.rows
    bad_row, good_row = (rows[n] for n in sorted(rows))
    assert bad_row.state.text().startswith(tr("file_failed_state", reason=""))
    assert "not audio that livekr can read" in bad_row.state.toolTip()
    assert good_row.state.text() == tr("file_done")


def test_a_file_gone_before_its_turn_fails_and_the_queue_goes_on(qtbot, make_window, speech,
                                                                  tmp_path) -> None:
    first = write_wav(tmp_path / "first.wav", speech(1))
    gone = write_wav(tmp_path / "gone.wav", speech(1))
    last_one = write_wav(tmp_path / "last.wav", speech(1))
    gate = threading.Event()
    recognizer = ScriptedRecognizer(["처음", "마지막"], gate=gate)
    window = make_window([], recognizer)
    seen = record_jobs(window)
    window.dictation.files.add([first, gone, last_one])
    qtbot.waitUntil(recognizer.entered.is_set, timeout=SESSION_TIMEOUT_MS)
    gone.unlink()
    with queue_ended(qtbot, window):
        gate.set()
    assert texts_and_sources(window) == [("처음", "first.wav"), ("마지막", "last.wav")]
    failed = last(seen, gone)
    assert failed.state is JobState.FAILED and "no such file" in failed.reason
    assert "gone.wav" in window.message_bar.text() and "no such file" in window.message_bar.text()
    assert window.dictation.session.failures  # kept with the session, as a run's failures are


def test_dropped_audio_files_are_queued_and_others_refused(qtbot, make_window, speech,
                                                           tmp_path) -> None:
    a = write_wav(tmp_path / "dropped.flac", speech(1))
    notes = tmp_path / "notes.txt"
    notes.write_text("메모", encoding="utf-8")
    window = make_window([], ScriptedRecognizer(["끌어다 놓음"]))
    assert window.acceptDrops()
    assert not drag_enter(window, file_urls(notes))
    assert drag_enter(window, file_urls(notes, a))
    with queue_ended(qtbot, window):
        drop(window, file_urls(notes, a))
    assert "notes.txt" in window.message_bar.text()
    assert texts_and_sources(window) == [("끌어다 놓음", "dropped.flac")]


def test_without_a_model_no_file_is_asked_for(qtbot, make_window, tmp_path) -> None:
    prompter = FilePrompter()
    window = make_window([], None, prompter=prompter)
    window.transcribe_files_action.trigger()
    drop(window, file_urls(tmp_path / "a.wav"))
    assert window.message_bar.text() == tr("files_need_model")
    assert "audio_files" not in prompter.asked and window.dictation.files.jobs == []


def test_files_wait_for_dictation_and_save_with_headings(qtbot, make_window, speech, tmp_path) -> None:
    a = write_wav(tmp_path / "a.wav", speech(1))
    live = HoldingSource(speech(1), hold_s=1.3)
    window = make_window([live, ArraySource(speech(1))],
                         ScriptedRecognizer(["말한 것", "파일 내용", "다시 말함"]),
                         settings=app_settings(partials=False))
    window.record_button.click()
    qtbot.waitUntil(lambda: live.given >= live.hold_samples, timeout=SESSION_TIMEOUT_MS)
    window.dictation.files.add([a])
    (row,) = window.file_panel.rows.values()
    assert row.state.text() == tr("file_held")  # the file waits for the recording
    with queue_ended(qtbot, window), finished(qtbot, window):
        window.record_button.click()  # Stop: the file starts once the run has drained
    with finished(qtbot, window):
        window.record_button.click()  # dictation again, once the file is done
    assert texts_and_sources(window) == [("말한 것", ""), ("파일 내용", "a.wav"), ("다시 말함", "")]
    assert window.view.toPlainText() == f"말한 것\na.wav\n파일 내용\n{tr('dictation_heading')}\n다시 말함"
    target = tmp_path / "out.txt"
    assert window.files.save_to(target)
    assert target.read_text(encoding="utf-8") == "말한 것\n\n[a.wav]\n파일 내용\n\n[dictation]\n다시 말함\n"
    assert window.files.save_to(tmp_path / "out.json")
    assert '"source": "' + str(a) + '"' in (tmp_path / "out.json").read_text(encoding="utf-8")


def test_closing_during_a_file_cancels_it_and_closes(qtbot, make_window, speech, tmp_path) -> None:
    a = write_wav(tmp_path / "two.wav", speech(2))
    gate = threading.Event()
    recognizer = ScriptedRecognizer(["첫 말"], gate=gate)
    window = make_window([], recognizer)
    files = window.dictation.files
    files.add([a, a])
    qtbot.waitUntil(recognizer.entered.is_set, timeout=SESSION_TIMEOUT_MS)
    window.close()
    assert window.isVisible() and files.busy  # the forward pass in progress ends first
    gate.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=SESSION_TIMEOUT_MS)
    assert not files.busy and not window.dictation.busy
    assert [job.state for job in files.jobs] == [JobState.CANCELLED, JobState.CANCELLED]
    assert window.dictation.session.utterances == []  # nothing of the cancelled files


@pytest.mark.slow
def test_a_file_with_a_tiny_real_checkpoint(qtbot, make_window, tiny_wav2vec2, speak, tmp_path) -> None:
    clip = np.concatenate([silence(0.3), speak("대한민국은 민주공화국이다"), silence(1.0)])
    a = write_wav(tmp_path / "real.wav", clip)
    window = make_window([])
    with qtbot.waitSignal(window.dictation.model_ready, timeout=60_000):
        window.dictation.load_model(str(tiny_wav2vec2))
    seen = record_jobs(window)
    with queue_ended(qtbot, window):
        window.dictation.files.add([a])
    assert last(seen, a).state is JobState.DONE, window.message_bar.text()
    assert not window.file_panel.rows  # all done: the list is gone
    assert window.dictation.session.end_s == pytest.approx(clip.size / SAMPLE_RATE, abs=0.05)
    assert all(u.source == str(a) for u in window.dictation.session.utterances)
