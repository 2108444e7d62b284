"""Typing, pasting, undo and global shortcuts through pynput: the part of the Windows and
macOS inserters that is the same on both (``windows``, ``macos`` add the focus, the clipboard
and the time since the last input).

pynput is imported only when an inserter or a listener is made without a ``keyboard`` (tests
pass a fake module with ``Controller``, ``Key``, ``KeyCode`` and ``Listener``).
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from livekr.insert.base import METHODS, Hotkey, InsertError, Insertion, Method, Target
from livekr.messages import first_line

log = logging.getLogger(__name__)

PASTE_SETTLE_S = 0.25
"""Time the target program gets to read the clipboard after the paste shortcut, before the
clipboard's earlier text is put back (programs read it when they handle the shortcut)."""
INPUT_SETTLE_S = 0.3
"""Input within this time after an insertion ended is taken for the insertion's own key
events (the system counts them as input too, a little after they were sent)."""
KEY_ALIASES = {"escape": "esc", "return": "enter", "del": "delete", "pgup": "page_up", "pgdn": "page_down",
               "pageup": "page_up", "pagedown": "page_down", "ins": "insert", "prtsc": "print_screen"}
"""Names people write for keys, and pynput's names for them."""
MODIFIER_KEYS = {"ctrl": ("ctrl", "ctrl_l", "ctrl_r"), "alt": ("alt", "alt_l", "alt_r", "alt_gr"),
                 "shift": ("shift", "shift_l", "shift_r"), "super": ("cmd", "cmd_l", "cmd_r")}
"""pynput's keys for each modifier of a ``Hotkey``."""


def import_keyboard() -> Any:
    """``pynput.keyboard``; ``InsertError`` saying what to install when it is missing."""
    try:
        return importlib.import_module("pynput.keyboard")
    except ImportError as e:
        raise InsertError("insert.no_pynput") from e


