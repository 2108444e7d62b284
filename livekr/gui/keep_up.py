"""When recognition falls behind the speaker: a plain-language notice with one-click remedies.

``BacklogWatch`` (Qt-free logic) decides from the pipeline's ``Stats`` when the delay is
real and growing; ``KeepUpBar`` says so above the transcript and offers what helps: a faster
engine (ONNX int8), a smaller model, or no partial results.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from livekr.events import Stats
from livekr.gui.i18n import tr
from livekr.gui.qtcompat import emit

BEHIND_S = 4.0
"""Audio waiting to be transcribed beyond which the user notices the delay."""
GROWING_REPORTS = 3
"""Consecutive stats reports with a growing backlog above ``BEHIND_S`` before the notice."""
SMALL_MODEL = "Bingsu/distilhubert-ko-zeroth"
"""The published model that runs fastest."""
FAST_BACKEND, FAST_DTYPE = "onnx", "int8"
"""The fastest CPU engine: ONNX Runtime with int8 weights."""


@dataclass
class BacklogWatch:
    """Follows one run's stats; ``update`` says when to tell the user (once per run)."""

    last_backlog_s: float = 0.0
    growing: int = 0
    told: bool = False

    def update(self, stats: Stats) -> bool:
        """Whether the user should be told now that recognition cannot keep up."""
        if stats.backlog_s > BEHIND_S and stats.backlog_s > self.last_backlog_s:
            self.growing += 1
        elif stats.backlog_s <= BEHIND_S:
            self.growing = 0
        self.last_backlog_s = stats.backlog_s
        if self.growing >= GROWING_REPORTS and not self.told:
            self.told = True
            return True
        return False

    def reset(self) -> None:
        self.last_backlog_s, self.growing, self.told = 0.0, 0, False


def remedies(model_ref: str, device_label: str, partials: bool) -> list[str]:
    """What can help, most effective first: "engine", "model", "partials" (see ``KeepUpBar``)."""
    found = []
    if device_label.startswith("CPU") and FAST_DTYPE not in device_label:
        found.append("engine")
    if model_ref != SMALL_MODEL:
        found.append("model")
    if partials:
        found.append("partials")
    return found


class KeepUpBar(QFrame):
    """The notice with one button per remedy; hidden until ``show_behind``."""

    chosen = Signal(str)
    """A remedy the user clicked: "engine", "model" or "partials"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("keepUpBar")
        self.setStyleSheet("#keepUpBar { background: #fff4e5; border: 1px solid #f3c98b; "
                           "border-radius: 4px; }")
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 6, 6)
        self._layout.addWidget(self.label, 1)
        self.buttons: dict[str, QPushButton] = {}
        for key in ("engine", "model", "partials"):
            button = QPushButton(tr(f"remedy_{key}"))
            button.clicked.connect(lambda _=False, key=key: self._choose(key))
            self._layout.addWidget(button)
            self.buttons[key] = button
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.clicked.connect(self.hide)
        self._layout.addWidget(close)
        self.hide()

    def show_behind(self, backlog_s: float, offered: list[str]) -> None:
        """Say how far behind recognition is and offer ``offered`` remedies."""
        text = tr("behind", seconds=f"{backlog_s:.0f}")
        text += " " + (tr("behind_remedies") if offered else tr("behind_no_remedy"))
        self.label.setText(text)
        for key, button in self.buttons.items():
            button.setVisible(key in offered)
        self.show()

    def _choose(self, key: str) -> None:
        self.hide()
        emit(self.chosen, key)
