"""The window's side of transcribing files: the panel of queued files and the ways files come
in (File → Transcribe Files…, and dropping them on the window).

``FilePanel`` shows one row per ``FileJob`` of a ``FileJobs`` (name, progress, state, Cancel)
and hides itself when there is none: when every file of the queue is done its rows go; when
one failed or was cancelled they stay, with the reason, until the list is closed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from PySide6.QtCore import QMimeData, QObject, Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from livekr.audio import AUDIO_EXTENSIONS, has_audio_extension
from livekr.gui.dialogs import Prompter
from livekr.gui.file_jobs import ENDED, FileJob, FileJobs, JobState
from livekr.gui.i18n import tr

VISIBLE_ROWS = 4
"""Rows shown before the list scrolls."""
REFUSED_NAMES_SHOWN = 3
"""Names of refused files listed in the message; the rest as "…"."""

Notify = Callable[[str], None]


def state_text(job: FileJob) -> str:
    """What a row says of its file: waiting (and why), transcribing, done, failed: reason,
    cancelled."""
    if job.state is JobState.WAITING:
        return tr("file_held") if job.held else tr("file_waiting")
    if job.state is JobState.RUNNING:
        return tr("file_running")
    if job.state is JobState.FAILED:
        return tr("file_failed_state", reason=job.reason)
    return tr("file_done") if job.state is JobState.DONE else tr("file_cancelled")


class FileRow(QWidget):
    """One file: its name, a progress bar, its state and a Cancel button."""

    def __init__(self, job: FileJob, cancel: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = QLabel(job.path.name)
        self.name.setToolTip(str(job.path))
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setFixedWidth(160)
        self.state = QLabel()
        self.state.setMinimumWidth(120)
        self.cancel_button = QToolButton()
        self.cancel_button.setText(tr("file_cancel"))
        self._cancel = cancel
        self.cancel_button.clicked.connect(self.on_cancel_button_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.name, 2)
        layout.addWidget(self.progress)
        layout.addWidget(self.state, 3)
        layout.addWidget(self.cancel_button)
        self.show_job(job)

    @Slot()
    def on_cancel_button_clicked(self) -> None:
        self._cancel()

    def show_job(self, job: FileJob) -> None:
        self.progress.setValue(job.percent)
        self.progress.setTextVisible(job.state in (JobState.RUNNING, JobState.DONE))
        text = state_text(job)
        first_line = (text.splitlines() or [""])[0]
        self.state.setText(first_line if len(first_line) <= 80 else first_line[:79] + "…")
        self.state.setToolTip(text)
        self.cancel_button.setEnabled(job.state not in ENDED)


class FilePanel(QFrame):
    """The queued files of ``jobs``, above the record controls; hidden while there are none."""

    def __init__(self, jobs: FileJobs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.rows: dict[int, FileRow] = {}
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.cancel_all_button = QPushButton(tr("files_cancel_all"))
        self.cancel_all_button.clicked.connect(jobs.cancel_all)
        self.close_button = QPushButton(tr("files_close"))
        self.close_button.clicked.connect(jobs.clear_ended)
        header = QHBoxLayout()
        header.addWidget(QLabel(tr("files_heading")), 1)
        header.addWidget(self.cancel_all_button)
        header.addWidget(self.close_button)
        self._list = QVBoxLayout()
        self._list.setContentsMargins(0, 0, 0, 0)
        self._list.addStretch(1)
        body = QWidget()
        body.setLayout(self._list)
        self._scroll = QScrollArea()
        self._scroll.setWidget(body)
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(header)
        layout.addWidget(self._scroll)
        jobs.job_added.connect(self.on_jobs_job_added)
        jobs.job_changed.connect(self.on_jobs_job_changed)
        jobs.cleared.connect(self.on_jobs_cleared)
        jobs.idle.connect(self.on_jobs_idle)
        self.hide()

    @Slot(object)
    def on_jobs_job_added(self, job: FileJob) -> None:
        row = FileRow(job, partial(self.jobs.cancel, job.number))
        self._list.insertWidget(self._list.count() - 1, row)  # before the stretch
        self.rows[job.number] = row
        self._update()

    @Slot(object)
    def on_jobs_job_changed(self, job: FileJob) -> None:
        row = self.rows.get(job.number)
        if row is not None:
            row.show_job(job)
        self._update()

    @Slot()
    def on_jobs_cleared(self) -> None:
        kept = {job.number for job in self.jobs.jobs}
        for number in [n for n in self.rows if n not in kept]:
            row = self.rows.pop(number)
            self._list.removeWidget(row)
            row.deleteLater()
        self._update()

    @Slot()
    def on_jobs_idle(self) -> None:
        """The queue ended: when every file is done, the list goes (the transcript has them)."""
        jobs = self.jobs.jobs
        if jobs and all(job.state is JobState.DONE for job in jobs):
            self.jobs.clear_ended()

    def _update(self) -> None:
        jobs = self.jobs.jobs
        active = any(job.state not in ENDED for job in jobs)
        self.cancel_all_button.setEnabled(active)
        self.close_button.setEnabled(not active)
        row_height = next(iter(self.rows.values())).sizeHint().height() if self.rows else 0
        self._scroll.setFixedHeight(min(len(self.rows), VISIBLE_ROWS) * (row_height + 6) + 4)
        self.setVisible(bool(self.rows))


def local_files(mime: QMimeData) -> tuple[list[Path], list[str]]:
    """The local files of a drag or drop with an audio extension, and the names of the rest
    (other files, folders, remote addresses)."""
    audio: list[Path] = []
    refused: list[str] = []
    for url in mime.urls():
        if url.isLocalFile() and has_audio_extension(url.toLocalFile()):
            audio.append(Path(url.toLocalFile()))
        else:
            refused.append(Path(url.toLocalFile()).name if url.isLocalFile() else url.toString())
    return audio, refused


def refusal(names: Sequence[str]) -> str:
    """The message for files that were not taken, naming a few of them."""
    shown = ", ".join(names[:REFUSED_NAMES_SHOWN]) + (", …" if len(names) > REFUSED_NAMES_SHOWN else "")
    kinds = ", ".join(ext.lstrip(".").upper() for ext in AUDIO_EXTENSIONS)
    return tr("files_not_audio", names=shown, kinds=kinds)


class FileIntake(QObject):
    """Files into the queue: File → Transcribe Files… and audio files dropped on ``window``
    (which forwards its ``dragEnterEvent`` and ``dropEvent`` here)."""

    def __init__(self, window: QWidget, jobs: FileJobs, prompter: Prompter, error: Notify) -> None:
        super().__init__(window)
        self._window = window
        self._jobs = jobs
        self._prompter = prompter
        self._error = error
        window.setAcceptDrops(True)

    @Slot()
    def choose(self) -> None:
        """Ask for audio files (once a model is loaded) and queue them."""
        if self._jobs.ready():
            self._jobs.add(self._prompter.audio_files(self._window))

    def drag_enter(self, event: QDragEnterEvent) -> None:
        """Accept a drag that carries at least one local audio file."""
        audio, _ = local_files(event.mimeData())
        if audio:
            event.acceptProposedAction()
        else:
            event.ignore()

    def drop(self, event: QDropEvent) -> None:
        """Queue the dropped audio files; the others are named in a message."""
        audio, refused = local_files(event.mimeData())
        if refused:
            self._error(refusal(refused))
        if not audio:
            event.ignore()
            return
        event.acceptProposedAction()
        self._jobs.add(audio)
