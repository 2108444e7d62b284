"""Loading a model off the GUI thread: a worker QObject moved to a QThread, one owner.

``ModelLoader`` owns the thread (wired by ``gui.workers.start_worker``; the worker moves
itself back to the GUI thread at the end of ``run`` and is deleted there).
One load runs at a time. Asking for another while busy cancels the running one and queues
the new one (the newest request wins): a download stops at its next chunk, a load that
cannot be interrupted runs to its end and its result is dropped. Every exception in the
worker becomes ``failed`` with a one-line reason in the window's language
(``i18n.localize``: never a class name; the log keeps the English and any traceback), a
cancelled load becomes ``cancelled``, and the worker's ``finished`` always fires. Progress
lines are localised too.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

from livekr.config import RecognizerOptions
from livekr.gui.i18n import localize
from livekr.gui.qtcompat import emit
from livekr.gui.workers import back_to_gui_thread, start_worker
from livekr.hub_download import DownloadCancelled
from livekr.recognizer import ModelLoadError, Recognizer

log = logging.getLogger(__name__)

LoadFunction = Callable[..., Recognizer]
"""``livekr.recognizer.load_recognizer`` or a test's stand-in, called as
``load(ref, options, progress=report, download_progress=show, cancel=event)``: ``report``
receives one-line messages about slow steps (converting, measuring), ``show`` a
``livekr.hub_download.DownloadProgress`` while a hub model downloads, and ``event`` is set
when the load is no longer wanted (a download then raises ``DownloadCancelled``)."""


class ModelLoadWorker(QObject):
    """Loads one model in whatever thread it is moved to."""

    loaded = Signal(object)
    """The ``Recognizer``."""
    failed = Signal(str)
    """A one-line reason, in the window's language."""
    progress = Signal(str)
    """A one-line message about a slow step of the load, in the window's language."""
    download = Signal(object)
    """A ``DownloadProgress`` of the model's download."""
    cancelled = Signal()
    """The load stopped because ``cancel`` was set."""
    finished = Signal()
    """Always emitted, after ``loaded``, ``failed`` or ``cancelled``."""

    def __init__(self, ref: str, options: RecognizerOptions, load: LoadFunction) -> None:
        super().__init__()
        self.ref = ref
        self.options = options
        self.cancel = threading.Event()
        """Set from any thread when the load is no longer wanted."""
        self._load = load

    def report(self, message: str) -> None:
        """Passed to the load function as its progress callback (worker thread)."""
        emit(self.progress, localize(message))

    def report_download(self, progress: object) -> None:
        """Passed to the load function as its download progress callback (worker thread)."""
        emit(self.download, progress)

    @Slot()
    def run(self) -> None:
        try:
            recognizer = self._load(self.ref, self.options, progress=self.report,
                                    download_progress=self.report_download, cancel=self.cancel)
            if self.cancel.is_set():
                raise DownloadCancelled(f"loading {self.ref} was cancelled")
        except DownloadCancelled:
            emit(self.cancelled)
        except ModelLoadError as e:
            log.warning("cannot load %s: %s", self.ref, e)
            emit(self.failed, localize(e))
        except Exception as e:  # the thread edge: every error reaches the GUI
            log.exception("loading %s failed", self.ref)
            emit(self.failed, localize(e))
        else:
            emit(self.loaded, recognizer)
        finally:
            back_to_gui_thread(self)
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
    download = Signal(str, object)
    """(ref, ``DownloadProgress``) while the running load downloads its model."""
    cancelled = Signal(str)
    """The load of this ref was cancelled (by ``cancel`` or by a newer request)."""
    idle = Signal()
    """No load runs or waits any more."""

    def __init__(self, load: LoadFunction, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._load = load
        self._thread: QThread | None = None
        self._worker: ModelLoadWorker | None = None
        self._pending: tuple[str, RecognizerOptions] | None = None
        self._answered = False
        """The running worker has already reported its result (its thread is ending)."""

    @property
    def busy(self) -> bool:
        return self._thread is not None or self._pending is not None

    @property
    def current(self) -> str:
        """The ref being loaded ("" when none, also once its load was cancelled or answered)."""
        worker = self._worker
        if worker is None or worker.cancel.is_set() or self._answered:
            return ""
        return worker.ref

    def load(self, ref: str, options: RecognizerOptions) -> None:
        """Load ``ref``. A running load of another model is cancelled and this one follows it
        (replacing any queued); asking again for the model being loaded changes nothing."""
        if self._thread is not None:
            worker = self._worker
            if (worker is not None and (worker.ref, worker.options) == (ref, options)
                    and not worker.cancel.is_set() and not self._answered):
                self._pending = None  # already being loaded just so
                return
            self._pending = (ref, options)
            if self._worker is not None:
                self._worker.cancel.set()
            return
        worker = ModelLoadWorker(ref, options, self._load)
        worker.loaded.connect(self._on_worker_loaded)
        worker.failed.connect(self._on_worker_failed)
        worker.progress.connect(self.progress)
        worker.download.connect(self._on_worker_download)
        worker.cancelled.connect(self._on_worker_cancelled)
        self._worker, self._answered = worker, False
        emit(self.started, ref)
        self._thread = start_worker(self, worker, worker.run, worker.finished, self._on_thread_finished,
                                    "livekr-model-loader")

    def cancel(self) -> None:
        """Stop the running load and forget any queued one (``cancelled`` follows; a load
        that cannot be interrupted finishes in its thread and its result is dropped)."""
        self._pending = None
        if self._worker is not None:
            self._worker.cancel.set()

    @Slot(object)
    def _on_worker_download(self, progress: object) -> None:
        if self._worker is not None and not self._worker.cancel.is_set():
            emit(self.download, self._worker.ref, progress)

    @Slot()
    def _on_worker_cancelled(self) -> None:
        self._answered = True
        if self._worker is not None:
            emit(self.cancelled, self._worker.ref)

    @Slot(object)
    def _on_worker_loaded(self, recognizer: Recognizer) -> None:
        self._answered = True
        if self._worker is None:
            return
        if self._worker.cancel.is_set():  # cancelled after it had loaded: dropped
            emit(self.cancelled, self._worker.ref)
        else:
            emit(self.loaded, self._worker.ref, recognizer)

    @Slot(str)
    def _on_worker_failed(self, reason: str) -> None:
        self._answered = True
        if self._worker is not None and not self._worker.cancel.is_set():
            emit(self.failed, self._worker.ref, reason)
        elif self._worker is not None:
            emit(self.cancelled, self._worker.ref)

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
