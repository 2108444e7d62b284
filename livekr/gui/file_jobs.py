"""Audio files transcribed from the window: a queue, one file at a time, through the same
pipeline as ``livekr transcribe``, into the window's transcript.

``FileJobs`` (GUI thread) owns the queue and the one worker thread. ``Dictation`` makes it and
lends it the loaded recognizer, the decoder of finals, the settings and the transcript session,
taken afresh as each file starts. Finals of files and of dictation never interleave: a file
waits while a dictation run is active, and ``Dictation`` does not record while a file runs.

``FileWorker`` (file_worker.py) runs one file on a QThread wired here (started→run,
finished→quit, thread.finished→deleteLater; ``gui.workers``) and reaches the GUI thread only through its
queued ``pipeline_event`` signal. Cancelling sets a ``threading.Event``: the worker abandons the file
after the forward pass in progress; what was transcribed before stays in the transcript.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from livekr.audio import AudioError, AudioSource, FileSource, source_warnings
from livekr.events import Failure, Final, Finished, LevelChanged, PipelineEvent, Stats
from livekr.gui.file_worker import FileRun, FileWorker, file_pipeline_options
from livekr.gui.i18n import localize, tr
from livekr.gui.qtcompat import emit
from livekr.gui.workers import start_worker

if TYPE_CHECKING:
    from livekr.gui.controller import Dictation

class JobState(str, Enum):
    WAITING = "waiting"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


ENDED = frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELLED})


@dataclass(frozen=True)
class FileJob:
    """One queued file as shown; every change is a new snapshot with the same ``number``."""

    number: int
    """Unique within its ``FileJobs``, in the order the files were added."""
    path: Path
    duration_s: float
    """Length of the audio; 0 when the file cannot be read."""
    state: JobState = JobState.WAITING
    done_s: float = 0.0
    """Seconds of the audio read and segmented so far (its finals follow closely)."""
    reason: str = ""
    """Why it failed (one line, the first problem)."""
    held: bool = False
    """Waiting for a dictation run to end."""

    @property
    def percent(self) -> int:
        """0-100; 100 only once every final of the file is in the transcript."""
        if self.state is JobState.DONE:
            return 100
        if self.duration_s <= 0:
            return 0
        return min(99, int(100 * self.done_s / self.duration_s))


class FileJobs(QObject):
    """The queue of files and its worker thread; lives in the GUI thread."""

    job_added = Signal(object)
    """A new ``FileJob``."""
    job_changed = Signal(object)
    """A ``FileJob``'s new snapshot."""
    cleared = Signal()
    """The ended jobs were forgotten."""
    pipeline_event = Signal(object)
    """For the widgets, as ``Dictation.pipeline_event``: finals placed on the timeline and
    autosave failures (a file's own problems go to ``problem``; its speed is not the
    microphone's, so no ``Stats``)."""
    problem = Signal(str)
    """A file that cannot be read, failed or had damaged audio (one translated line)."""
    notice = Signal(str)
    """The queue is done: how many files were transcribed (one translated line)."""
    idle = Signal()
    """No file runs any more (some may still wait for the dictation run)."""

    def __init__(self, dictation: Dictation) -> None:
        super().__init__(dictation)
        self._dictation = dictation
        self._jobs: dict[int, FileJob] = {}
        self._sources: dict[int, FileSource] = {}
        self._numbers = itertools.count(1)
        self._thread: QThread | None = None
        self._worker: FileWorker | None = None
        self._cancel = threading.Event()
        self._current: FileJob | None = None
        self._current_source: AudioSource | None = None
        self._finished_seen = False
        self._done = 0
        """Files done since the queue was last empty."""
        queued = Qt.ConnectionType.QueuedConnection  # after a model switch's restart, if any
        dictation.running_changed.connect(self._on_dictation_running_changed, queued)

    # -- state ----------------------------------------------------------------------------

    @property
    def jobs(self) -> list[FileJob]:
        """Every job since the ended ones were last cleared, in the order added."""
        return list(self._jobs.values())

    @property
    def busy(self) -> bool:
        """A file is running (its thread has not finished)."""
        return self._thread is not None

    def _waiting(self) -> list[FileJob]:
        return [j for j in self._jobs.values() if j.state is JobState.WAITING]

    def _update(self, job: FileJob, **changes: Any) -> FileJob:
        new = replace(job, **changes)
        if new != job:
            self._jobs[new.number] = new
            if self._current is not None and self._current.number == new.number:
                self._current = new
            emit(self.job_changed, new)
        return new

    # -- the queue (GUI thread) -----------------------------------------------------------

    def ready(self) -> bool:
        """Whether files can be queued; if not (no model yet), says so with ``problem``."""
        if self._dictation.recognizer is None:
            emit(self.problem, tr("files_need_model"))
            return False
        return True

    def add(self, paths: Sequence[Path]) -> list[FileJob]:
        """Queue ``paths`` after those waiting. Each is checked now: one that cannot be read
        becomes a failed job, with a ``problem`` saying why. Nothing is queued without a model."""
        if not paths or not self.ready():
            return []
        if not self.busy and not self._waiting():
            self.clear_ended()
        added = [self._add_one(Path(p)) for p in paths]
        self._advance()
        return added

    def _add_one(self, path: Path) -> FileJob:
        number = next(self._numbers)
        try:
            source = FileSource(path)
        except AudioError as e:
            job = FileJob(number, path, 0.0, JobState.FAILED, reason=localize(e))
            emit(self.problem, tr("file_unreadable", name=path.name, reason=localize(e)))
        else:
            self._sources[number] = source
            job = FileJob(number, path, source.duration_s, held=self._dictation.running)
        self._jobs[number] = job
        emit(self.job_added, job)
        return job

    def cancel(self, number: int) -> None:
        """Cancel one file: a waiting one never starts, a running one stops after the forward
        pass in progress (what it transcribed so far stays)."""
        job = self._jobs.get(number)
        if job is None or job.state in ENDED:
            return
        if job.state is JobState.RUNNING and self._finished_seen:
            return  # all of it is transcribed already; its thread is ending
        if job.state is JobState.RUNNING:
            self._cancel.set()
        self._sources.pop(number, None)
        self._update(job, state=JobState.CANCELLED, held=False)

    @Slot()
    def cancel_all(self) -> None:
        for job in self.jobs:
            self.cancel(job.number)

    @Slot()
    def clear_ended(self) -> None:
        """Forget the jobs that ended (the panel drops their rows)."""
        ended = [n for n, j in self._jobs.items() if j.state in ENDED]
        for number in ended:
            del self._jobs[number]
        if ended:
            emit(self.cleared)

    @Slot(bool)
    def _on_dictation_running_changed(self, running: bool) -> None:
        for job in self._waiting():
            self._update(job, held=self._dictation.running)
        self._advance()

    def _advance(self) -> None:
        """Start the next waiting file unless a file or a dictation run is running."""
        waiting = self._waiting()
        if self.busy or not waiting or self._dictation.running or self._dictation.recognizer is None:
            return
        self._start(waiting[0])

    def _start(self, job: FileJob) -> None:
        d = self._dictation
        assert d.recognizer is not None
        try:
            source = d.session.begin_run(self._sources.pop(job.number), d.model_ref, str(job.path))
        except OSError as e:  # e.g. the kept audio's file cannot be created
            d.session.handle(Finished(0, 0.0))
            reason = localize(e)
            emit(self.problem, tr("file_failed", name=job.path.name, reason=reason))
            self._update(job, state=JobState.FAILED, reason=reason)
            self._advance()
            if not self.busy:
                emit(self.idle)
            return
        settings = d.settings
        run = FileRun(source, d.recognizer, d.decoder(), settings.segmenter,
                      file_pipeline_options(settings.pipeline), settings.encoding)
        self._cancel = threading.Event()
        worker = FileWorker(run, self._cancel)
        worker.pipeline_event.connect(self._on_worker_event)
        self._worker, self._current_source = worker, source
        self._finished_seen = False
        self._current = self._update(job, state=JobState.RUNNING, held=False)
        self._thread = start_worker(self, worker, worker.run, worker.finished, self._on_thread_finished,
                                    "livekr-file")

    # -- the running file (GUI thread) ----------------------------------------------------

    @Slot(object)
    def _on_worker_event(self, event: PipelineEvent) -> None:
        job = self._current
        if job is None:
            return
        if isinstance(event, Finished):
            self._finished_seen = True
        elif job.state is JobState.CANCELLED:
            return  # nothing more of a cancelled file: only its end reaches the session
        if isinstance(event, (LevelChanged, Stats)):
            self._update(job, done_s=max(job.done_s, event.time_s))
        elif isinstance(event, Failure):
            reason = localize(event.message)
            emit(self.problem, tr("file_failed", name=job.path.name, reason=reason))
            if not job.reason:
                self._update(job, reason=reason)
        for shown in self._dictation.session.handle(event):
            if isinstance(shown, Final) or (isinstance(shown, Failure) and shown is not event):
                emit(self.pipeline_event, shown)

    @Slot()
    def _on_thread_finished(self) -> None:
        if self._worker is not None:
            self._worker.deleteLater()  # in the GUI thread, where run() moved it
        job, source = self._current, self._current_source
        self._thread = self._worker = self._current = self._current_source = None
        if not self._finished_seen:  # the pipeline never started: the session's run ends here
            self._dictation.session.handle(Finished(0, 0.0))
        if job is not None and source is not None:
            self._file_ended(job, source)
        self._advance()
        if not self.busy:
            emit(self.idle)

    def _file_ended(self, job: FileJob, source: AudioSource) -> None:
        for warning in source_warnings(source):  # e.g. a truncated file
            emit(self.problem, tr("file_warning", name=job.path.name, reason=localize(warning)))
        if job.state is JobState.RUNNING:
            state = JobState.FAILED if job.reason else JobState.DONE
            self._update(job, state=state, done_s=job.duration_s if state is JobState.DONE else job.done_s)
            self._done += state is JobState.DONE
        if not self._waiting() and self._done:
            emit(self.notice, tr("files_done", count=self._done))
            self._done = 0
