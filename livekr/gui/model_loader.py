"""Loading a model off the GUI thread: a worker QObject moved to a QThread, one owner.

``ModelLoader`` owns the thread wiring (started→run, finished→quit, thread.finished→
deleteLater; the worker moves itself back to the GUI thread at the end of ``run`` and is
deleted there).
One load runs at a time; asking for another while busy queues it (the newest request
wins). Every exception in the worker becomes ``failed`` with a one-line reason in the
window's language (``i18n.localize``: never a class name; the log keeps the English and any
traceback), and the worker's ``finished`` always fires. Progress lines are localised too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from livekr.config import RecognizerOptions
from livekr.gui.i18n import localize
from livekr.gui.qtcompat import emit
from livekr.recognizer import ModelLoadError, Recognizer

log = logging.getLogger(__name__)

LoadFunction = Callable[..., Recognizer]
"""``livekr.recognizer.load_recognizer`` or a test's stand-in, called as
``load(ref, options, progress=callback)``; ``callback`` receives one-line messages about slow
steps (converting, measuring)."""


class ModelLoadWorker(QObject):
    """Loads one model in whatever thread it is moved to."""

    loaded = Signal(object)
    """The ``Recognizer``."""
    failed = Signal(str)
    """A one-line reason, in the window's language."""
    progress = Signal(str)
    """A one-line message about a slow step of the load, in the window's language."""
    finished = Signal()
    """Always emitted, after ``loaded`` or ``failed``."""

    def __init__(self, ref: str, options: RecognizerOptions, load: LoadFunction) -> None:
        super().__init__()
        self.ref = ref
        self.options = options
        self._load = load

    def report(self, message: str) -> None:
        """Passed to the load function as its progress callback (worker thread)."""
        emit(self.progress, localize(message))

    @Slot()
    def run(self) -> None:
        try:
            recognizer = self._load(self.ref, self.options, progress=self.report)
        except ModelLoadError as e:
            log.warning("cannot load %s: %s", self.ref, e)
            emit(self.failed, localize(e))
        except Exception as e:  # the thread edge: every error reaches the GUI
            log.exception("loading %s failed", self.ref)
            emit(self.failed, localize(e))
        else:
            emit(self.loaded, recognizer)
        finally:
            # Back to the GUI thread before anything deletes it: a Python QObject destroyed
            # on another thread takes Qt's connection locks and then the GIL, the reverse of
            # the GUI thread's order, and the two can deadlock.
            app = QCoreApplication.instance()
            if app is not None:
                self.moveToThread(app.thread())
            emit(self.finished)


class ModelLoader(QObject):
    """Runs model loads one at a time on a QThread; lives in the GUI thread."""

    started = Signal(str)
    """A load of this ref began."""
    loaded = Signal(str, object)
    """(ref, recognizer)."""
    failed = Signal(str, str)
    """(ref, reason in the window's language)."""
    progress = Signal(str)
    """A one-line message about a slow step of the running load (e.g. converting the model)."""
    idle = Signal()
    """No load runs or waits any more."""

    def __init__(self, load: LoadFunction, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._load = load
        self._thread: QThread | None = None
        self._worker: ModelLoadWorker | None = None
        self._pending: tuple[str, RecognizerOptions] | None = None

    @property
    def busy(self) -> bool:
        return self._thread is not None or self._pending is not None

    def load(self, ref: str, options: RecognizerOptions) -> None:
        """Load ``ref``; if a load is running, this one follows it (replacing any queued)."""
        if self._thread is not None:
            self._pending = (ref, options)
            return
        worker = ModelLoadWorker(ref, options, self._load)
        thread = QThread(self)
        thread.setObjectName("livekr-model-loader")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.loaded.connect(self._on_worker_loaded)
        worker.failed.connect(self._on_worker_failed)
        worker.progress.connect(self.progress)
        worker.finished.connect(thread.quit)
        thread.finished.connect(thread.deleteLater)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker
        emit(self.started, ref)
        thread.start()

    @Slot(object)
    def _on_worker_loaded(self, recognizer: Recognizer) -> None:
        if self._worker is not None:
            emit(self.loaded, self._worker.ref, recognizer)

    @Slot(str)
    def _on_worker_failed(self, reason: str) -> None:
        if self._worker is not None:
            emit(self.failed, self._worker.ref, reason)

    @Slot()
    def _on_thread_finished(self) -> None:
        if self._worker is not None:
            self._worker.deleteLater()  # in the GUI thread, where run() moved it
        self._thread = self._worker = None
        pending, self._pending = self._pending, None
        if pending is not None:
            self.load(*pending)
        else:
            emit(self.idle)
