"""Dictation into the focused X11 program: synthetic keys (XTEST) or the clipboard.

``type`` presses the layout's own keys for the characters it has (Shift where needed) and
maps the others (composed Hangul, any Unicode) onto spare key codes, in batches
(``x11_keys``). Exactness rests on one rule: at most one change of the keyboard mapping is in
flight at a time, and a key code never changes while keys that use it are in flight. After
each key code change and after each batch of keys, livekr sends the target a
``_NET_WM_PING`` and waits for its answer: an X client dispatches its events in the order the
server sent them, so the answer means it has processed the mapping notification (reloaded
its keymap) and looked up every key before it. Sending several changes at once is not safe:
libX11 with XKB (Tk, for one) loses a change that arrives while it reloads an earlier one
and keeps typing the old character (measured under load). Targets that never answer the ping
(GTK, Qt, Chromium, Firefox and Tk do) get a pause instead: best effort, no guarantee under
load. An X input method server (XIM) that looks keys up in its own process is outside it.

``paste`` puts the text on the CLIPBOARD (``x11_clipboard``), sends Ctrl+V, waits until the
target has asked for the text and processed the answer, then restores the clipboard's
previous text. Terminals paste with Ctrl+Shift+V: there ``paste`` fails and says so.

An input method in Hangul mode turns typed Latin letters into jamo; ``paste`` avoids it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator

from livekr.insert.base import Hotkey, InsertError, Insertion, Method, Target
from livekr.insert.x11_clipboard import ClipboardOwner, read_clipboard
from livekr.insert.x11_display import (
    Pinger,
    focused_window,
    idle_ms,
    open_display,
    target_of,
    wayland_problem,
    x_errors,
)
from livekr.insert.x11_hotkey import chord_keycodes
from livekr.insert.x11_keys import (
    BACKSPACE_KEYSYM,
    CAPS_LOCK_KEYSYM,
    CONTROL_KEYSYM,
    SHIFT_KEYSYM,
    V_KEYSYM,
    Stroke,
    keysym_for,
    layout_strokes,
    plan_batches,
    runs,
    spare_keycodes,
)
from livekr.insert.x11_watch import InputWatch

__all__ = ["X11Inserter", "wayland_problem"]

log = logging.getLogger(__name__)

CONFIRM_TIMEOUT_S = 10.0
"""How long a target may take to process one batch of keys (or a paste) and answer the ping."""
PROBE_TIMEOUT_S = 2.0
"""How long a target that does not list ``_NET_WM_PING`` may take to answer the first one."""
UNCONFIRMED_SETTLE_S = 0.05
"""Pause after each key code change and batch of keys, for a target that does not answer pings."""
CLIPBOARD_READ_TIMEOUT_S = 1.0
PASTE_TIMEOUT_S = 5.0
"""How long after Ctrl+V the target may take to ask for the clipboard."""
IDLE_SLACK_MS = 2
CHORD_RELEASE_TIMEOUT_S = 2.0
"""How long undo waits for the keys of the shortcut that asked for it to go up."""
"""The X server counts idle time in whole milliseconds."""
MODIFIER_NAMES = ("Shift", "Lock", "Ctrl", "Alt", "Mod2", "Mod3", "Super", "AltGr")
"""The eight core modifiers, by bit, as people usually know them."""
LOCK_KEYSYMS = (0xFF7F, 0xFF14)
"""Num_Lock and Scroll_Lock: their modifiers may be on while typing."""


class X11Inserter:
    """``Inserter`` for X11; see the module. Opens its own display connection (``display``:
    a name such as ":0", default ``$DISPLAY``; ``InsertError`` when there is none, with the
    reason on Wayland). Used from one thread at a time; ``close`` restores the spare key codes,
    gives the clipboard up and stops the input watch (``watch_input``: RECORD, for ``undo``)."""

    def __init__(
        self, method: Method = "type", display: str | None = None, *, watch_input: bool = True
    ) -> None:
        from Xlib import X

        self.method: Method = method
        self._name = display or os.environ.get("DISPLAY", "")
        self._display = open_display(display)
        self._display_arg = display
        with x_errors(self._name):
            self._root = self._display.screen().root
            self._pinger = Pinger(self._display)
            self._window = self._root.create_window(
                0, 0, 1, 1, 0, 0, X.InputOnly, X.CopyFromParent, event_mask=X.PropertyChangeMask
            )
        self._answers_ping: dict[int, bool] = {}
        self._mapped: dict[int, int] = {}
        """Spare key codes livekr has mapped now: keycode → keysym."""
        self._owner: ClipboardOwner | None = None
        self._closed = False
        self._ends: dict[Insertion, int] = {}
        """The last insertion → the input watch's mark taken when it ended."""
        self._watch: InputWatch | None = None
        if watch_input:
            try:
                self._watch = InputWatch.start(display)
            except BaseException:
                self._display.close()
                raise

    def focused(self) -> Target:
        """The focused top-level window (``Target(0, 0)`` when none). X11 cannot tell a
        password field (no accessibility query here): ``password`` is always ``False``."""
        with self._x():
            return target_of(self._display, focused_window(self._display))

    def insert(self, text: str) -> Insertion:
        """Type or paste ``text`` into the focused window; returns when the target has
        processed it. Refuses (``InsertError``) with no focus window, into livekr's own
        windows, while modifier keys are held, and when the display is gone."""
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        with self._x():
            target = self.focused()
            if not target.window:
                raise InsertError("insert.no_focus")
            if target.pid == os.getpid():
                raise InsertError("insert.own_window")
            self._check_modifiers()
            if text and self.method == "type":
                self._type(text, target)
            elif text:
                self._paste(text, target)
        insertion = Insertion(text, self.method, target, time.monotonic())
        if self._watch is not None:
            self._ends = {insertion: self._watch.mark()}  # only the last one can be undone
        return insertion

    def undo(self, insertion: Insertion, chord: Hotkey | None = None) -> None:
        """BackSpace once per character of ``insertion`` (a newline is one), only while its
        window has the focus and, since it ended, no key or pointer button was pressed but the
        keys of ``chord`` (the global shortcut that asked for this undo: its key and its
        modifiers). Else ``InsertError("insert.moved")``, nothing changed.

        The presses come from the input watch (``x11_watch``, RECORD): livekr's own keys fall
        before the mark taken when the insertion ended. The chord's modifiers are still down
        when its press is reported: undo waits up to ``CHORD_RELEASE_TIMEOUT_S`` for them to
        go up. Without RECORD (or with ``watch_input=False``) the rule is MIT-SCREEN-SAVER's
        idle time, which counts every key, the chord's own included: there only an undo that
        no key asked for (a menu of another device, a script) gets through."""
        with self._x():
            if not insertion.text:
                return
            if self._watch is None:
                self._check_idle(insertion)
            else:
                self._check_presses(insertion, chord)
            if self.focused().window != insertion.target.window:
                raise InsertError("insert.moved")
            self._check_modifiers()
            backspace = self._layout().get(BACKSPACE_KEYSYM)
            if backspace is None:
                raise InsertError("insert.no_key", key="BackSpace")
            self._send([backspace] * len(insertion.text))
            if self._answers_ping.get(insertion.target.window):
                self._pinger.ping(insertion.target.window, CONFIRM_TIMEOUT_S)

    def _check_idle(self, insertion: Insertion) -> None:
        """``insert.moved`` when the server's idle time is shorter than the time since
        ``insertion.at_s`` (which came after livekr's own last key)."""
        since_ms = (time.monotonic() - insertion.at_s) * 1000
        idle = idle_ms(self._display)
        if idle is None:
            raise InsertError("insert.no_idle")
        if idle + IDLE_SLACK_MS < since_ms:
            raise InsertError("insert.moved")

    def _check_presses(self, insertion: Insertion, chord: Hotkey | None) -> None:
        """``insert.moved`` when anything but ``chord``'s keys was pressed since ``insertion``
        ended (or that cannot be told: its mark is unknown or forgotten)."""
        assert self._watch is not None
        allowed = chord_keycodes(self._display, chord) if chord is not None else frozenset()
        self._wait_released(allowed)
        start = self._ends.get(insertion)
        span = self._watch.between(start, self._watch.mark()) if start is not None else None
        if span is None or not span.only(allowed):
            raise InsertError("insert.moved")

    def _wait_released(self, keycodes: frozenset[int]) -> None:
        """Wait (at most ``CHORD_RELEASE_TIMEOUT_S``) until none of ``keycodes`` is down."""
        assert self._watch is not None
        if not keycodes:
            return
        deadline = time.monotonic() + CHORD_RELEASE_TIMEOUT_S
        while (left := deadline - time.monotonic()) > 0:
            down = self._display.query_keymap()
            if not any(down[code // 8] & (1 << (code % 8)) for code in keycodes):
                return
            self._watch.wait_input(left)

    def close(self) -> None:
        """Restore the spare key codes, give the clipboard up, close the connection. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._watch is not None:
                self._watch.stop()
            if self._owner is not None:
                self._owner.close()
            with x_errors(self._name):
                if self._mapped:
                    time.sleep(UNCONFIRMED_SETTLE_S)
                    self._restore_keycodes()
                self._display.close()
        except InsertError:
            log.info("the X display was gone at close; nothing to restore")

    @contextlib.contextmanager
    def _x(self) -> Iterator[None]:
        if self._closed:
            raise RuntimeError("the X11 inserter is closed")
        with x_errors(self._name):
            yield

    # -- typing ---------------------------------------------------------------------------

    def _type(self, text: str, target: Target) -> None:
        """Type ``text`` batch by batch (see the module), then empty the spare key codes."""
        rows, first = self._keymap()
        layout = {ks: s for ks, s in layout_strokes(rows, first).items() if s.keycode not in self._mapped}
        spare = spare_keycodes(rows, first) + list(self._mapped)
        control = next((char for char in text if keysym_for(char) is None), None)
        if control is not None:
            raise InsertError("insert.control_char", code=f"U+{ord(control):04X}")
        try:
            batches = plan_batches(text, layout, spare, self._mapped)
        except ValueError as e:
            raise InsertError("insert.no_spare_keycodes", detail=str(e)) from e
        confirmed = self._answers(target)
        shift = layout.get(SHIFT_KEYSYM)
        done = 0
        with self._caps_lock_off(layout):
            for batch in batches:
                self._check_focus(target, done, len(text))
                for keycode, keysym in sorted(batch.remap.items()):
                    self._remap(keycode, keysym)
                    self._confirm(target, confirmed)
                self._send(batch.strokes, shift)
                self._confirm(target, confirmed)
                done += batch.chars
        self._check_focus(target, done, len(text))
        self._restore_keycodes()
        self._confirm(target, confirmed)

    def _confirm(self, target: Target, confirmed: bool) -> None:
        """Wait until ``target`` has processed every event sent so far: its answer to a ping, or
        for a target that never answers, a pause (best effort)."""
        if not confirmed:
            time.sleep(UNCONFIRMED_SETTLE_S)
        elif not self._pinger.ping(target.window, CONFIRM_TIMEOUT_S):
            raise InsertError("insert.unconfirmed", title=target.title, timeout_s=CONFIRM_TIMEOUT_S)

    def _answers(self, target: Target) -> bool:
        """Whether ``target`` answers pings (asked once per window): typing into it is exact."""
        known = self._answers_ping.get(target.window)
        if known is not None:
            return known
        advertised = self._pinger.advertised(target.window)
        answered = self._pinger.ping(target.window, CONFIRM_TIMEOUT_S if advertised else PROBE_TIMEOUT_S)
        if advertised and not answered:
            raise InsertError("insert.not_responding", title=target.title, timeout_s=CONFIRM_TIMEOUT_S)
        if not answered:
            log.warning("%r does not answer _NET_WM_PING: typing into it cannot be confirmed", target.title)
        self._answers_ping[target.window] = answered
        return answered

    def _keymap(self) -> tuple[list[list[int]], int]:
        info = self._display.display.info
        rows = self._display.get_keyboard_mapping(info.min_keycode, info.max_keycode - info.min_keycode + 1)
        return [list(row) for row in rows], info.min_keycode

    def _layout(self) -> dict[int, Stroke]:
        rows, first = self._keymap()
        return layout_strokes(rows, first)

    def _remap(self, keycode: int, keysym: int) -> None:
        """Map one spare key code to ``keysym`` (the caller confirms before the next change)."""
        self._display.change_keyboard_mapping(keycode, [(keysym, keysym)])
        self._mapped[keycode] = keysym

    def _restore_keycodes(self) -> None:
        """Give the spare key codes back their original emptiness (no keysym)."""
        for first, keysyms in runs(self._mapped):
            self._display.change_keyboard_mapping(first, [(0, 0)] * len(keysyms))
        self._mapped.clear()
        self._display.sync()

    def _send(self, strokes: list[Stroke], shift: Stroke | None = None) -> None:
        """Press and release each key (``shift`` around those that need it), then wait until
        the server has delivered the events (a round trip)."""
        from Xlib import X
        from Xlib.ext import xtest

        for stroke in strokes:
            if stroke.shift and shift is not None:
                xtest.fake_input(self._display, X.KeyPress, shift.keycode)
            xtest.fake_input(self._display, X.KeyPress, stroke.keycode)
            xtest.fake_input(self._display, X.KeyRelease, stroke.keycode)
            if stroke.shift and shift is not None:
                xtest.fake_input(self._display, X.KeyRelease, shift.keycode)
        self._display.sync()

    @contextlib.contextmanager
    def _caps_lock_off(self, layout: dict[int, Stroke]) -> Iterator[None]:
        """Caps Lock turned off while typing (it would change the case of letters), then on."""
        from Xlib import X

        caps = layout.get(CAPS_LOCK_KEYSYM)
        locked = caps is not None and bool(self._root.query_pointer().mask & X.LockMask)
        if locked and caps is not None:
            self._send([caps])
        try:
            yield
        finally:
            if locked and caps is not None:
                self._send([caps])

    def _check_focus(self, target: Target, done: int, total: int) -> None:
        window = focused_window(self._display)
        if window is None or window.id != target.window:
            raise InsertError("insert.focus_changed", done=done, total=total, title=target.title)

    def _check_modifiers(self) -> None:
        """``InsertError`` while a modifier key is held (it would turn keys into shortcuts);
        Caps Lock, Num Lock and Scroll Lock may be on."""
        from Xlib import X

        mask = self._root.query_pointer().mask & 0xFF
        layout = self._layout()
        locks = {layout[keysym].keycode for keysym in LOCK_KEYSYMS if keysym in layout}
        allowed = X.LockMask
        for index, keycodes in enumerate(self._display.get_modifier_mapping()):
            if locks & set(keycodes):
                allowed |= 1 << index
        held = [name for bit, name in enumerate(MODIFIER_NAMES) if mask & ~allowed & (1 << bit)]
        if held:
            raise InsertError("insert.modifiers_held", keys="+".join(held))

    # -- pasting --------------------------------------------------------------------------

    def _paste(self, text: str, target: Target) -> None:
        """Own the clipboard with ``text``, send Ctrl+V, wait until the target asked for it and
        processed the answer; then the previous clipboard text is served again."""
        if self._owner is None:
            self._owner = ClipboardOwner(self._display_arg)
        previous = read_clipboard(self._display, self._window, CLIPBOARD_READ_TIMEOUT_S)
        layout = self._layout()
        ctrl, v = layout.get(CONTROL_KEYSYM), layout.get(V_KEYSYM)
        if ctrl is None or v is None:
            raise InsertError("insert.no_key", key="Control_L" if ctrl is None else "v")
        served = self._owner.served_count()
        self._owner.own(text, CLIPBOARD_READ_TIMEOUT_S)
        try:
            self._send_ctrl_v(ctrl.keycode, v.keycode)
            if not self._owner.wait_served(served, target.window, PASTE_TIMEOUT_S):
                raise InsertError("insert.paste_unanswered", title=target.title, timeout_s=PASTE_TIMEOUT_S)
            if self._answers(target):
                self._pinger.ping(target.window, CONFIRM_TIMEOUT_S)
        finally:
            self._owner.restore(previous, CLIPBOARD_READ_TIMEOUT_S)

    def _send_ctrl_v(self, ctrl: int, v: int) -> None:
        from Xlib import X
        from Xlib.ext import xtest

        for kind, code in ((X.KeyPress, ctrl), (X.KeyPress, v), (X.KeyRelease, v), (X.KeyRelease, ctrl)):
            xtest.fake_input(self._display, kind, code)
        self._display.sync()
