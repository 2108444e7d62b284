"""The first start: choose a model instead of a silent download.

The published models with their download size, accuracy (CER on Zeroth-Korean test) and the
speed to expect on this computer (``livekr.speed_probe``), one of them recommended; or a
checkpoint folder already on disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from livekr.backends.fast import cuda_possible
from livekr.gui.i18n import tr
from livekr.models import HUB_MODELS
from livekr.speed_probe import MODEL_GFLOP_PER_AUDIO_S, SpeedEstimate, estimate, probe_gflops, recommend


@dataclass(frozen=True)
class ModelChoice:
    """One published model as the chooser offers it."""

    ref: str
    size: str
    """Download size for people ("1.2 GB")."""
    cer: float
    """Character error rate on Zeroth-Korean test, in percent."""
    speed: SpeedEstimate
    recommended: bool


def first_run_choices(cpu_gflops: float | None = None, cuda: bool | None = None) -> list[ModelChoice]:
    """The published models, most accurate first, with the speed expected here (the CPU is
    probed unless ``cpu_gflops`` is given) and the recommended one marked."""
    gflops = probe_gflops() if cpu_gflops is None else cpu_gflops
    gpu = cuda_possible() if cuda is None else cuda
    refs = sorted(HUB_MODELS, key=lambda ref: float(HUB_MODELS[ref]["cer"]))
    speeds = {ref: estimate(MODEL_GFLOP_PER_AUDIO_S[ref], gflops, gpu) for ref in refs}
    best = recommend(speeds, refs)
    return [ModelChoice(ref, str(HUB_MODELS[ref]["size"]), float(HUB_MODELS[ref]["cer"]), speeds[ref],
                        ref == best) for ref in refs]


def speed_text(speed: SpeedEstimate) -> str:
    """"실시간보다 약 12배 빠름" / "실시간보다 느림 (실시간 대비 1.6배 시간)"."""
    if speed.rtf < 1:
        return tr("speed_faster", times=f"{1 / max(speed.rtf, 1e-3):.0f}")
    return tr("speed_slower", times=f"{speed.rtf:.1f}")


def choice_text(choice: ModelChoice) -> str:
    """The chooser's lines for one model."""
    first = choice.ref + (" — " + tr("recommended") if choice.recommended else "")
    second = tr("choice_facts", size=choice.size, cer=f"{choice.cer:.2f}", speed=speed_text(choice.speed))
    if not choice.speed.fits_realtime:
        second += "\n" + tr("choice_slow")
    return f"{first}\n{second}"


class FirstRunDialog(QDialog):
    """Radio buttons for the published models, and a button for a local folder."""

    def __init__(self, choices: list[ModelChoice], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("first_run_title"))
        self.choices = choices
        self.folder: Path | None = None
        layout = QVBoxLayout(self)
        intro = QLabel(tr("first_run_intro"))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.group = QButtonGroup(self)
        for i, choice in enumerate(choices):
            button = QRadioButton(choice_text(choice))
            button.setChecked(choice.recommended)
            self.group.addButton(button, i)
            layout.addWidget(button)
        folder_button = QPushButton(tr("first_run_folder"))
        folder_button.clicked.connect(self.on_folder_button_clicked)
        layout.addWidget(folder_button)
        note = QLabel(tr("first_run_note"))
        note.setWordWrap(True)
        note.setStyleSheet("color: #555;")
        layout.addWidget(note)
        buttons = QDialogButtonBox()
        buttons.addButton(tr("first_run_download"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(tr("first_run_later"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def on_folder_button_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("open_folder_title"))
        if folder:
            self.folder = Path(folder)
            self.accept()

    def answer(self) -> str:
        """The chosen hub id or folder ("" when none)."""
        if self.folder is not None:
            return str(self.folder)
        index = self.group.checkedId()
        return self.choices[index].ref if index >= 0 else ""
