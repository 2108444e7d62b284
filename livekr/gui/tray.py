"""The system tray icon: Start/Stop, insert mode and its undo, the Model menu, Show Window and
Quit, and closing to it.

Where the desktop has a tray and the setting is on, closing the window only hides it and
dictation goes on (the first time, a notice says so). Quit, from the tray or the File menu,
goes through the window's normal closing path: the run drains, unsaved text is asked about.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRectF, QSettings, Qt, Slot
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from livekr.gui.i18n import tr

if TYPE_CHECKING:
    from livekr.gui.main_window import MainWindow

TOLD_KEY = "tray/told"
"""The notice that livekr keeps running in the tray was shown once."""
ICON_PX = 64
IDLE_COLOR, RECORDING_COLOR = "#8e8e93", "#d93025"


def tray_icon(recording: bool) -> QIcon:
    """A round dot: red while recording, grey otherwise."""
    pixmap = QPixmap(ICON_PX, ICON_PX)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#ffffff"))
    painter.drawEllipse(QRectF(2, 2, ICON_PX - 4, ICON_PX - 4))
    painter.setBrush(QColor(RECORDING_COLOR if recording else IDLE_COLOR))
    painter.drawEllipse(QRectF(8, 8, ICON_PX - 16, ICON_PX - 16))
    painter.end()
    return QIcon(pixmap)


class Tray(QObject):
    """The tray icon of one window (GUI thread); ``icon`` is None where there is no tray."""

    def __init__(self, window: MainWindow, store: QSettings, available: bool) -> None:
        super().__init__(window)
        self._window = window
        self.store = store
        self.available = available
        self.icon: QSystemTrayIcon | None = None
        self.menu = QMenu(window)
        self.show_action = QAction(tr("tray_show_window"), self)
        self.show_action.triggered.connect(window.show_window)
        self.quit_action = QAction(tr("quit"), self)
        self.quit_action.triggered.connect(window.closing.quit)
        self.menu.addActions([window.record_action, window.insert_mode.toggle_action,
                              window.insert_mode.undo_action])
        self.menu.addMenu(window.model_menu)
        self.menu.addSeparator()
        self.menu.addActions([self.show_action, self.quit_action])
        if available:
            icon = QSystemTrayIcon(tray_icon(False), self)
            icon.setToolTip("livekr")
            icon.setContextMenu(self.menu)
            icon.activated.connect(self.on_icon_activated)
            icon.show()
            self.icon = icon
        window.dictation.running_changed.connect(self.on_dictation_running_changed)

    def hide_on_close(self) -> bool:
        """Closing the window: hide it instead (True) when it keeps running in the tray."""
        w = self._window
        if not (self.available and w.settings.window.keep_in_tray):
            return False
        w.hide()
        if str(self.store.value(TOLD_KEY, "false")).lower() != "true":
            self.store.setValue(TOLD_KEY, True)
            text = tr("tray_still_running")
            if self.icon is not None:
                self.icon.showMessage("livekr", text, QSystemTrayIcon.MessageIcon.Information)
            w.show_notice(text)
        return True

    @Slot(QSystemTrayIcon.ActivationReason)
    def on_icon_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            if self._window.isVisible():
                self._window.hide()
            else:
                self._window.show_window()

    @Slot(bool)
    def on_dictation_running_changed(self, running: bool) -> None:
        if self.icon is not None:
            self.icon.setIcon(tray_icon(running))

    def close(self) -> None:
        if self.icon is not None:
            self.icon.hide()
