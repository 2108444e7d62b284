"""The window's settings: a frozen dataclass, stored in QSettings, edited in a dialog."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QSpinBox,
    QWidget,
)

from livekr.config import PipelineOptions, RecognizerOptions, SegmenterOptions
from livekr.gui.i18n import tr

DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("auto", "fp32", "fp16", "bf16")
MIN_FONT_PT, MAX_FONT_PT = 9, 48
CAPTION_FONT_PT = 30
"""Caption mode never shows text smaller than this."""


@dataclass(frozen=True)
class AppSettings:
    """What the user chose; persisted between runs."""

    end_silence_ms: int = SegmenterOptions.end_silence_ms
    """Unvoiced time that ends an utterance."""
    vad_aggressiveness: int = SegmenterOptions.aggressiveness
    """webrtcvad 0 (keeps most audio) .. 3 (strictest)."""
    partials: bool = True
    """Show provisional text while speech continues."""
    device: str = "auto"
    """Compute device for the model: auto, cpu or cuda."""
    dtype: str = "auto"
    """auto, fp32, fp16 or bf16."""
    font_pt: int = 16
    """Transcript font size in points."""
    caption_mode: bool = False
    """Large, high-contrast text for reading from a distance."""
    input_device: str = ""
    """Microphone name; empty for the system default."""
    keep_audio: bool = False
    """Record the session audio and save it as FLAC beside the transcript."""
    language: str = ""
    """"ko", "en", or empty to follow the system locale."""

    def segmenter_options(self) -> SegmenterOptions:
        end_silence = max(SegmenterOptions.frame_ms, self.end_silence_ms)
        return SegmenterOptions(
            aggressiveness=min(3, max(0, self.vad_aggressiveness)),
            end_silence_ms=end_silence,
            post_roll_ms=min(SegmenterOptions.post_roll_ms, end_silence),
        )

    def pipeline_options(self) -> PipelineOptions:
        return PipelineOptions(partials=self.partials)

    def recognizer_options(self) -> RecognizerOptions:
        return RecognizerOptions(device=self.device, dtype=self.dtype)


def _coerce(value: Any, default: Any) -> Any:
    """QSettings returns strings from INI files; bring a value back to the default's type."""
    if isinstance(default, bool):
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)
    if isinstance(default, int):
        try:
            return int(value)
        except (TypeError, ValueError):
            return default
    return "" if value is None else str(value)


def load_settings(store: QSettings) -> AppSettings:
    """Read every field from ``store`` (group "settings"), with defaults for missing ones."""
    defaults = AppSettings()
    values = {}
    store.beginGroup("settings")
    try:
        for f in fields(AppSettings):
            default = getattr(defaults, f.name)
            values[f.name] = _coerce(store.value(f.name, default), default)
    finally:
        store.endGroup()
    loaded = AppSettings(**values)
    if loaded.device not in DEVICES:
        loaded = replace(loaded, device="auto")
    if loaded.dtype not in DTYPES:
        loaded = replace(loaded, dtype="auto")
    return replace(loaded, font_pt=min(MAX_FONT_PT, max(MIN_FONT_PT, loaded.font_pt)))


def save_settings(store: QSettings, settings: AppSettings) -> None:
    store.beginGroup("settings")
    try:
        for f in fields(AppSettings):
            store.setValue(f.name, getattr(settings, f.name))
    finally:
        store.endGroup()
    store.sync()


class SettingsDialog(QDialog):
    """Edits an ``AppSettings``; ``values()`` returns the edited copy."""

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("settings_title"))
        self._base = settings
        form = QFormLayout(self)
        self.end_silence = QSpinBox(minimum=100, maximum=3000, singleStep=50)
        self.end_silence.setValue(settings.end_silence_ms)
        self.vad = QSpinBox(minimum=0, maximum=3)
        self.vad.setValue(settings.vad_aggressiveness)
        self.partials = QCheckBox(tr("set_partials"))
        self.partials.setChecked(settings.partials)
        self.device = _combo(DEVICES, settings.device)
        self.dtype = _combo(DTYPES, settings.dtype)
        self.font_pt = QSpinBox(minimum=MIN_FONT_PT, maximum=MAX_FONT_PT)
        self.font_pt.setValue(settings.font_pt)
        self.caption = QCheckBox(tr("set_caption"))
        self.caption.setChecked(settings.caption_mode)
        self.keep_audio = QCheckBox(tr("set_keep_audio"))
        self.keep_audio.setChecked(settings.keep_audio)
        self.language = QComboBox()
        for code, label in (("", tr("lang_auto")), ("ko", "한국어"), ("en", "English")):
            self.language.addItem(label, code)
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))
        form.addRow(tr("set_end_silence"), self.end_silence)
        form.addRow(tr("set_vad"), self.vad)
        form.addRow(self.partials)
        form.addRow(tr("set_device"), self.device)
        form.addRow(tr("set_dtype"), self.dtype)
        form.addRow(tr("set_font"), self.font_pt)
        form.addRow(self.caption)
        form.addRow(self.keep_audio)
        form.addRow(tr("set_language"), self.language)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> AppSettings:
        return replace(
            self._base,
            end_silence_ms=self.end_silence.value(),
            vad_aggressiveness=self.vad.value(),
            partials=self.partials.isChecked(),
            device=self.device.currentText(),
            dtype=self.dtype.currentText(),
            font_pt=self.font_pt.value(),
            caption_mode=self.caption.isChecked(),
            keep_audio=self.keep_audio.isChecked(),
            language=str(self.language.currentData() or ""),
        )


def _combo(choices: tuple[str, ...], current: str) -> QComboBox:
    box = QComboBox()
    box.addItems(list(choices))
    box.setCurrentIndex(max(0, box.findText(current)))
    return box
