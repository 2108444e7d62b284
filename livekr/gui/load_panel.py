"""The bar above the transcript while a model loads or downloads: what, how far, Cancel.

It is not a dialog: the window, the Model menu and the transcript stay usable while a
model downloads (choosing another model cancels this one).
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from livekr.gui.i18n import tr
from livekr.gui.qtcompat import emit
from livekr.gui.status import model_label
from livekr.hub_download import DownloadProgress

PERCENT_STEPS = 1000
"""The progress bar's resolution (per mille)."""


def byte_size(count: float) -> str:
    """``count`` bytes for people: "950 KB", "340 MB", "1.2 GB"."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if count >= size:
            value = count / size
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{count:.0f} B"


def duration(seconds: float) -> str:
    """A time left for people: "45초" / "3분 20초" (or in English)."""
    seconds = max(0, round(seconds))
    minutes, secs = divmod(seconds, 60)
    if minutes >= 60:
        return tr("time_hours", hours=minutes // 60, minutes=minutes % 60)
    if minutes:
        return tr("time_minutes", minutes=minutes, seconds=secs)
    return tr("time_seconds", seconds=secs)


def download_text(progress: DownloadProgress) -> str:
    """"27 % · 340 MB / 1.2 GB · 25 MB/s · 32초 남음" for a download under way."""
    percent = 100 * progress.done_bytes / progress.total_bytes if progress.total_bytes else 0.0
    parts = [f"{percent:.0f} %", f"{byte_size(progress.done_bytes)} / {byte_size(progress.total_bytes)}"]
    if progress.speed_bytes_per_s > 0:
        parts.append(f"{byte_size(progress.speed_bytes_per_s)}/s")
    if progress.eta_s is not None:
        parts.append(tr("time_left", time=duration(progress.eta_s)))
    return " · ".join(parts)


class LoadPanel(QFrame):
    """Shows the model being loaded and, while it downloads, its progress; hidden otherwise."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("loadPanel")
        self.setStyleSheet("#loadPanel { background: #eaf2fd; border: 1px solid #bdd3f5; "
                           "border-radius: 4px; }")
        self.title = QLabel("")
        self.title.setStyleSheet("font-weight: 600;")
        self.detail = QLabel("")
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(10)
        self.cancel_button = QPushButton(tr("cancel"))
        self.cancel_button.clicked.connect(self.on_cancel_button_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.detail)
        layout.addWidget(self.cancel_button)
        self.ref = ""
        self.hide()

    def show_loading(self, ref: str) -> None:
        """A load of ``ref`` began: an indeterminate bar until a download reports sizes."""
        self.ref = ref
        self.title.setText(tr("loading_model", name=model_label(ref)))
        self.detail.setText("")
        self.bar.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        self.show()

    def show_download(self, ref: str, progress: DownloadProgress) -> None:
        """The download of ``ref``'s files has come this far."""
        self.ref = ref
        self.title.setText(tr("downloading_model", name=model_label(ref),
                              size=byte_size(progress.total_bytes)))
        self.detail.setText(download_text(progress))
        if progress.total_bytes > 0:
            self.bar.setRange(0, PERCENT_STEPS)
            self.bar.setValue(round(PERCENT_STEPS * progress.done_bytes / progress.total_bytes))
        if progress.total_bytes and progress.done_bytes >= progress.total_bytes:
            self.show_step("")  # downloaded: the load goes on
        self.show()

    def show_step(self, message: str) -> None:
        """A slow step after the download (converting, measuring): said in the panel."""
        if self.ref:
            self.title.setText(tr("loading_model", name=model_label(self.ref)))
            self.detail.setText(message)
            self.bar.setRange(0, 0)

    def show_cancelling(self) -> None:
        self.title.setText(tr("cancelling_load", name=model_label(self.ref)))
        self.cancel_button.setEnabled(False)

    def finish(self) -> None:
        """No load runs any more."""
        self.ref = ""
        self.hide()

    @Slot()
    def on_cancel_button_clicked(self) -> None:
        self.show_cancelling()
        emit(self.cancel_requested)
