"""The transcript in the window: following new text, Ctrl+F, corrections with undo (kept by
the journal), click to play, calmer marks, caption mode, and the can't-keep-up notice."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextCharFormat, QTextCursor

from livekr.audio import ArraySource
from livekr.config import SAMPLE_RATE
from livekr.events import Stats
from livekr.gui.i18n import tr
from livekr.gui.keep_up import BEHIND_S, SMALL_MODEL, BacklogWatch, remedies
from livekr.gui.transcript_view import CAPTION_UTTERANCES, TranscriptView
from livekr.journal import read_journal
from tests.conftest import ScriptedRecognizer
from tests.test_gui_widgets import utterance, view  # noqa: F401  (a fixture)
from tests.test_gui_window import (  # noqa: F401  (fixtures)
    SESSION_TIMEOUT_MS,
    ScriptedPrompter,
    app_settings,
    isolated,
    make_window,
    run_session,
    speech,
)


def fill(view: TranscriptView, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        view.add_final(utterance(i, f"문장 번호 {i} 입니다", start_s=float(i)))


def test_new_text_is_followed_until_the_user_scrolls_up_then_a_button_brings_it_back(view) -> None:  # type: ignore[no-untyped-def]
    bar = view.verticalScrollBar()
    fill(view, 30)
    assert bar.maximum() > 0 and bar.value() == bar.maximum() and view.following
    bar.setValue(0)  # the user reads back
    assert not view.following
    fill(view, 1, start=30)
    assert bar.value() == 0 and view.new_text_button.isVisible()
    view.new_text_button.click()
    assert bar.value() == bar.maximum() and not view.new_text_button.isVisible() and view.following


def test_a_banner_that_shrinks_the_view_does_not_stop_following(view) -> None:  # type: ignore[no-untyped-def]
    bar = view.verticalScrollBar()
    fill(view, 30)
    view.resize(500, 120)  # e.g. an error banner appears above the transcript
    fill(view, 1, start=30)
    assert view.following and bar.value() == bar.maximum()
    assert not view.new_text_button.isVisible()


def test_marks_follow_the_threshold_and_can_be_turned_off(view) -> None:  # type: ignore[no-untyped-def]
    view.add_final(utterance(0, "가나다", [0.9, 0.4, 0.2]))
    block = view.document().firstBlock()

    def marked() -> str:
        found = ""
        for i, ch in enumerate(block.text()):
            cursor = QTextCursor(block)
            cursor.setPosition(block.position() + i + 1)
            if cursor.charFormat().underlineStyle() == QTextCharFormat.UnderlineStyle.DotLine:
                found += ch
        return found

    view.set_low_confidence(0.3)
    block = view.document().firstBlock()
    assert marked() == "다"
    view.set_low_confidence(0.5)
    block = view.document().firstBlock()
    assert marked() == "나다"
    view.set_low_confidence(0.0)
    block = view.document().firstBlock()
    assert marked() == ""


def test_caption_mode_shows_only_the_last_lines(view) -> None:  # type: ignore[no-untyped-def]
    fill(view, 5)
    view.apply_style(30, caption=True)
    last = range(5 - CAPTION_UTTERANCES, 5)
    assert view.toPlainText().splitlines() == [f"문장 번호 {i} 입니다" for i in last]
    fill(view, 1, start=5)
    view.show_partial("말하는 중")
    assert view.toPlainText().splitlines()[-CAPTION_UTTERANCES - 1:] == [
        "문장 번호 4 입니다", "문장 번호 5 입니다", "말하는 중"]
    view.apply_style(16, caption=False)
    assert len(view.toPlainText().splitlines()) == 7  # everything again, partial included


def point_of(view: TranscriptView, position: int) -> QPoint:
    rect = view.paragraph_rect(position)
    return QPoint(rect.x() + 20, rect.y() + rect.height() // 3)


def test_click_asks_to_play_and_double_click_asks_to_edit_that_utterance(qtbot, view) -> None:  # type: ignore[no-untyped-def]
    fill(view, 3)
    view.scroll_to_end()
    with qtbot.waitSignal(view.play_requested) as play:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point_of(view, 2))
    assert play.args == [2]
    with qtbot.waitSignal(view.edit_requested) as edit:
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point_of(view, 1))
    assert edit.args == [1]


def test_find_highlights_every_match_and_steps_through_them(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window([], ScriptedRecognizer())
    for u in (utterance(0, "사과 하나"), utterance(1, "배 둘"), utterance(2, "사과 셋")):
        window.view.add_final(u)
    window.find_action.trigger()
    assert window.find_bar.isVisible()
    window.find_bar.field.setText("사과")  # (QTest types ASCII only)
    assert len(window.view.extraSelections()) == 2
    assert window.find_bar.count.text() == tr("find_count", count=2)
    first = window.view.textCursor().selectionStart()
    window.find_bar.find_next()
    second = window.view.textCursor().selectionStart()
    assert window.view.textCursor().selectedText() == "사과" and second > first
    window.find_bar.find_next()  # wraps around
    assert window.view.textCursor().selectionStart() == first
    qtbot.keyClick(window.find_bar, Qt.Key.Key_Escape)
    assert not window.find_bar.isVisible() and window.view.extraSelections() == []


def test_corrections_are_saved_journaled_and_undone(qtbot, make_window, speech, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window = make_window([ArraySource(speech(2))], ScriptedRecognizer(["안녕 하세요", "날씨 좋다"]),
                         settings=app_settings(partials=False))
    run_session(qtbot, window)
    assert window.view.committed_text() == "안녕 하세요\n날씨 좋다"
    window.corrections.begin(0)
    editor = window.corrections.editor
    assert editor.isVisible() and editor.text() == "안녕 하세요"
    editor.setText("안녕하세요")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert window.view.committed_text() == "안녕하세요\n날씨 좋다"
    journal = window.dictation.session.journal
    assert journal is not None
    assert [u.text for u in read_journal(journal.path).utterances] == ["안녕하세요", "날씨 좋다"]
    target = tmp_path / "out.txt"
    window.files.save_to(target)
    assert target.read_text(encoding="utf-8").splitlines() == ["안녕하세요", "날씨 좋다"]
    window.undo_action.trigger()
    assert window.view.committed_text() == "안녕 하세요\n날씨 좋다"
    assert read_journal(journal.path).utterances[0].text == "안녕 하세요"
    window.redo_action.trigger()
    assert window.view.committed_text().startswith("안녕하세요")
    window.corrections.begin(1)  # Esc drops an edit
    editor.setText("다른 글")
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert window.view.committed_text().endswith("날씨 좋다") and window.corrections.stack.count() == 1


class FakePlayer:
    def __init__(self) -> None:
        self.played: list[np.ndarray] = []

    def play(self, audio: np.ndarray) -> None:
        self.played.append(audio)


def test_clicking_an_utterance_plays_its_kept_audio(qtbot, make_window, speech) -> None:  # type: ignore[no-untyped-def]
    audio = speech(2)
    player = FakePlayer()
    window = make_window([ArraySource(audio)], ScriptedRecognizer(["하나", "둘"]), player=player,
                         settings=app_settings(partials=False, keep_audio=True))
    run_session(qtbot, window)
    second = window.view.utterances[1]
    window.view.play_requested.emit(1)
    assert len(player.played) == 1
    played = player.played[0]
    start = round((second.start_s - 0.15) * SAMPLE_RATE)
    expected = audio[start:start + played.size]
    assert abs(played.size / SAMPLE_RATE - (second.end_s - second.start_s + 0.3)) < 0.01
    assert np.max(np.abs(played - expected)) < 2e-4  # the same samples, through PCM16


def test_without_kept_audio_a_click_plays_nothing(qtbot, make_window, speech) -> None:  # type: ignore[no-untyped-def]
    player = FakePlayer()
    window = make_window([ArraySource(speech(1))], ScriptedRecognizer(["하나"]), player=player)
    run_session(qtbot, window)
    window.view.play_requested.emit(0)
    assert player.played == []


def stats(backlog_s: float) -> Stats:
    return Stats(10.0, backlog_s, 1, 0, 0, 2.5, 3.0, 0)


def test_backlog_watch_tells_once_when_the_delay_keeps_growing() -> None:
    watch = BacklogWatch()
    assert not any(watch.update(stats(b)) for b in (1.0, 5.0, 3.0, 5.0, 6.0))  # dipped below: reset
    assert watch.update(stats(BEHIND_S + 4))
    assert not watch.update(stats(BEHIND_S + 9))  # once per run
    watch.reset()
    assert not watch.update(stats(BEHIND_S + 1))


def test_remedies_offer_only_what_would_change_something() -> None:
    assert remedies("big/model", "CPU fp32", True) == ["engine", "model", "partials"]
    assert remedies(SMALL_MODEL, "CPU int8", False) == []
    assert remedies("big/model", "GPU fp16", False) == ["model"]


def test_the_notice_explains_the_delay_and_a_remedy_applies_in_one_click(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    loads: list[tuple[str, str, str]] = []

    def load(ref: str, options, **_) -> ScriptedRecognizer:  # type: ignore[no-untyped-def]
        loads.append((ref, options.backend, options.dtype))
        return ScriptedRecognizer()

    window = make_window([], ScriptedRecognizer(), load_model=load, settings=app_settings(partials=True))
    window.dictation.model_ref = "big/model"
    window.transcript.show_behind(12.4)
    bar = window.keep_up
    assert bar.isVisible() and "12" in bar.label.text() and "RTF" not in bar.label.text()
    assert [k for k, b in bar.buttons.items() if not b.isHidden()] == ["model", "partials"]  # "test" device
    bar.buttons["partials"].click()
    assert not window.settings.pipeline.partials and not bar.isVisible()
    with qtbot.waitSignal(window.dictation.model_ready, timeout=SESSION_TIMEOUT_MS):
        window.transcript.apply_remedy("model")
    with qtbot.waitSignal(window.dictation.model_ready, timeout=SESSION_TIMEOUT_MS):
        window.transcript.apply_remedy("engine")
    assert loads[0][0] == SMALL_MODEL and loads[1][1:] == ("onnx", "int8")


def test_export_corrections_writes_a_manifest_the_trainer_reads(qtbot, make_window, speech, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from trainer.data import read_manifest

    prompter = ScriptedPrompter()
    prompter.corrections = tmp_path / "mine"
    window = make_window([ArraySource(speech(2))], ScriptedRecognizer(["안녕 하세요", "날씨 좋다"]),
                         prompter=prompter, settings=app_settings(partials=False, keep_audio=True))
    run_session(qtbot, window)
    window.corrections.begin(0)
    window.corrections.editor.setText("안녕하세요")
    qtbot.keyClick(window.corrections.editor, Qt.Key.Key_Return)
    window.corrections_action.trigger()
    examples, _ = read_manifest(tmp_path / "mine" / "manifest.jsonl", 0.1, 30.0)
    assert [e.text for e in examples] == ["안녕하세요", "날씨 좋다"]


def test_export_corrections_without_kept_audio_says_how_to_get_it(  # type: ignore[no-untyped-def]
        qtbot, make_window, speech, tmp_path) -> None:
    prompter = ScriptedPrompter()
    prompter.corrections = tmp_path / "mine"
    window = make_window([ArraySource(speech(1))], ScriptedRecognizer(["하나"]), prompter=prompter,
                         settings=app_settings(partials=False))
    run_session(qtbot, window)
    window.corrections_action.trigger()
    assert window.message_bar.text() == tr("corrections_no_audio")
    assert not (tmp_path / "mine").exists()


def test_in_caption_mode_a_final_replaces_the_partial(view) -> None:  # type: ignore[no-untyped-def]
    view.apply_style(30, caption=True)
    fill(view, 2)
    view.show_partial("문장 번호 2")
    fill(view, 1, start=2)
    assert view.toPlainText().splitlines() == ["문장 번호 1 입니다", "문장 번호 2 입니다"]
    assert view.partial_text() == ""


def test_a_correction_while_reading_back_keeps_the_place(view) -> None:  # type: ignore[no-untyped-def]
    fill(view, 30)
    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum() // 3)
    place = bar.value()
    utterances = view.utterances
    utterances[5] = utterances[5].with_text("고친 문장")
    view.set_utterances(utterances)
    assert bar.value() == place and not view.following


def test_shift_enter_in_find_goes_back(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window([], ScriptedRecognizer())
    for i in range(3):
        window.view.add_final(utterance(i, f"사과 {i}"))
    window.find_action.trigger()
    window.find_bar.field.setText("사과")
    first = window.view.textCursor().selectionStart()
    qtbot.keyClick(window.find_bar.field, Qt.Key.Key_Return)
    second = window.view.textCursor().selectionStart()
    qtbot.keyClick(window.find_bar.field, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert second > first and window.view.textCursor().selectionStart() == first


def test_clearing_forgets_the_corrections_so_undo_cannot_touch_new_text(  # type: ignore[no-untyped-def]
        qtbot, make_window, speech) -> None:
    prompter = ScriptedPrompter(clear=True)
    window = make_window([ArraySource(speech(1)), ArraySource(speech(1))],
                         ScriptedRecognizer(["첫 글", "새 글"]), prompter=prompter,
                         settings=app_settings(partials=False))
    run_session(qtbot, window)
    window.corrections.begin(0)
    window.corrections.editor.setText("고친 글")
    qtbot.keyClick(window.corrections.editor, Qt.Key.Key_Return)
    assert window.undo_action.isEnabled()
    window.clear_action.trigger()
    run_session(qtbot, window)
    assert not window.undo_action.isEnabled()
    assert window.view.committed_text() == "새 글"


def test_copy_all_copies_the_transcript_as_text(qtbot, make_window, speech) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QGuiApplication

    window = make_window([ArraySource(speech(2))], ScriptedRecognizer(["하나", "둘"]),
                         settings=app_settings(partials=False))
    run_session(qtbot, window)
    window.copy_all_action.trigger()
    assert QGuiApplication.clipboard().text() == "하나\n둘"
