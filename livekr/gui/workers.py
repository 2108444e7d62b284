"""Running one worker QObject on a QThread of its own, wired the same way by every owner.

The owner calls ``start_worker``: the worker moves to a new thread parented to the owner;
started→run, the worker's ``finished``→quit, thread.finished→deleteLater and → the owner's
slot. The worker calls ``back_to_gui_thread`` at the end of its ``run`` (before emitting
``finished``), so that it is deleted in the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QThread, SignalInstance


def start_worker(owner: QObject, worker: QObject, run: Callable[[], None], finished: SignalInstance,
                 on_thread_finished: Callable[[], None], name: str) -> QThread:
    """Start ``run`` (a slot of ``worker``) on a new thread named ``name``; ``finished`` is the
    worker's always-emitted last signal; ``on_thread_finished`` runs in the owner's thread once
    the thread has ended. Returns the thread (it deletes itself when it has finished)."""
    thread = QThread(owner)
    thread.setObjectName(name)
    worker.moveToThread(thread)
    thread.started.connect(run)
    finished.connect(thread.quit)
    thread.finished.connect(thread.deleteLater)
    thread.finished.connect(on_thread_finished)
    thread.start()
    return thread


def back_to_gui_thread(worker: QObject) -> None:
    """Move ``worker`` (from its own thread) back to the GUI thread before anything deletes it:
    a Python QObject destroyed on another thread takes Qt's connection locks and then the GIL,
    the reverse of the GUI thread's order, and the two can deadlock."""
    app = QCoreApplication.instance()
    if app is not None:
        worker.moveToThread(app.thread())
