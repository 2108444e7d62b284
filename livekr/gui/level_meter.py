"""A horizontal input level meter with a falling peak marker and a speech indicator.

Fed with ``LevelChanged`` events, which come from the pipeline's reader thread (through
queued signals), so the meter keeps moving while the model is busy.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

FLOOR_DB = -60.0
"""Levels at or below this show an empty meter."""
PEAK_FALL_DB_PER_UPDATE = 0.6
"""How fast the peak marker sinks back (per level event, ~33 per second)."""


def level_fraction(rms_db: float) -> float:
    """0..1 position on the meter for a level in dBFS."""
    return min(1.0, max(0.0, (rms_db - FLOOR_DB) / -FLOOR_DB))


class LevelMeter(QWidget):
    """Shows the newest block's RMS level; green while speech is detected."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rms_db = FLOOR_DB
        self.peak_db = FLOOR_DB
        self.speech = False
        self.updates = 0
        """How many levels were shown (tests use it to see the meter move)."""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(120)

    def sizeHint(self) -> QSize:
        return QSize(320, 18)

    def set_level(self, rms_db: float, speech: bool) -> None:
        self.rms_db = max(FLOOR_DB, rms_db)
        self.peak_db = max(self.rms_db, self.peak_db - PEAK_FALL_DB_PER_UPDATE)
        self.speech = speech
        self.updates += 1
        self.update()

    def reset(self) -> None:
        self.rms_db = self.peak_db = FLOOR_DB
        self.speech = False
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#2b2b2e"))
        painter.drawRoundedRect(rect, 4, 4)
        fill = rect.adjusted(2, 2, -2, -2)
        width = fill.width() * level_fraction(self.rms_db)
        if width > 0:
            gradient = QLinearGradient(fill.topLeft(), fill.topRight())
            low = "#34c759" if self.speech else "#5e9cff"
            gradient.setColorAt(0.0, QColor(low))
            gradient.setColorAt(0.7, QColor("#ffd60a"))
            gradient.setColorAt(1.0, QColor("#ff453a"))
            painter.setBrush(gradient)
            painter.drawRoundedRect(QRectF(fill.x(), fill.y(), width, fill.height()), 3, 3)
        peak_x = fill.x() + fill.width() * level_fraction(self.peak_db)
        if self.peak_db > FLOOR_DB:
            painter.setBrush(QColor("#f2f2f7"))
            painter.drawRect(QRectF(peak_x - 1.5, fill.y(), 3, fill.height()))
        painter.end()
