"""The global shortcut, brought to the GUI thread.

A ``HotkeyListener`` calls back from its own thread; ``GlobalHotkey`` turns each call into a
private signal connected with a queued connection to itself, so ``pressed`` and ``released``
are always emitted on the GUI thread, whatever listens to them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot

from livekr.gui.qtcompat import emit
from livekr.insert.base import Hotkey, HotkeyListener

log = logging.getLogger(__name__)

ListenerFactory = Callable[[Hotkey], HotkeyListener]


class GlobalHotkey(QObject):
    """One grabbed shortcut at a time (GUI thread)."""

    pressed = Signal()
    released = Signal()
    _press_seen = Signal()
    _release_seen = Signal()

    def __init__(self, make_listener: ListenerFactory, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._make_listener = make_listener
        self._listener: HotkeyListener | None = None
        self.hotkey: Hotkey | None = None
        queued = Qt.ConnectionType.QueuedConnection
        self._press_seen.connect(self._on_press_seen, queued)
        self._release_seen.connect(self._on_release_seen, queued)

    def grab(self, hotkey: Hotkey) -> None:
        """Let the previous shortcut go and watch ``hotkey``; raises ``InsertError`` when it
        cannot be grabbed (then none is held)."""
        self.release()
        listener = self._make_listener(hotkey)
        listener.start(self._on_listener_press, self._on_listener_release)
        self._listener, self.hotkey = listener, hotkey

    def release(self) -> None:
        """Stop watching (returns once the listener's thread has ended)."""
        listener, self._listener, self.hotkey = self._listener, None, None
        if listener is not None:
            try:
                listener.stop()
            except Exception:
                log.exception("releasing the global shortcut failed")

    # the listener's thread: emit only

    def _on_listener_press(self) -> None:
        emit(self._press_seen)

    def _on_listener_release(self) -> None:
        emit(self._release_seen)

    # the GUI thread

    @Slot()
    def _on_press_seen(self) -> None:
        if self._listener is not None:
            emit(self.pressed)

    @Slot()
    def _on_release_seen(self) -> None:
        if self._listener is not None:
            emit(self.released)
