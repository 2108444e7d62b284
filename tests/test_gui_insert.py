"""Dictation into other programs, the window's side: insert mode with a recording inserter, the
global shortcut with a listener the test presses, the indicator, and closing to the tray.
Offscreen; waits on signals and conditions, never sleeps."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from livekr.audio import ArraySource
from livekr.config import SAMPLE_RATE
from livekr.gui.i18n import localize, tr
from livekr.gui.indicator import POS_KEY, Indicator, indicator_state
from livekr.gui.insert_mode import InsertDevices
from livekr.gui.main_window import MainWindow
from livekr.gui.settings import AppSettings, InsertModeOptions, SettingsDialog
from livekr.insert.base import Hotkey, InsertError, Insertion, Target
from tests.conftest import ScriptedRecognizer, silence
from tests.test_gui_window import (  # noqa: F401  (fixtures)
    SESSION_TIMEOUT_MS,
    HoldingSource,
    ScriptedPrompter,
    app_settings,
    finished,
    isolated,
    make_window,
    run_session,
    speech,
)

WORDS = ("하나", "둘", "셋", "넷", "다섯", "여섯", "일곱", "여덟")


class RecordingInserter:
    """Records what it is asked to insert; can hold each insertion at a gate, or fail."""

    method = "type"

    def __init__(self, gate: threading.Event | None = None, fail: InsertError | None = None) -> None:
        self.gate = gate
        self.fail = fail
        self.undo_error: InsertError | None = None
        self.texts: list[str] = []
        self.undone: list[Insertion] = []
        self.chords: list[Hotkey | None] = []
        """The shortcut that asked for each undo (None: the window's or the tray's action)."""
        self.inserted: list[Insertion] = []
        self.entered = threading.Event()
        self.closed = False
        self.threads: set[int] = set()

    def focused(self) -> Target:
        return Target(window=7, pid=4242, title="editor")

    def insert(self, text: str) -> Insertion:
        self.threads.add(threading.get_ident())
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(SESSION_TIMEOUT_MS / 1000)
        if self.fail is not None:
            raise self.fail
        self.texts.append(text)
        insertion = Insertion(text, "type", self.focused(), time.monotonic())
        self.inserted.append(insertion)
        return insertion

    def undo(self, insertion: Insertion, chord: Hotkey | None = None) -> None:
        self.chords.append(chord)
        if self.undo_error is not None:
            raise self.undo_error
        self.undone.append(insertion)

    def close(self) -> None:
        self.closed = True


class PressableListener:
    """A global shortcut the test presses; callbacks come from another thread, as they would."""

    def __init__(self, hotkey: Hotkey, taken: bool = False) -> None:
        self.hotkey = hotkey
        self.taken = taken
        self.on_press: Callable[[], None] | None = None
        self.on_release: Callable[[], None] | None = None
        self.stopped = False

    def start(self, on_press: Callable[[], None], on_release: Callable[[], None]) -> None:
        if self.taken:
            raise InsertError("another program has grabbed this shortcut")
        self.on_press, self.on_release = on_press, on_release

    def stop(self) -> None:
        self.stopped = True

    def _from_thread(self, callback: Callable[[], None] | None) -> None:
        assert callback is not None and not self.stopped
        thread = threading.Thread(target=callback, name="hotkey-listener")
        thread.start()
        thread.join()

    def press(self) -> None:
        self._from_thread(self.on_press)

    def release(self) -> None:
        self._from_thread(self.on_release)


class BracketShaper:
    """Shapes each final visibly: the test sees that shaped text, not the final, is inserted."""

    def __init__(self, options: InsertModeOptions) -> None:
        self.end = "." if options.full_stop else ""

    def shape(self, text: str) -> str:
        return f"[{text}{self.end}] "


class Desktop:
    """The fake desktop parts handed to ``build_window``."""

    def __init__(self, inserter: RecordingInserter | None = None, taken: bool = False,
                 livekr_active: bool = False) -> None:
        self.inserter = inserter or RecordingInserter()
        self.listeners: list[PressableListener] = []
        self.taken = taken
        self.active = livekr_active

    def listener(self, hotkey: Hotkey) -> PressableListener:
        self.listeners.append(PressableListener(hotkey, self.taken))
        return self.listeners[-1]

    def grabbed(self, hotkey: str) -> PressableListener:
        """The newest listener of ``hotkey``."""
        return [listener for listener in self.listeners if str(listener.hotkey) == hotkey][-1]

    def devices(self) -> InsertDevices:
        return InsertDevices(make_inserter=lambda method: self.inserter,  # type: ignore[arg-type,return-value]
                             make_hotkey_listener=self.listener,  # type: ignore[arg-type]
                             make_shaper=BracketShaper, problem=lambda: None,
                             livekr_active=lambda: self.active)


@pytest.fixture
def sentences(speak: Callable[..., np.ndarray]) -> Callable[[int], tuple[np.ndarray, list[float]]]:
    """``n`` short spoken sentences with pauses that end each one; also where each starts (s)."""

    def make(n: int) -> tuple[np.ndarray, list[float]]:
        parts, starts, at = [silence(0.3)], [], 0.3
        for word in ("안녕하세요", "반갑습니다", "좋습니다")[:n]:
            audio = speak(word)
            starts.append(at)
            parts += [audio, silence(1.2)]
            at += audio.size / SAMPLE_RATE + 1.2
        return np.concatenate(parts), starts

    return make


def insert_on(window: MainWindow) -> None:
    window.insert_mode.toggle_action.trigger()
    assert window.insert_mode.enabled and window.insert_mode.toggle_action.isChecked()


def insertions_done(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    insertions = window.insert_mode.insertions
    assert insertions is not None
    qtbot.waitUntil(lambda: insertions.pending == 0, timeout=SESSION_TIMEOUT_MS)


def shaped(window: MainWindow) -> list[str]:
    return [f"[{u.text}] " for u in window.dictation.session.utterances]


# -- insert mode --------------------------------------------------------------------------------


def test_finals_of_the_live_run_are_shaped_and_inserted_in_order_never_partials(
        qtbot, make_window, speech) -> None:  # type: ignore[no-untyped-def]
    desktop = Desktop()
    source = HoldingSource(speech(2), hold_s=1.3)
    window = make_window([source], ScriptedRecognizer(WORDS), insert_devices=desktop.devices())
    insert_on(window)
    window.record_button.click()
    qtbot.waitUntil(lambda: window.view.partial_text() != "", timeout=SESSION_TIMEOUT_MS)
    indicator = window.insert_mode.indicator
    assert indicator.isVisible() and indicator.partial == window.view.partial_text()
    assert indicator.partial_label.text() and indicator.state in ("hearing", "working", "listening")
    assert desktop.inserter.texts == []  # a partial is never inserted
    with finished(qtbot, window):
        source.release.set()
    insertions_done(qtbot, window)
    assert len(window.dictation.session.utterances) == 2
    assert desktop.inserter.texts == shaped(window)
    assert threading.get_ident() not in desktop.inserter.threads  # never the GUI thread
    assert window.view.committed_text() == "\n".join(u.text for u in window.dictation.session.utterances)
    assert not indicator.isVisible() and indicator.partial == ""
    assert window.insert_mode.undo_action.isEnabled()


def test_stop_drops_pending_insertions_and_the_rest_of_the_run(qtbot, make_window, sentences) -> None:  # type: ignore[no-untyped-def]
    gate = threading.Event()
    desktop = Desktop(RecordingInserter(gate=gate))
    audio, starts = sentences(3)
    source = HoldingSource(audio, hold_s=starts[2] + 0.3)  # held inside the third sentence
    window = make_window([source], ScriptedRecognizer(WORDS), insert_devices=desktop.devices(),
                         settings=app_settings(partials=False))
    insert_on(window)
    window.record_button.click()
    qtbot.waitUntil(lambda: len(window.dictation.session.utterances) == 2, timeout=SESSION_TIMEOUT_MS)
    qtbot.waitUntil(desktop.inserter.entered.is_set, timeout=SESSION_TIMEOUT_MS)
    assert window.insert_mode.insertions is not None and window.insert_mode.insertions.pending == 2
    with finished(qtbot, window):
        window.record_action.trigger()  # Stop: the second waits, the third is still to come
    gate.set()
    insertions_done(qtbot, window)
    assert len(window.dictation.session.utterances) == 3  # the transcript keeps everything
    assert desktop.inserter.texts == shaped(window)[:1]
    assert window.insert_mode.enabled


def test_an_insertion_error_is_said_once_and_turns_insert_mode_off(qtbot, make_window, speech) -> None:  # type: ignore[no-untyped-def]
    desktop = Desktop(RecordingInserter(fail=InsertError("the focused window went away")))
    window = make_window([ArraySource(speech(2))], ScriptedRecognizer(WORDS),
                         insert_devices=desktop.devices(), settings=app_settings(partials=False))
    shown: list[str] = []
    window.message_shown.connect(shown.append)
    insert_on(window)
    run_session(qtbot, window)
    qtbot.waitUntil(lambda: not window.insert_mode.enabled, timeout=SESSION_TIMEOUT_MS)
    reason = "the focused window went away"
    assert [m for m in shown if "went away" in m] == [tr("insert_failed", reason=reason)]
    assert "went away" in window.message_bar.text()
    assert not window.insert_mode.toggle_action.isChecked()
    assert len(window.dictation.session.utterances) == 2 and window.view.committed_text() == "하나\n둘"
    qtbot.waitUntil(lambda: desktop.inserter.closed, timeout=SESSION_TIMEOUT_MS)


def test_nothing_is_inserted_while_a_livekr_window_is_active(qtbot, make_window, speech) -> None:  # type: ignore[no-untyped-def]
    desktop = Desktop(livekr_active=True)
    window = make_window([ArraySource(speech(2))], ScriptedRecognizer(WORDS),
                         insert_devices=desktop.devices(), settings=app_settings(partials=False))
    shown: list[str] = []
    window.message_shown.connect(shown.append)
    insert_on(window)
    run_session(qtbot, window)
    assert desktop.inserter.texts == [] and len(window.dictation.session.utterances) == 2
    assert shown.count(tr("insert_stays_here")) == 1


def test_files_are_not_inserted(qtbot, make_window, speech, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import soundfile

    path = tmp_path / "a.wav"
    soundfile.write(path, speech(1), SAMPLE_RATE)
    desktop = Desktop()
    window = make_window([], ScriptedRecognizer(WORDS), insert_devices=desktop.devices(),
                         settings=app_settings(partials=False))
    insert_on(window)
    with qtbot.waitSignal(window.dictation.idle, timeout=SESSION_TIMEOUT_MS):
        window.dictation.files.add([path])
    assert len(window.dictation.session.utterances) == 1 and desktop.inserter.texts == []


def test_undo_removes_the_last_insertion_and_a_moved_cursor_changes_nothing(
        qtbot, make_window, speech) -> None:  # type: ignore[no-untyped-def]
    desktop = Desktop()
    window = make_window([ArraySource(speech(2))], ScriptedRecognizer(WORDS),
                         insert_devices=desktop.devices(), settings=app_settings(partials=False))
    undo = window.insert_mode.undo_action
    assert undo.shortcut().toString() == "Ctrl+Alt+Backspace" and not undo.isEnabled()
    with qtbot.waitSignal(window.message_shown) as shown:
        window.insert_mode.undo_last()
    assert shown.args[0] == tr("insert_nothing_to_undo")
    insert_on(window)
    run_session(qtbot, window)
    insertions_done(qtbot, window)
    last = desktop.inserter.inserted[-1]
    desktop.inserter.undo_error = InsertError("insert.moved")
    with qtbot.waitSignal(window.message_shown, timeout=SESSION_TIMEOUT_MS) as shown:
        undo.trigger()
    assert shown.args[0] == localize(InsertError("insert.moved")) and not window.message_bar.isVisible()
    assert desktop.inserter.undone == [] and window.insert_mode.last == last
    desktop.inserter.undo_error = None
    with qtbot.waitSignal(window.message_shown, timeout=SESSION_TIMEOUT_MS) as shown:
        undo.trigger()
    assert desktop.inserter.undone == [last] and desktop.inserter.chords == [None, None]
    assert shown.args[0] == tr("insert_undone", count=len(last.text))
    assert not undo.isEnabled()


def test_the_undo_shortcut_undoes_with_its_chord_allowed_and_is_grabbed_anew(
        qtbot, make_window, speech) -> None:  # type: ignore[no-untyped-def]
    desktop = Desktop()
    window = make_window([ArraySource(speech(2))], ScriptedRecognizer(WORDS),
                         insert_devices=desktop.devices(), settings=app_settings(partials=False))
    insert_on(window)
    run_session(qtbot, window)
    insertions_done(qtbot, window)
    last = desktop.inserter.inserted[-1]
    chord = Hotkey.parse("Ctrl+Shift+Backspace")
    with qtbot.waitSignal(window.message_shown, timeout=SESSION_TIMEOUT_MS) as shown:
        desktop.grabbed(str(chord)).press()  # in the target, which keeps the focus
    assert desktop.inserter.undone == [last] and desktop.inserter.chords == [chord]
    assert shown.args[0] == tr("insert_undone", count=len(last.text))
    with qtbot.waitSignal(window.message_shown) as shown:
        desktop.grabbed(str(chord)).press()
    assert shown.args[0] == tr("insert_nothing_to_undo") and desktop.inserter.chords == [chord]
    window.update_settings(window.settings.with_options("insert", undo_hotkey="Ctrl+Shift+U"))
    assert desktop.grabbed(str(chord)).stopped and str(desktop.listeners[-1].hotkey) == "Ctrl+Shift+U"
    window.update_settings(window.settings.with_options("insert", undo_hotkey=""))
    held = [str(listener.hotkey) for listener in desktop.listeners if not listener.stopped]
    assert held == ["Ctrl+Alt+Space"]
    with pytest.raises(ValueError, match="undo_hotkey"):
        InsertModeOptions(undo_hotkey="Ctrl+Hyper+Z")


# -- the global shortcut ------------------------------------------------------------------------


def test_the_shortcut_toggles_recording_and_its_stop_lets_the_last_final_through(
        qtbot, make_window, speech) -> None:  # type: ignore[no-untyped-def]
    desktop = Desktop()
    source = HoldingSource(speech(1), hold_s=1.3)
    window = make_window([source], ScriptedRecognizer(["말한 것"]), insert_devices=desktop.devices(),
                         settings=app_settings(partials=False))
    insert_on(window)
    grabbed = [str(listener.hotkey) for listener in desktop.listeners]
    assert grabbed == ["Ctrl+Alt+Space", "Ctrl+Shift+Backspace"]
    listener = desktop.grabbed("Ctrl+Alt+Space")
    with qtbot.waitSignal(window.dictation.running_changed, timeout=SESSION_TIMEOUT_MS):
        listener.press()
    assert window.dictation.running
    with finished(qtbot, window):
        listener.press()
    insertions_done(qtbot, window)
    assert desktop.inserter.texts == ["[말한 것] "]  # drained after the shortcut's stop, and inserted


def test_push_to_talk_records_while_the_shortcut_is_held(qtbot, make_window, speech) -> None:  # type: ignore[no-untyped-def]
    desktop = Desktop()
    source = HoldingSource(speech(1), hold_s=1.3)
    window = make_window([source], ScriptedRecognizer(["눌렀다"]), insert_devices=desktop.devices(),
                         settings=app_settings(partials=False, hotkey_mode="hold", hotkey="F9"))
    insert_on(window)
    listener = desktop.grabbed("F9")
    assert listener.hotkey == Hotkey("f9")
    with qtbot.waitSignal(window.dictation.running_changed, timeout=SESSION_TIMEOUT_MS):
        listener.press()
    assert window.dictation.running
    with finished(qtbot, window):
        listener.release()
    assert not window.dictation.running and window.view.committed_text() == "눌렀다"


def test_a_taken_shortcut_says_how_to_change_it(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    desktop = Desktop(taken=True)
    window = make_window([], ScriptedRecognizer(WORDS), insert_devices=desktop.devices())
    with qtbot.waitSignal(window.message_shown) as shown:
        insert_on(window)
    assert shown.args[0] == tr("hotkey_taken", hotkey="Ctrl+Alt+Space",
                               reason="another program has grabbed this shortcut")
    assert window.insert_mode.enabled  # typing still works from the window's Record


def test_a_new_shortcut_is_grabbed_and_an_invalid_one_is_refused(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    desktop = Desktop()
    window = make_window([], ScriptedRecognizer(WORDS), insert_devices=desktop.devices())
    insert_on(window)
    window.update_settings(window.settings.with_options("insert", hotkey="Ctrl+Shift+D"))
    assert desktop.listeners[0].stopped
    assert desktop.listeners[-1].hotkey == Hotkey("d", frozenset({"ctrl", "shift"}))
    with pytest.raises(ValueError, match="Ctrl\\+Alt\\+Space"):
        InsertModeOptions(hotkey="Ctrl+Hyper+X")
    dialog = SettingsDialog(window.settings)
    qtbot.addWidget(dialog)
    dialog.fields[("insert", "hotkey")].setText("Ctrl++")  # type: ignore[attr-defined]
    dialog.accept()
    assert dialog.result() != dialog.DialogCode.Accepted and "hotkey" in dialog.problem.text()
    dialog.fields[("insert", "hotkey")].setText("")  # type: ignore[attr-defined]
    assert dialog.values().insert.parsed_hotkey() is None


def test_insert_mode_is_remembered_and_turned_off_releases_everything(
        qtbot, make_window, isolated) -> None:  # type: ignore[no-untyped-def]
    desktop = Desktop()
    store_file = str(isolated / "remembered.ini")
    first = make_window([], ScriptedRecognizer(WORDS), insert_devices=desktop.devices(),
                        store_file=store_file)
    insert_on(first)
    first.close()
    assert desktop.inserter.closed and all(listener.stopped for listener in desktop.listeners)
    again = Desktop()
    second = make_window([], ScriptedRecognizer(WORDS), insert_devices=again.devices(), store_file=store_file)
    assert second.insert_mode.enabled and second.insert_mode.toggle_action.isChecked()
    second.insert_mode.toggle_action.trigger()
    assert not second.insert_mode.enabled and all(listener.stopped for listener in again.listeners)
    qtbot.waitUntil(lambda: again.inserter.closed, timeout=SESSION_TIMEOUT_MS)


# -- the indicator ------------------------------------------------------------------------------


def drag(widget: Indicator, by: QPoint) -> None:
    start = widget.pos() + QPoint(20, 10)
    local = QPointF(20, 10)
    for kind, at, buttons in (
        (QMouseEvent.Type.MouseButtonPress, start, Qt.MouseButton.LeftButton),
        (QMouseEvent.Type.MouseMove, start + by, Qt.MouseButton.LeftButton),
        (QMouseEvent.Type.MouseButtonRelease, start + by, Qt.MouseButton.NoButton),
    ):
        button = Qt.MouseButton.NoButton if kind == QMouseEvent.Type.MouseMove else Qt.MouseButton.LeftButton
        event = QMouseEvent(kind, local, QPointF(at), button, buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(widget, event)


def test_the_indicator_never_takes_focus_and_remembers_where_it_was_dragged(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    indicator = Indicator(store)
    qtbot.addWidget(indicator)
    flags = indicator.windowFlags()
    for flag in (Qt.WindowType.WindowDoesNotAcceptFocus, Qt.WindowType.WindowStaysOnTopHint,
                 Qt.WindowType.FramelessWindowHint, Qt.WindowType.Tool):
        assert flags & flag == flag
    assert indicator.testAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
    assert indicator.focusPolicy() == Qt.FocusPolicy.NoFocus
    indicator.show()
    indicator.show_partial("오늘 날씨가 " * 20)
    shown = indicator.partial_label.text()
    assert shown.startswith("…") and shown.endswith("날씨가 ") and indicator.partial.startswith("오늘")
    indicator.set_state(indicator_state(speech=True, working=True))
    assert indicator.state == "hearing" and indicator.state_label.text() == tr("indicator_hearing")
    assert indicator_state(False, True) == "working" and indicator_state(False, False) == "listening"
    before = indicator.pos()
    drag(indicator, QPoint(40, 30))
    assert indicator.pos() == before + QPoint(40, 30)
    assert store.value(POS_KEY) == before + QPoint(40, 30)
    again = Indicator(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(again)
    assert again.pos() == before + QPoint(40, 30)
    store.setValue(POS_KEY, QPoint(-50_000, -50_000))  # a screen that is gone
    elsewhere = Indicator(store)
    qtbot.addWidget(elsewhere)
    assert QApplication.primaryScreen().availableGeometry().contains(elsewhere.pos())


# -- the tray -----------------------------------------------------------------------------------


def test_closing_to_the_tray_keeps_the_run_and_quit_drains_and_closes(qtbot, make_window, speech) -> None:  # type: ignore[no-untyped-def]
    source = HoldingSource(speech(1), hold_s=1.3)
    prompter = ScriptedPrompter(unsaved="discard")
    window = make_window([source], ScriptedRecognizer(["트레이"]), prompter=prompter, tray_available=True,
                         insert_devices=Desktop().devices())
    if QSystemTrayIcon.isSystemTrayAvailable():
        assert window.tray.icon is not None and window.tray.icon.isVisible()
    shown: list[str] = []
    window.message_shown.connect(shown.append)
    window.record_button.click()
    qtbot.waitUntil(lambda: window.view.partial_text() != "", timeout=SESSION_TIMEOUT_MS)
    assert not window.close()  # hidden, not closed
    assert not window.isVisible() and window.dictation.running and not window.dictation.stopping
    window.tray.show_action.trigger()
    assert window.isVisible()
    window.close()
    assert shown.count(tr("tray_still_running")) == 1  # said the first time only
    assert window.tray.menu.actions()[0] is window.record_action
    with qtbot.waitSignal(window.closed, timeout=SESSION_TIMEOUT_MS):
        window.tray.quit_action.trigger()  # drains the run, asks about the unsaved text, closes
    assert "unsaved" in prompter.asked and window.view.committed_text() == "트레이"
    assert not window.isVisible() and not window.dictation.busy


def test_without_a_tray_or_with_the_setting_off_closing_closes(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window([], ScriptedRecognizer(WORDS), tray_available=True,
                         settings=app_settings(keep_in_tray=False))
    with qtbot.waitSignal(window.closed):
        assert window.close()
    plain = make_window([], ScriptedRecognizer(WORDS), tray_available=False)
    assert plain.tray.icon is None
    with qtbot.waitSignal(plain.closed):
        assert plain.close()


def test_settings_show_the_insert_options(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = SettingsDialog(AppSettings())
    qtbot.addWidget(dialog)
    for name in ("method", "full_stop", "spoken_punctuation", "hotkey", "hotkey_mode", "undo_hotkey"):
        assert ("insert", name) in dialog.fields
    assert ("window", "keep_in_tray") in dialog.fields
