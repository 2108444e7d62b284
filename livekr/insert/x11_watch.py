"""Who pressed what since an insertion: the X server's key presses and pointer button presses,
watched through the RECORD extension, with marks between them.

The watch has two display connections of its own: a control connection, whose window carries
the marks, and a data connection, which a thread blocks on while the server sends it what it
records: every key press, key release and button press of any device (XTEST included, so
livekr's own keys and xdotool's too), and the control connection's ChangeProperty requests.
``mark`` changes a property of the control window and waits until the thread has seen that
request come back: the server records in the order it processes, so every press processed
before the mark is in the log before it. An insertion is bracketed by a mark taken after its
last key was processed (livekr's keys fall before it); undo takes a second mark and reads the
presses between the two.

The server cannot say which person pressed what: a press is a press, whoever sent it.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

from livekr.insert.base import InsertError
from livekr.insert.x11_display import open_display, x_errors

log = logging.getLogger(__name__)

MARK_TIMEOUT_S = 2.0
"""How long the watch's thread may take to see a mark come back."""
LOG_PRESSES = 4096
"""Presses kept; a mark older than that many presses is forgotten (its span reads as unknown)."""
MARK_PROPERTY = "_LIVEKR_INPUT_MARK"
X_KEY_PRESS, X_KEY_RELEASE, X_BUTTON_PRESS = 2, 3, 4
X_CHANGE_PROPERTY = 18
EVENT_BYTES = 32
RECORD_FROM_SERVER, RECORD_FROM_CLIENT, RECORD_START_OF_DATA = 0, 1, 4
"""RECORD's categories of intercepted data (python-xlib ``Xlib.ext.record``)."""
BUTTON = 0
"""What a pointer button press is logged as (key codes start at 8)."""


@dataclass(frozen=True)
class Span:
    """The presses between two marks, in server order."""

    keycodes: tuple[int, ...]
    """Key codes of key presses; ``BUTTON`` (0) for each pointer button press."""

    def only(self, allowed: frozenset[int]) -> bool:
        """Every press is a key in ``allowed`` (no button, no other key)."""
        return all(code in allowed for code in self.keycodes)


class PressLog:
    """Presses and marks in the order the server processed them. Pure; ``InputWatch`` feeds
    it from its thread under its lock."""

    def __init__(self, keep: int = LOG_PRESSES) -> None:
        self._presses: deque[int] = deque(maxlen=keep)
        self._count = 0
        """Presses logged so far, forgotten ones included."""
        self._marks: dict[int, int] = {}
        """Mark serial → presses logged before it."""

    def press(self, keycode: int) -> None:
        self._presses.append(keycode)
        self._count += 1

    def mark(self, serial: int) -> None:
        self._marks[serial] = self._count
        if len(self._marks) > self._presses.maxlen:  # type: ignore[operator]
            del self._marks[next(iter(self._marks))]

    def has(self, serial: int) -> bool:
        return serial in self._marks

    def between(self, first: int, last: int) -> Span | None:
        """The presses after mark ``first`` and before mark ``last``; ``None`` when either mark
        is unknown or presses between them were forgotten."""
        if first not in self._marks or last not in self._marks:
            return None
        start, end = self._marks[first], self._marks[last]
        oldest = self._count - len(self._presses)
        if start < oldest or end < start:
            return None
        kept = list(self._presses)
        return Span(tuple(kept[start - oldest:end - oldest]))


def parse_record(category: int, data: bytes, mark_window: int) -> list[tuple[str, int]]:
    """One chunk of RECORD data as ``("press", keycode)`` (``BUTTON`` for a button),
    ``("release", keycode)`` and ``("mark", serial)`` items; anything else is left out.
    Events are 32 bytes each; requests carry their length in 4-byte units; both in this
    machine's byte order (the server swaps for the recording client)."""
    order = sys.byteorder
    items: list[tuple[str, int]] = []
    if category == RECORD_FROM_SERVER:
        for at in range(0, len(data) - EVENT_BYTES + 1, EVENT_BYTES):
            kind, detail = data[at] & 0x7F, data[at + 1]
            if kind == X_KEY_PRESS:
                items.append(("press", detail))
            elif kind == X_KEY_RELEASE:
                items.append(("release", detail))
            elif kind == X_BUTTON_PRESS:
                items.append(("press", BUTTON))
    elif category == RECORD_FROM_CLIENT:
        at = 0
        while at + 4 <= len(data):
            length = int.from_bytes(data[at + 2:at + 4], order) * 4
            if length < 4:
                break
            request = data[at:at + length]
            ours = len(request) >= 28 and int.from_bytes(request[4:8], order) == mark_window
            if request[0] == X_CHANGE_PROPERTY and ours:
                items.append(("mark", int.from_bytes(request[24:28], order)))
            at += length
    return items


