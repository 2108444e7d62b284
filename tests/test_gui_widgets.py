"""The window's parts on their own: transcript view, level meter, settings, menus, strings,
and Qt's signal emission."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QTextCharFormat, QTextCursor

from livekr.audio import AudioError
from livekr.config import (
    PipelineOptions,
    RecognizerOptions,
    SegmenterOptions,
    SessionOptions,
)
from livekr.gui import i18n
from livekr.gui.level_meter import FLOOR_DB, LevelMeter, level_fraction
from livekr.gui.menus import InputMenu, ModelMenu
from livekr.gui.qtcompat import emit
from livekr.gui.settings import (
    GROUPS,
    AppSettings,
    SettingsDialog,
    WindowOptions,
    load_settings,
    save_settings,
)
from livekr.gui.transcript_view import TranscriptView, clock
from livekr.microphone import InputDevice
from livekr.models import CheckpointInfo
from livekr.options import declared
from livekr.transcript import CharSpan, Utterance


def utterance(index: int, text: str, confidences: list[float] | None = None,
              start_s: float = 0.0) -> Utterance:
    letters = [c for c in text if not c.isspace()]
    confidences = confidences or [0.9] * len(letters)
    chars = tuple(CharSpan(c, i * 0.2, i * 0.2 + 0.2, conf)
                  for i, (c, conf) in enumerate(zip(letters, confidences, strict=True)))
    return Utterance(index, start_s, start_s + 0.2 * len(letters), text,
                     float(np.mean(confidences)), chars)


@pytest.fixture
def view(qtbot) -> TranscriptView:  # type: ignore[no-untyped-def]
    widget = TranscriptView()
    qtbot.addWidget(widget)
    widget.resize(600, 300)
    widget.show()
    return widget


def test_partial_is_replaced_in_place_after_committed_text(view: TranscriptView) -> None:
    view.show_partial("안")
    view.show_partial("안녕")
    assert view.toPlainText() == "안녕"
    view.add_final(utterance(0, "안녕하세요"))
    assert view.toPlainText() == "안녕하세요" and view.partial_text() == ""
    view.show_partial("반")
    view.show_partial("반갑")
    assert view.toPlainText() == "안녕하세요\n반갑"
    assert view.document().firstBlock().text() == "안녕하세요"
    view.add_final(utterance(1, "반갑습니다"))
    view.clear_partial()
    assert view.toPlainText() == "안녕하세요\n반갑습니다"
    assert view.committed_text() == "안녕하세요\n반갑습니다"


def test_partial_differs_from_finals_by_colour_not_synthetic_italics(view: TranscriptView) -> None:
    view.add_final(utterance(0, "가나"))
    view.show_partial("다라")
    cursor = QTextCursor(view.document().lastBlock())
    cursor.movePosition(QTextCursor.MoveOperation.NextCharacter)
    first = QTextCursor(view.document().firstBlock())
    first.movePosition(QTextCursor.MoveOperation.NextCharacter)
    assert not cursor.charFormat().fontItalic() and not first.charFormat().fontItalic()
    assert cursor.charFormat().foreground().color() != first.charFormat().foreground().color()


def test_low_confidence_characters_are_marked_with_their_time(view: TranscriptView) -> None:
    view.add_final(utterance(0, "가 나다", [0.9, 0.2, 0.9], start_s=61.0))
    block = view.document().firstBlock()
    formats = {}
    for position, char in enumerate(block.text()):
        cursor = QTextCursor(block)
        cursor.setPosition(block.position() + position + 1)
        formats[char] = cursor.charFormat()
    wave = QTextCharFormat.UnderlineStyle.DotLine
    assert formats["나"].underlineStyle() == wave
    assert formats["가"].underlineStyle() != wave
    assert "20" in formats["나"].toolTip() and "1:01.2" in formats["나"].toolTip()
    assert "1:01.0" in formats["가"].toolTip()  # the utterance's span
    cursor = QTextCursor(block)
    cursor.setPosition(block.position() + 2)  # before "나"
    rect = view.cursorRect(cursor)
    tip = view.tooltip_at(rect.center() + type(rect.center())(3, 0))
    assert tip == formats["나"].toolTip()


def test_restyle_keeps_text_and_caption_mode_is_dark(view: TranscriptView) -> None:
    view.add_final(utterance(0, "자막"))
    view.show_partial("모드")
    view.apply_style(32, caption=True)
    assert view.toPlainText() == "자막\n모드"
    assert view.document().defaultFont().pointSize() == 32
    assert "#000000" in view.styleSheet()


def test_clock_format() -> None:
    assert clock(0) == "0:00.0"
    assert clock(75.25) == "1:15.2"
    assert clock(3725) == "1:02:05.0"


def test_level_meter_follows_levels() -> None:
    assert level_fraction(FLOOR_DB) == 0.0 and level_fraction(0.0) == 1.0
    assert level_fraction(-30.0) == pytest.approx(0.5)


def test_level_meter_peak_falls_back(qtbot) -> None:  # type: ignore[no-untyped-def]
    meter = LevelMeter()
    qtbot.addWidget(meter)
    meter.show()
    meter.set_level(-10.0, speech=True)
    meter.set_level(-50.0, speech=False)
    assert meter.rms_db == -50.0 and -11.0 < meter.peak_db < -10.0
    meter.grab()  # paints without errors
    meter.reset()
    assert meter.peak_db == FLOOR_DB


def test_settings_round_trip_and_bad_values(tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    store = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    assert load_settings(store) == AppSettings()
    chosen = AppSettings(
        segmenter=SegmenterOptions(end_silence_ms=900, aggressiveness=3),
        pipeline=PipelineOptions(partials=False),
        recognizer=RecognizerOptions(device="cuda:1", dtype="fp32"),
        session=SessionOptions(input_device="USB Mic", keep_audio=True),
        window=WindowOptions(font_pt=22, caption_mode=True, language="ko"),
    )
    save_settings(store, chosen)
    again = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    assert load_settings(again) == chosen
    again.setValue("recognizer/device", "tpu")
    again.setValue("window/font_pt", "huge")
    again.setValue("segmenter/aggressiveness", 7)
    loaded = load_settings(again)
    assert loaded.recognizer.device == "auto" and loaded.recognizer.dtype == "fp32"
    assert loaded.window.font_pt == WindowOptions().font_pt and loaded.window.caption_mode
    assert loaded.segmenter.aggressiveness == SegmenterOptions().aggressiveness
    assert loaded.segmenter.end_silence_ms == 900


def test_settings_dialog_has_a_field_per_declared_option_and_edits_a_copy(qtbot) -> None:  # type: ignore[no-untyped-def]
    base = AppSettings()
    dialog = SettingsDialog(base)
    qtbot.addWidget(dialog)
    shown = {(g, o.name) for g in GROUPS for o in declared(type(getattr(base, g))) if o.spec.dialog}
    assert set(dialog.fields) == shown
    assert ("segmenter", "end_silence_ms") in shown and ("window", "language") in shown
    dialog.fields[("segmenter", "end_silence_ms")].setValue(1200)  # type: ignore[attr-defined]
    dialog.fields[("window", "caption_mode")].setChecked(True)  # type: ignore[attr-defined]
    dtype = dialog.fields[("recognizer", "dtype")]
    dtype.setCurrentIndex(dtype.findData("bf16"))  # type: ignore[attr-defined]
    values = dialog.values()
    assert values.segmenter.end_silence_ms == 1200 and values.window.caption_mode
    assert values.recognizer.dtype == "bf16" and base == AppSettings()


def test_settings_dialog_refuses_a_value_no_option_accepts(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = SettingsDialog(AppSettings())
    qtbot.addWidget(dialog)
    device = dialog.fields[("recognizer", "device")]
    device.setEditText("cuda:0")  # type: ignore[attr-defined]
    assert dialog.values().recognizer.device == "cuda:0"
    device.setEditText("gpu")  # type: ignore[attr-defined]
    dialog.accept()
    assert dialog.result() != dialog.DialogCode.Accepted and "device" in dialog.problem.text()


def test_string_table_is_complete() -> None:
    for key, texts in i18n.STRINGS.items():
        assert len(texts) == len(i18n.LANGUAGES) and all(texts), key
        fields = [sorted(re.findall(r"{(\w+)}", t)) for t in texts]
        assert all(f == fields[0] for f in fields), key
    try:
        assert i18n.set_language("ko") == "ko" and i18n.tr("stop") == "■ 중지"
        assert i18n.set_language("en") == "en" and i18n.tr("saved", path="a") == "Saved a"
        assert i18n.set_language("") in i18n.LANGUAGES
    finally:
        i18n.set_language("en")


def test_model_menu_lists_checkpoints_hub_and_recent(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    local = CheckpointInfo(str(tmp_path / "mine"), "mine", tmp_path / "mine",
                           {"base_model": "tiny", "cer": 50.0, "vocab_kind": "jamo"})
    menu = ModelMenu(checkpoints=lambda: [local], recent=lambda: ["Bingsu/distilhubert-ko-zeroth"])
    qtbot.addWidget(menu)
    menu.set_current(local.ref)
    actions = {a.text(): a for a in menu.actions() if a.text()}
    assert actions["mine"].isChecked()
    assert "CER: 50.00 %" in actions["mine"].toolTip() and "jamo" in actions["mine"].toolTip()
    assert "1.78 %" in actions["kresnik/wav2vec2-large-xlsr-korean"].toolTip()
    chosen: list[str] = []
    menu.chosen.connect(chosen.append)
    actions["Bingsu/distilhubert-ko-zeroth"].trigger()
    assert chosen == ["Bingsu/distilhubert-ko-zeroth"]
    menu.set_loading("Bingsu/distilhubert-ko-zeroth")
    by_ref = {a.data(): a for a in menu.actions() if a.data()}
    assert all(a.isEnabled() for a in by_ref.values())  # usable while a model downloads
    assert by_ref["Bingsu/distilhubert-ko-zeroth"].text().endswith(i18n.tr("menu_loading"))
    assert by_ref[local.ref].text() == "mine"


def test_input_menu_lists_devices_and_explains_problems(qtbot) -> None:  # type: ignore[no-untyped-def]
    mic = InputDevice(3, "USB Mic", 1, 48000.0, "ALSA", False)
    results: list[object] = [[mic], AudioError("the microphone needs PortAudio, which is missing")]

    def devices() -> list[InputDevice]:
        result = results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result  # type: ignore[return-value]

    menu = InputMenu(devices, current="USB Mic")
    qtbot.addWidget(menu)
    menu.refresh()
    checked = [a.text() for a in menu.actions() if a.isChecked()]
    assert checked == ["USB Mic"]
    problems: list[str] = []
    menu.problem.connect(problems.append)
    menu.refresh()
    assert "PortAudio" in problems[0]
    assert any("PortAudio" in a.toolTip() for a in menu.actions())


class _Emitter(QObject):
    ping = Signal(object)


def test_emit_does_not_drain_references_to_true(qtbot) -> None:  # type: ignore[no-untyped-def]
    sender = _Emitter()
    before = sys.getrefcount(True)
    for _ in range(2000):
        emit(sender.ping, None)
    assert abs(sys.getrefcount(True) - before) < 50
