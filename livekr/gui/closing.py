"""How the window closes: to the tray, or for good after the run and any model load have
ended (a progress dialog offers "Close now") and unsaved text was asked about."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QProgressDialog

from livekr.gui.i18n import title, tr
from livekr.gui.qtcompat import disconnect, emit

if TYPE_CHECKING:
    from livekr.gui.main_window import MainWindow


class WindowClosing(QObject):
    """The closing path of one window (GUI thread)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.active = False
        """Closing has begun: it waits (without blocking) for the run and any load to end."""
        self.quitting = False
        """Quit was chosen: closing ends livekr even where it would hide to the tray."""
        self.forced = False
        """"Close now" was chosen while something still ran."""
        self.progress: QProgressDialog | None = None

    @Slot()
    def quit(self) -> None:
        """File ▸ Quit and the tray's Quit: close for good, through the normal closing path."""
        w = self._window
        self.quitting = True
        if w.isHidden() and (w.dictation.busy or w.dictation.session.dirty):
            w.show_window()  # what the closing path shows or asks needs the window
        if not w.close():
            self.quitting = self.active

    def handle(self, event: QCloseEvent) -> None:
        """The window's ``closeEvent``: hide to the tray, wait, ask, or close."""
        w = self._window
        if not self.quitting and w.tray.hide_on_close():
            event.ignore()
            return
        if w.dictation.busy and not self.forced:
            event.ignore()
            self._begin()
            return
        if not self.forced and not w.files.resolve_unsaved():
            self.active = False
            event.ignore()
            return
        self._finish()
        event.accept()

    def on_idle(self) -> None:
        """Nothing runs any more: close now if closing was waiting for that."""
        if self.active:
            self._end_progress()
            self._window.close()

    def _begin(self) -> None:
        """Stop the session and wait (without blocking) for it and any model load to end."""
        if self.active:
            return
        self.active = True
        d = self._window.dictation
        recording = d.running or d.files.busy
        d.files.cancel_all()
        self._window.insert_mode.halt()
        d.stop()
        d.cancel_load()
        progress = QProgressDialog(tr("closing" if recording else "closing_load"), tr("close_now"),
                                   0, 0, self._window)
        progress.setWindowTitle(title("closing_title"))
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)
        progress.canceled.connect(self._on_progress_canceled)
        progress.show()
        self.progress = progress

    @Slot()
    def _on_progress_canceled(self) -> None:
        if self.active and self._window.dictation.busy:
            self.forced = True
            self._window.close()

    def _end_progress(self) -> None:
        if self.progress is not None:
            disconnect(self.progress.canceled, self._on_progress_canceled)
            self.progress.close()
            self.progress = None

    def _finish(self) -> None:
        w = self._window
        self._end_progress()
        w.store.setValue("window/geometry", w.saveGeometry())
        w.store.sync()
        # A forced close leaves the journal in place: the next start offers the text.
        w.dictation.session.close(clean=not self.forced)
        w.insert_mode.close()
        w.tray.close()
        emit(w.closed)