class InputWatch:
    """The watch (see the module). ``start`` returns ``None`` where the server has no RECORD
    extension (with a warning). ``mark`` and ``between`` may be called from any one thread;
    ``stop`` ends the thread and closes both connections."""

    def __init__(self, control: Any, data: Any, name: str) -> None:
        from Xlib import X

        self._name = name
        self._control, self._data = control, data
        self._window = control.screen().root.create_window(
            0, 0, 1, 1, 0, 0, X.InputOnly, X.CopyFromParent
        )
        self._atom = control.intern_atom(MARK_PROPERTY)
        self._cardinal = control.intern_atom("CARDINAL")
        self._log = PressLog()
        self._changed = threading.Condition()
        self._serial = 0
        self._context = control.record_create_context(
            0,
            [self._window.id],
            [
                {
                    "core_requests": (X_CHANGE_PROPERTY, X_CHANGE_PROPERTY),
                    "core_replies": (0, 0),
                    "ext_requests": (0, 0, 0, 0),
                    "ext_replies": (0, 0, 0, 0),
                    "delivered_events": (0, 0),
                    "device_events": (X_KEY_PRESS, X_BUTTON_PRESS),
                    "errors": (0, 0),
                    "client_started": False,
                    "client_died": False,
                }
            ],
        )
        control.sync()
        self._thread = threading.Thread(target=self._run, name="livekr-input-watch", daemon=True)
        self._stopped = False
        self._started = threading.Event()
        self._thread.start()
        if not self._started.wait(MARK_TIMEOUT_S):
            log.warning("the input watch did not start within %g s", MARK_TIMEOUT_S)

    @classmethod
    def start(cls, display: str | None) -> InputWatch | None:
        """A running watch of ``display`` (default ``$DISPLAY``), or ``None`` without RECORD."""
        control = open_display(display, require_xtest=False)
        if not control.has_extension("RECORD"):
            log.warning("the X server has no RECORD extension: undo falls back to its idle time, "
                        "and the undo shortcut itself then counts as input")
            control.close()
            return None
        name = display or control.get_display_name()
        try:
            data = open_display(display, require_xtest=False)
        except BaseException:
            control.close()
            raise
        with x_errors(name):
            return cls(control, data, name)

    def mark(self) -> int:
        """A mark after every press the server processed before this call; its serial.
        ``InsertError("insert.display_gone")`` when the display went away."""
        from Xlib import X

        with self._changed:
            self._serial += 1
            serial = self._serial
        with x_errors(self._name):
            self._window.change_property(self._atom, self._cardinal, 32, [serial], X.PropModeReplace)
            self._control.sync()  # a reply makes the server flush what it recorded
        with self._changed:
            if not self._changed.wait_for(lambda: self._log.has(serial), MARK_TIMEOUT_S):
                log.warning("the input watch did not see mark %d within %g s", serial, MARK_TIMEOUT_S)
        return serial

    def between(self, first: int, last: int) -> Span | None:
        """The presses between two marks; ``None`` when unknown (see ``PressLog.between``)."""
        with self._changed:
            return self._log.between(first, last)

    def wait_input(self, timeout_s: float) -> None:
        """Return at the next key press or release the thread sees, or after ``timeout_s``."""
        with self._changed:
            self._changed.wait(timeout_s)

    def stop(self) -> None:
        """End the thread and close both connections. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        try:
            with x_errors(self._name):
                self._control.record_disable_context(self._context)
                self._control.sync()
        except InsertError:
            log.info("the X display was gone when the input watch stopped")
        self._thread.join(MARK_TIMEOUT_S)
        for connection in (self._data, self._control):
            try:
                if connection is self._control:
                    connection.record_free_context(self._context)
                connection.close()
            except Exception:
                log.debug("closing the input watch's connection failed", exc_info=True)

    def _run(self) -> None:
        """The thread: blocks in RECORD's enable until ``stop`` disables the context."""
        try:
            self._data.record_enable_context(self._context, self._on_data)
        except Exception:  # the edge of the thread: the display went away
            log.exception("the input watch stopped")

    def _on_data(self, reply: Any) -> None:
        if reply.category == RECORD_START_OF_DATA:
            self._started.set()
        if reply.category not in (RECORD_FROM_SERVER, RECORD_FROM_CLIENT):
            return
        data = reply.data if isinstance(reply.data, bytes) else bytes(reply.data)
        items = parse_record(reply.category, data, self._window.id)
        if not items:
            return
        with self._changed:
            for kind, value in items:
                if kind == "press":
                    self._log.press(value)
                elif kind == "mark":
                    self._log.mark(value)
            self._changed.notify_all()
