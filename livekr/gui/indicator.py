"""A small floating window that shows dictation's state while livekr types into other programs.

It must never take the keyboard focus from the program that receives the text: it is a
frameless tool window that stays on top, does not accept focus (on X11 its WM_HINTS input
field is false, so window managers never give it the focus, even when it is clicked) and is
shown without being activated. ``Qt.X11BypassWindowManagerHint`` is not used: those two are
enough for EWMH window managers, and an unmanaged (override-redirect) window would also
escape the window manager's stacking and workspaces. It can be dragged anywhere; where it
was left is remembered.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtGui import QFontMetrics, QGuiApplication, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from livekr.gui.i18n import tr
from livekr.gui.level_meter import LevelMeter

POS_KEY = "indicator/pos"
WIDTH_PX = 320
BOTTOM_MARGIN_PX = 80
"""Above the bottom of the screen, where it first appears."""
STATES = ("listening", "hearing", "working")
STATE_STYLE = {
    "listening": "color: #8ab4f8;",
    "hearing": "color: #34c759;",
    "working": "color: #ffd60a;",
}

FLAGS = (Qt.WindowType.Tool | Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint
         | Qt.WindowType.WindowDoesNotAcceptFocus)


def indicator_state(speech: bool, working: bool) -> str:
    """"hearing" while speech is detected, else "working" while finals or insertions are
    pending (or the run drains), else "listening"."""
    return "hearing" if speech else "working" if working else "listening"


class Indicator(QWidget):
    """State, level and the partial text of the run, in a window that never takes focus."""

    def __init__(self, store: QSettings) -> None:
        super().__init__(None, FLAGS)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setWindowTitle("livekr")
        self.setStyleSheet("Indicator { background: #1f1f22; border: 1px solid #3a3a3e; border-radius: 8px; }"
                           "QLabel { color: #f2f2f7; }")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.store = store
        self.state = "listening"
        self._drag_offset: QPoint | None = None
        self._partial = ""
        self.state_label = QLabel()
        self.meter = LevelMeter()
        self.meter.setMinimumWidth(60)
        self.partial_label = QLabel()
        self.partial_label.setTextFormat(Qt.TextFormat.PlainText)
        top = QHBoxLayout()
        top.addWidget(self.state_label)
        top.addWidget(self.meter, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addLayout(top)
        layout.addWidget(self.partial_label)
        self.setFixedWidth(WIDTH_PX)
        self.set_state("listening")
        self.restore_position()

    # -- what it shows -------------------------------------------------------------------------

    def set_state(self, state: str) -> None:
        self.state = state
        self.state_label.setText(tr(f"indicator_{state}"))
        self.state_label.setStyleSheet(STATE_STYLE[state])

    def set_level(self, rms_db: float, speech: bool) -> None:
        self.meter.set_level(rms_db, speech)

    def show_partial(self, text: str) -> None:
        """The text of the utterance in progress, elided at the start to fit ("" clears it)."""
        self._partial = text
        self._elide()

    @property
    def partial(self) -> str:
        return self._partial

    def reset(self) -> None:
        self.meter.reset()
        self.show_partial("")
        self.set_state("listening")

    def _elide(self) -> None:
        width = max(40, self.partial_label.width())
        shown = QFontMetrics(self.partial_label.font()).elidedText(self._partial, Qt.TextElideMode.ElideLeft,
                                                                    width)
        self.partial_label.setText(shown)
        self.partial_label.setToolTip(self._partial)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    # -- position ------------------------------------------------------------------------------

    def restore_position(self) -> None:
        """Where it was left, if that is on a screen now; else centred near the bottom."""
        stored = self.store.value(POS_KEY)
        if isinstance(stored, QPoint) and QGuiApplication.screenAt(stored) is not None:
            self.move(stored)
            return
        screen = QGuiApplication.primaryScreen()
        if screen is not None:
            area = screen.availableGeometry()
            self.move(area.center().x() - WIDTH_PX // 2, area.bottom() - BOTTOM_MARGIN_PX)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_offset = event.globalPosition().toPoint() - self.pos()
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag_offset is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self.move(event.globalPosition().toPoint() - self._drag_offset)
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag_offset is not None:
            self._drag_offset = None
            self.store.setValue(POS_KEY, self.pos())
            self.store.sync()
        event.accept()