class KeyboardInserter:
    """An ``Inserter`` that types with pynput's keyboard ``Controller`` and pastes with its
    paste shortcut; a platform subclass gives ``focused``, ``seconds_since_input`` and the
    clipboard (``read_clipboard`` / ``write_clipboard``).

    ``type`` sends each line with ``Controller.type`` (Unicode key events) and Enter between
    lines. ``paste`` saves the clipboard's text, puts the text there, presses the shortcut,
    waits ``PASTE_SETTLE_S`` and puts the saved text back. ``undo`` presses Backspace once per
    character of the last insertion, if the focused window is the same and no input reached
    the system since.
    """

    paste_modifier = "ctrl"
    """pynput's name of the modifier of the paste shortcut."""
    paste_vk = 0x56
    """The virtual key code of V in the paste shortcut (by code, so that it is V whatever the
    keyboard layout or input source: Korean layouts put a jamo on that key)."""
    clipboard_newline = "\n"
    """How a line break is written on the clipboard."""

    def __init__(self, method: Method, keyboard: Any = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown insertion method {method!r}; one of {', '.join(METHODS)}")
        self.method = method
        self._keys = keyboard if keyboard is not None else import_keyboard()
        self._controller = self._keys.Controller()
        self._sleep = sleep
        self._clock = clock
        self._last: Insertion | None = None

    # -- the platform's part ------------------------------------------------------------------

    def focused(self) -> Target:
        raise NotImplementedError

    def seconds_since_input(self) -> float:
        """Seconds since the last key or pointer input reached the system (ours included)."""
        raise NotImplementedError

    def read_clipboard(self) -> str | None:
        """The clipboard's text; None when it holds no text."""
        raise NotImplementedError

    def write_clipboard(self, text: str | None) -> None:
        """Put ``text`` on the clipboard (None: empty it)."""
        raise NotImplementedError

    def check_target(self, target: Target) -> None:
        """Raise ``InsertError`` when ``target`` cannot receive text (default: any can)."""

    # -- the contract ---------------------------------------------------------------------------

    def insert(self, text: str) -> Insertion:
        target = self.focused()
        self.check_target(target)
        try:
            if self.method == "type":
                self._type(text)
            else:
                self._paste(text)
        except InsertError:
            raise
        except Exception as e:  # pynput's InvalidCharacterException, an OSError of the system call
            raise InsertError("insert.typing_failed", detail=first_line(e) or type(e).__name__) from e
        self._last = Insertion(text, self.method, target, self._clock())
        return self._last

    def undo(self, insertion: Insertion, chord: Hotkey | None = None) -> None:
        """See ``Inserter.undo``; ``chord`` cannot be told apart here: its keys count as input."""
        if insertion != self._last:
            raise InsertError("insert.undo_not_last")
        now = self.focused()
        moved = (now.window, now.pid) != (insertion.target.window, insertion.target.pid)
        if moved or self.seconds_since_input() + INPUT_SETTLE_S < self._clock() - insertion.at_s:
            raise InsertError("insert.moved")
        for _ in range(len(insertion.text)):
            self._tap(self._keys.Key.backspace)
        self._last = None

    def close(self) -> None:
        self._last = None

    # -- keys -----------------------------------------------------------------------------------

    def _tap(self, key: Any) -> None:
        self._controller.press(key)
        self._controller.release(key)

    def _type(self, text: str) -> None:
        for i, line in enumerate(text.split("\n")):
            if i:
                self._tap(self._keys.Key.enter)
            if line:
                self._controller.type(line)

    def _paste(self, text: str) -> None:
        saved = self.read_clipboard()
        self.write_clipboard(text.replace("\n", self.clipboard_newline))
        try:
            with self._controller.pressed(getattr(self._keys.Key, self.paste_modifier)):
                self._tap(self._keys.KeyCode.from_vk(self.paste_vk))
            self._sleep(PASTE_SETTLE_S)
        finally:
            self.write_clipboard(saved)


def pynput_key(name: str, keys: Any) -> Any:
    """pynput's key for a ``Hotkey`` key name ("space", "f9", "a"); None when it has none."""
    if len(name) == 1:
        return keys.KeyCode.from_char(name)
    return getattr(keys.Key, KEY_ALIASES.get(name, name), None)


class Chord:
    """The presses and releases of one shortcut in a stream of key events (pure).

    ``press``/``release`` take each key event (keys as the listener's ``canonical`` gives
    them) and say whether the shortcut went down or up with it: down when its key is pressed
    while exactly its modifiers are held, up when its key or one of those modifiers is
    released. Auto-repeated presses while it is down are ignored.
    """

    def __init__(self, key: Any, modifiers: Mapping[str, Iterable[Any]], required: Iterable[str]) -> None:
        self.key = key
        self._modifier_of = {k: name for name, ks in modifiers.items() for k in ks}
        self.required = frozenset(required)
        self._held: set[str] = set()
        self.down = False

    def press(self, key: Any) -> bool:
        name = self._modifier_of.get(key)
        if name is not None:
            self._held.add(name)
            return False
        if key == self.key and not self.down and self._held == self.required:
            self.down = True
            return True
        return False

    def release(self, key: Any) -> bool:
        name = self._modifier_of.get(key)
        if name is not None:
            self._held.discard(name)
        ends = key == self.key or (name is not None and name in self.required)
        if self.down and ends:
            self.down = False
            return True
        return False


class KeyboardHotkeyListener:
    """A ``HotkeyListener`` on pynput's keyboard ``Listener``.

    The shortcut is watched, not taken: the focused program sees its key events too, so a
    key that programs leave alone (F-keys, Pause) suits it best.
    """

    def __init__(self, hotkey: Hotkey, keyboard: Any = None) -> None:
        self.hotkey = hotkey
        self._keys = keyboard
        self._listener: Any = None

    def before_start(self) -> None:
        """Raise ``InsertError`` when this system will not report keys (default: it will)."""

    def start(self, on_press: Callable[[], None], on_release: Callable[[], None]) -> None:
        if self._listener is not None:
            raise RuntimeError("the hotkey listener is already started")
        self.before_start()
        keys = self._keys if self._keys is not None else import_keyboard()
        key = pynput_key(self.hotkey.key, keys)
        if key is None:
            raise InsertError("insert.hotkey_unknown_key", hotkey=str(self.hotkey), key=self.hotkey.key)
        chord: Chord | None = None

        def pressed(k: Any) -> None:
            if chord is not None and chord.press(listener.canonical(k)):
                on_press()

        def released(k: Any) -> None:
            if chord is not None and chord.release(listener.canonical(k)):
                on_release()

        listener = keys.Listener(on_press=pressed, on_release=released)
        modifiers = {name: [listener.canonical(getattr(keys.Key, k)) for k in names if hasattr(keys.Key, k)]
                     for name, names in MODIFIER_KEYS.items()}
        chord = Chord(listener.canonical(key), modifiers, self.hotkey.modifiers)
        try:
            listener.start()
            listener.wait()
        except Exception as e:
            raise InsertError("insert.hotkey_failed", hotkey=str(self.hotkey),
                              detail=first_line(e) or type(e).__name__) from e
        self._listener = listener

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop()
            listener.join()
