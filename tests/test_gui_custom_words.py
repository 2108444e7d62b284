"""Settings → Custom words: the dialog, the stored list, and a run that takes a new list from
its next utterance on, with the beam's per-character confidence shown in the window."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QTextEdit

from livekr.config import SAMPLE_RATE
from livekr.ctc import TokenTable
from livekr.events import Final
from livekr.gui.custom_words import CustomWordsDialog, load_custom_words, save_custom_words
from livekr.gui.i18n import tr
from livekr.hotwords import Hotword
from livekr.recognizer import Recognition
from livekr.text import build_vocab
from tests.test_gui_window import (  # noqa: F401  (fixtures)
    SESSION_TIMEOUT_MS,
    HoldingSource,
    ScriptedPrompter,
    finished,
    isolated,
    make_window,
    speech,
)
from tests.test_hotwords import NAME, SENTENCES, confusion, heard

SAID = "오늘 김 철수 씨가 왔다"


class HeardNameRecognizer:
    """A frame-level recognizer: every utterance sounds like ``SAID`` with one unit of the
    name narrowly heard as another, so greedy decoding misspells the name."""

    name = "heard-name"
    device_label = "test"
    frame_s = 0.02

    def __init__(self) -> None:
        vocab = build_vocab(SENTENCES, "syllable")
        names = [""] * len(vocab)
        for token, i in vocab.items():
            names[i] = token
        self.tokens = TokenTable(tuple(names), 0, frozenset({1}), "|")
        confused, self.misheard = confusion("syllable")
        self.log_probs = heard(SAID, "syllable", vocab, confused)

    def log_posteriors(self, audio: np.ndarray) -> np.ndarray:
        return self.log_probs

    def recognize(self, audio: np.ndarray) -> Recognition:
        text, chars = self.tokens.decode(self.log_probs, self.frame_s)
        return Recognition(text, chars, 0.9, audio.size / SAMPLE_RATE, 0.0)


def test_the_table_edits_validates_and_imports(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "names.txt"
    good.write_text("# team\n박 영희\t3\n김철수\n", encoding="utf-8")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9\n".encode("latin-1"))
    answers: list[Path | None] = [good, bad, None]
    dialog = CustomWordsDialog([Hotword("김철수", 2.0), Hotword("서울역")], 1.5,
                               lambda parent: answers.pop(0))
    qtbot.addWidget(dialog)
    assert dialog.words() == [Hotword("김철수", 2.0), Hotword("서울역")]
    row = dialog.add_row("  광화문   광장 ", "")  # normalised like any transcript
    assert dialog.words()[-1] == Hotword("광화문 광장")
    dialog.table.item(row, 1).setText("abc")
    dialog.accept()
    assert dialog.result() == 0 and str(row + 1) in dialog.problem.text()  # refused, row named
    dialog.table.item(row, 1).setText("4")
    dialog.import_from_file()  # the file's boost wins for a word already listed
    assert dialog.words() == [Hotword("김철수"), Hotword("서울역"), Hotword("광화문 광장", 4.0),
                              Hotword("박 영희", 3.0)]
    assert "names.txt" in dialog.problem.text() and dialog.count.text() == tr("custom_words_count", count=4)
    dialog.import_from_file()
    assert "UTF-8" in dialog.problem.text() and len(dialog.words()) == 4  # nothing lost
    dialog.import_from_file()  # cancelled
    dialog.table.selectRow(0)
    dialog.remove_selected()
    assert [w.text for w in dialog.words()] == ["서울역", "광화문 광장", "박 영희"]
    dialog.accept()
    assert dialog.result() == 1


def test_the_list_is_kept_in_the_settings(tmp_path: Path) -> None:
    store = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    assert load_custom_words(store) == []
    words = [Hotword("김 철수", 2.5), Hotword("서울역")]
    save_custom_words(store, words)
    again = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    assert load_custom_words(again) == words
    again.setValue("custom_words/list", "김철수\tmany\n")
    assert load_custom_words(again) == []  # unreadable: ignored, not fatal


def beam_confidences(view: QTextEdit, block_number: int) -> dict[str, QTextCharFormat]:
    block = view.document().findBlockByNumber(block_number)
    formats = {}
    for position, char in enumerate(block.text()):
        cursor = QTextCursor(block)
        cursor.setPosition(block.position() + position + 1)
        formats[char] = cursor.charFormat()
    return formats


def test_a_new_list_applies_from_the_next_utterance_without_reloading(  # type: ignore[no-untyped-def]
        qtbot, make_window, speech) -> None:
    recognizer = HeardNameRecognizer()
    first = speech(1)
    source = HoldingSource(speech(2), hold_s=first.size / SAMPLE_RATE)
    prompter = ScriptedPrompter()
    window = make_window([source], recognizer, prompter)
    assert window.status.decoder.text() == tr("status_greedy")
    loads: list[str] = []
    window.dictation.model_loading.connect(loads.append)
    with qtbot.waitSignal(window.dictation.pipeline_event, timeout=SESSION_TIMEOUT_MS,
                          check_params_cb=lambda e: isinstance(e, Final)):
        window.record_button.click()
    assert window.view.committed_text() == recognizer.misheard

    prompter.custom_words = [Hotword(NAME), Hotword("박 영희", 3.0)]
    window.custom_words_action.trigger()
    assert prompter.asked[-1] == "custom words 0"
    assert window.status.decoder.text() == tr("status_beam") + " · " + tr("status_words", count=2)
    assert "2 custom words" in window.status.decoder.toolTip()
    with finished(qtbot, window):
        source.release.set()
    assert window.view.committed_text().splitlines() == [recognizer.misheard, SAID]
    assert loads == [] and window.dictation.recognizer is recognizer

    window.view.set_low_confidence(0.5)
    formats = beam_confidences(window.view, 1)  # the beam keeps each character's confidence
    wave = QTextCharFormat.UnderlineStyle.DotLine
    assert formats["수"].underlineStyle() == wave and "%" in formats["수"].toolTip()
    assert formats["오"].underlineStyle() != wave

    store = QSettings(window.store.fileName(), QSettings.Format.IniFormat)
    assert load_custom_words(store) == prompter.custom_words  # kept for the next start


def test_the_stored_list_is_used_from_the_start(qtbot, make_window, isolated: Path) -> None:  # type: ignore[no-untyped-def]
    window = make_window([], HeardNameRecognizer())
    save_custom_words(window.store, [Hotword(NAME)])
    again = make_window([], HeardNameRecognizer(), store_file=window.store.fileName())
    assert again.dictation.custom_words == [Hotword(NAME)]
    assert again.status.decoder.text() == tr("status_beam") + " · " + tr("status_words", count=1)


@pytest.mark.parametrize("cancel", [True, False])
def test_cancel_or_the_same_list_changes_nothing(qtbot, make_window, cancel: bool) -> None:  # type: ignore[no-untyped-def]
    prompter = ScriptedPrompter()
    window = make_window([], HeardNameRecognizer(), prompter)
    decoder = window.dictation.decoder()
    prompter.custom_words = None if cancel else []
    messages: list[str] = []
    window.message_shown.connect(messages.append)
    window.custom_words_action.trigger()
    assert window.dictation.decoder() is decoder and not decoder.uses_beam and messages == []
