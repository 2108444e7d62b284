"""The insertion thread: an ``Inserter`` driven off the GUI thread, one text at a time, in order.

``Insertions`` is the one owner of the thread: it moves an ``InsertionWorker`` to its own
QThread and hands it texts and undo requests through queued signals, so the GUI never waits
on the program that receives the text. ``clear()`` drops every text not yet inserted at once
(each request carries the generation it was made in; the worker skips stale ones). Results
come back as signals carrying immutable data; every exception at the thread edge becomes
``failed`` or ``undo_failed``.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, QThread, Signal, Slot

from livekr.gui.i18n import localize
from livekr.gui.qtcompat import emit
from livekr.insert.base import Hotkey, Inserter, InsertError, Insertion

log = logging.getLogger(__name__)


class Generation:
    """A counter shared by the GUI thread (``advance``) and the worker (``current``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value = 0

    @property
    def current(self) -> int:
        with self._lock:
            return self._value

    def advance(self) -> int:
        with self._lock:
            self._value += 1
            return self._value


class InsertionWorker(QObject):
    """Lives in the insertion thread; the only caller of its ``Inserter``."""

    inserted = Signal(object)
    """The ``Insertion`` just made."""
    failed = Signal(str)
    """An insertion failed: why, in the window's language."""
    skipped = Signal()
    """A text was dropped because ``clear()`` came after it was requested."""
    undone = Signal(object)
    """The ``Insertion`` that was removed."""
    undo_failed = Signal(str)
    """Undo changed nothing: why (the focus or the cursor moved, …)."""

    def __init__(self, inserter: Inserter, generation: Generation) -> None:
        super().__init__()
        self.inserter = inserter
        self._generation = generation
        self._last: Insertion | None = None

    @Slot(int, str)
    def insert(self, generation: int, text: str) -> None:
        if generation != self._generation.current:
            emit(self.skipped)
            return
        try:
            insertion = self.inserter.insert(text)
        except Exception as e:  # the thread edge: every failure becomes a signal
            if not isinstance(e, InsertError):
                log.exception("inserting %d characters failed", len(text))
            emit(self.failed, localize(e))
            return
        self._last = insertion
        emit(self.inserted, insertion)

    @Slot(object)
    def undo_last(self, chord: Hotkey | None) -> None:
        """Remove the newest insertion (the one made last, whatever was queued before this);
        ``chord``: the global shortcut that asked for it, whose keys do not count as input."""
        last = self._last
        if last is None:
            return
        try:
            self.inserter.undo(last, chord=chord)
        except Exception as e:
            if not isinstance(e, InsertError):
                log.exception("undoing an insertion failed")
            emit(self.undo_failed, localize(e))
            return
        self._last = None
        emit(self.undone, last)

    @Slot()
    def close(self) -> None:
        """Give back the inserter's resources, then end the thread (queued after every request)."""
        try:
            self.inserter.close()
        except Exception:
            log.exception("closing the inserter failed")
        thread = self.thread()
        if thread is not None:
            thread.quit()


class Insertions(QObject):
    """Owns the insertion thread for one ``Inserter`` (GUI thread)."""

    inserted = Signal(object)
    failed = Signal(str)
    undone = Signal(object)
    undo_failed = Signal(str)
    pending_changed = Signal(int)
    """How many texts wait or are being inserted now."""
    ended = Signal()
    """The thread has ended after ``close()``; this object may go now."""

    _requested = Signal(int, str)
    _undo_requested = Signal(object)
    _close_requested = Signal()

    def __init__(self, inserter: Inserter, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._generation = Generation()
        self.pending = 0
        self._thread = QThread(self)
        self._thread.setObjectName("livekr-insertion")
        self.worker = InsertionWorker(inserter, self._generation)
        self.worker.moveToThread(self._thread)
        self._requested.connect(self.worker.insert)
        self._undo_requested.connect(self.worker.undo_last)
        self._close_requested.connect(self.worker.close)
        self.worker.inserted.connect(self._on_worker_inserted)
        self.worker.failed.connect(self._on_worker_failed)
        self.worker.skipped.connect(self._on_worker_skipped)
        self.worker.undone.connect(self.undone)
        self.worker.undo_failed.connect(self.undo_failed)
        self._thread.finished.connect(self.worker.deleteLater)
        self._thread.finished.connect(self.ended)
        self._thread.start()
        self._closed = False

    def submit(self, text: str) -> None:
        """Insert ``text`` after everything submitted before it."""
        if self._closed or not text:
            return
        self._count(+1)
        emit(self._requested, self._generation.current, text)

    def clear(self) -> None:
        """Drop every text not inserted yet (the one being typed now still ends)."""
        self._generation.advance()

    def undo_last(self, chord: Hotkey | None = None) -> None:
        """Undo the newest insertion; ``chord``: the global shortcut that asked for it."""
        if not self._closed:
            emit(self._undo_requested, chord)

    @property
    def running(self) -> bool:
        return self._thread.isRunning()

    def close(self, wait: bool = False) -> None:
        """Drop what waits, give back the inserter in its thread and end the thread (``ended``
        follows); with ``wait``, return only once it has ended (after at most the one insertion
        in progress). Keep this object until then: a running QThread must not be destroyed."""
        if not self._closed:
            self._closed = True
            self.clear()
            emit(self._close_requested)
        if wait:
            self._thread.wait()

    def _count(self, step: int) -> None:
        self.pending = max(0, self.pending + step)
        emit(self.pending_changed, self.pending)

    @Slot(object)
    def _on_worker_inserted(self, insertion: Insertion) -> None:
        self._count(-1)
        emit(self.inserted, insertion)

    @Slot(str)
    def _on_worker_failed(self, message: str) -> None:
        self._count(-1)
        self.clear()
        emit(self.failed, message)

    @Slot()
    def _on_worker_skipped(self) -> None:
        self._count(-1)
