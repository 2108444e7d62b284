"""Undo by the global undo shortcut on X11: the shortcut's own keys do not count as moving the
cursor, any other key or a click does. A Tk field in its own process on a private Xvfb (the
fixtures of ``test_insert_x11``); the shortcut's callback undoes, as the window does; the test
waits on events, xdotool models the person (``sleep 0.05`` before they act). Plus the pure
press log and the parsing of RECORD's data."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest

from livekr.insert.base import Hotkey, InsertError, Insertion
from livekr.insert.x11_watch import BUTTON, PressLog, Span, parse_record
from tests import test_insert_x11 as x11
from tests.test_insert_x11 import TargetProgram, xdotool

display, target = x11.display, x11.target
"""The private Xvfb and the focused Tk field."""

UNDO_CHORD = "Ctrl+Shift+BackSpace"
XDOTOOL_CHORD = "ctrl+shift+BackSpace"
WAIT_S = 10


class ShortcutUndo:
    """The undo shortcut grabbed on the display; its press undoes the last insertion with the
    chord allowed, from the listener's thread (as the window's insertion thread would); the
    outcome is kept and ``done`` set."""

    def __init__(self, display: str, inserter) -> None:  # type: ignore[no-untyped-def]
        from livekr.insert.x11_hotkey import X11HotkeyListener

        self.chord = Hotkey.parse(UNDO_CHORD)
        self.inserter = inserter
        self.last: Insertion | None = None
        self.error: InsertError | None = None
        self.done = threading.Event()
        self.listener = X11HotkeyListener(self.chord, display=display)

    def on_press(self) -> None:
        assert self.last is not None
        try:
            self.inserter.undo(self.last, chord=self.chord)
        except InsertError as e:
            self.error = e
        self.done.set()


@pytest.fixture
def shortcut(display: str) -> Iterator[ShortcutUndo]:
    from livekr.insert.x11 import X11Inserter

    inserter = X11Inserter("type", display=display)
    undo = ShortcutUndo(display, inserter)
    undo.listener.start(undo.on_press, lambda: None)
    yield undo
    undo.listener.stop()
    inserter.close()


def test_the_undo_shortcut_removes_exactly_the_last_insertion(
        display: str, target: TargetProgram, shortcut: ShortcutUndo) -> None:
    shortcut.inserter.insert("첫째 문장. ")
    shortcut.last = shortcut.inserter.insert("둘째 줄\n끝!")
    xdotool(display, "sleep", "0.05", "key", XDOTOOL_CHORD)  # a person presses it a moment later
    assert shortcut.done.wait(WAIT_S) and shortcut.error is None
    assert target.text() == "첫째 문장. "


@pytest.mark.parametrize("user_input", [("key", "a"), ("click", "1")])
def test_a_key_or_click_before_the_undo_shortcut_changes_nothing(
        display: str, target: TargetProgram, shortcut: ShortcutUndo, user_input: tuple[str, str]) -> None:
    shortcut.last = shortcut.inserter.insert("지울 수 없는 글")
    xdotool(display, "sleep", "0.05", *user_input, "sleep", "0.05", "key", XDOTOOL_CHORD)
    assert shortcut.done.wait(WAIT_S)
    assert shortcut.error is not None and shortcut.error.message.key == "insert.moved"
    typed = "a" if user_input[0] == "key" else ""
    assert target.text() == "지울 수 없는 글" + typed


def test_without_the_input_watch_the_shortcut_itself_counts_as_input(
        display: str, target: TargetProgram) -> None:
    """The fallback (no RECORD): the idle time cannot tell the chord from other keys."""
    from livekr.insert.x11 import X11Inserter

    inserter = X11Inserter("type", display=display, watch_input=False)
    undo = ShortcutUndo(display, inserter)
    undo.listener.start(undo.on_press, lambda: None)
    try:
        undo.last = inserter.insert("남는 글")
        xdotool(display, "sleep", "0.05", "key", XDOTOOL_CHORD)
        assert undo.done.wait(WAIT_S)
        assert undo.error is not None and undo.error.message.key == "insert.moved"
        assert target.text() == "남는 글"
    finally:
        undo.listener.stop()
        inserter.close()


# -- the press log and RECORD's data, pure ------------------------------------------------------


def test_the_press_log_reads_the_presses_between_two_marks() -> None:
    log = PressLog(keep=4)
    log.press(50)
    log.mark(1)
    log.press(37)
    log.press(BUTTON)
    log.mark(2)
    assert log.between(1, 2) == Span((37, BUTTON))
    assert not Span((37, BUTTON)).only(frozenset({37}))
    assert Span((37, 50, 37)).only(frozenset({37, 50})) and Span(()).only(frozenset())
    assert log.between(1, 9) is None and log.between(2, 1) is None
    for keycode in (10, 11, 12, 13):  # mark 1's presses are forgotten
        log.press(keycode)
    log.mark(3)
    assert log.between(1, 3) is None and log.between(2, 3) == Span((10, 11, 12, 13))


def test_record_data_becomes_presses_and_marks() -> None:
    def event(kind: int, detail: int) -> bytes:
        return bytes([kind, detail]) + bytes(30)

    def change_property(window: int, serial: int) -> bytes:
        order = sys.byteorder
        return (bytes([18, 0]) + (7).to_bytes(2, order) + window.to_bytes(4, order) + bytes(16)
                + serial.to_bytes(4, order))

    server = event(2, 38) + event(3, 38) + event(4, 1) + event(6, 0)
    assert parse_record(0, server, 5) == [("press", 38), ("release", 38), ("press", BUTTON)]
    client = change_property(5, 7) + change_property(6, 8) + change_property(5, 9)
    assert parse_record(1, client, 5) == [("mark", 7), ("mark", 9)]
    assert parse_record(4, b"", 5) == []
