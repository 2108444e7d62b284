"""The status bar's permanent fields and the message bar above the transcript."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QStatusBar,
    QToolButton,
    QWidget,
)

from livekr.decoder import Decoder
from livekr.events import Failure, FailureKind, Stats
from livekr.gui.i18n import language, localize, tr
from livekr.gui.qtcompat import emit

MESSAGE_STYLES = {
    "error": "background: #fdecea; color: #7d1a12; border: 1px solid #f5c2bd;",
    "info": "background: #eaf2fd; color: #12397d; border: 1px solid #bdd3f5;",
}
FAILURE_HINTS = {
    FailureKind.INPUT: "hint_input",
    FailureKind.RECOGNITION: "hint_recognition",
    FailureKind.JOURNAL: "hint_journal",
}
"""The remedy shown after a failure's message, by kind (i18n keys)."""


def failure_text(failure: Failure) -> str:
    """The failure's message, with the remedy its kind calls for."""
    hint = FAILURE_HINTS.get(failure.kind)
    return localize(failure.message) + (" " + tr(hint) if hint else "")


def model_label(ref: str) -> str:
    """A short name for a model ref: the folder name, or the hub id."""
    if not ref:
        return tr("status_no_model")
    path = Path(ref)
    return path.name if path.is_dir() else ref


class StatusPanel:
    """Model, device, latency, real-time factor, backlog and drops, on a QStatusBar."""

    def __init__(self, bar: QStatusBar) -> None:
        self.source = QLabel("")
        self.model = QLabel(tr("status_no_model"))
        self.device = QLabel("")
        self.decoder = QLabel("")
        self.latency = QLabel(tr("status_latency", value="–"))
        self.rtf = QLabel(tr("status_rtf", value="–"))
        self.backlog = QLabel(tr("status_backlog", value="0.0 s"))
        self.dropped = QLabel(tr("status_dropped", value=0))
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.setTextVisible(False)
        self.busy.hide()
        bar.addWidget(self.source)
        for widget in (self.busy, self.model, self.device, self.decoder, self.latency, self.rtf, self.backlog,
                       self.dropped):
            bar.addPermanentWidget(widget)

    def show_model(self, ref: str, device_label: str) -> None:
        self.model.setText(model_label(ref))
        self.model.setToolTip(ref)
        self.device.setText(device_label)

    def show_decoder(self, decoder: Decoder | None) -> None:
        """How finals are decoded, in a few words; the whole description as its tooltip."""
        if decoder is None:
            self.decoder.setText("")
            self.decoder.setToolTip("")
            return
        kind = ("status_greedy" if not decoder.uses_beam
                else "status_beam_lm" if decoder.lm is not None else "status_beam")
        text = tr(kind)
        if decoder.uses_beam and decoder.hotword_count:
            text += " · " + tr("status_words", count=decoder.hotword_count)
        self.decoder.setText(text)
        self.decoder.setToolTip(decoder.describe(language()))

    def show_source(self, text: str) -> None:
        """Where the audio comes from: the microphone's name or the demo file."""
        self.source.setText(text)

    def show_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)

    def show_stats(self, stats: Stats) -> None:
        if stats.last_latency_s > 0:
            self.latency.setText(tr("status_latency", value=f"{stats.last_latency_s:.2f} s"))
        if stats.rtf > 0:
            self.rtf.setText(tr("status_rtf", value=f"{stats.rtf:.2f}"))
        self.backlog.setText(tr("status_backlog", value=f"{stats.backlog_s:.1f} s"))
        self.dropped.setText(tr("status_dropped", value=stats.dropped_blocks))
        self.dropped.setToolTip(tr("status_dropped_tip", dropped=stats.dropped_blocks,
                                   errors=stats.status_errors, skipped=stats.partials_skipped))
        warn = "color: #b3261e; font-weight: bold;"
        self.dropped.setStyleSheet(warn if stats.dropped_blocks else "")
        self.backlog.setStyleSheet(warn if stats.backlog_s > 5 else "")


class MessageBar(QFrame):
    """A dismissible one-message banner (errors stay until dismissed or replaced)."""

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.clicked.connect(self.dismiss)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.kind = ""
        self.hide()

    def show_message(self, text: str, kind: str = "error") -> None:
        self.kind = kind
        self.label.setText(text)
        self.setStyleSheet(f"MessageBar {{ {MESSAGE_STYLES[kind]} border-radius: 4px; }}"
                           f"QLabel {{ border: none; background: transparent; }}")
        self.show()

    def text(self) -> str:
        return self.label.text() if self.isVisible() or self.kind else ""

    def dismiss(self) -> None:
        self.kind = ""
        self.label.clear()
        self.hide()
        emit(self.dismissed)
