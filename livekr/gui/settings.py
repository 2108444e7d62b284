"""The window's settings: the option groups of ``livekr.config`` plus the window's own, stored
in QSettings and edited in a dialog that is built from the options' declarations."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from livekr.config import (
    DecoderOptions,
    EncodingOptions,
    PipelineOptions,
    RecognizerOptions,
    SegmenterOptions,
    SessionOptions,
)
from livekr.gui.i18n import STRINGS, language, localize, title, tr
from livekr.insert.base import METHODS, Hotkey
from livekr.messages import Message
from livekr.options import DeclaredOption, declared, from_store, option, to_store, validate

MIN_FONT_PT, MAX_FONT_PT = 9, 48
CAPTION_FONT_PT = 30
"""Caption mode never shows text smaller than this."""
SPIN_LIMIT = 1_000_000
"""Upper bound of a number field whose option has no maximum."""


@dataclass(frozen=True)
class WindowOptions:
    """How the window looks."""

    font_pt: int = option(16, "transcript font size in points", minimum=MIN_FONT_PT, maximum=MAX_FONT_PT,
                          cli=False, dialog="set_font", ko_help="받아쓴 글의 글자 크기(포인트)")
    caption_mode: bool = option(False, "large, high-contrast text for reading from a distance", cli=False,
                                dialog="set_caption", ko_help="멀리서도 읽을 수 있게 크고 대비가 높은 글자")
    low_confidence: float = option(0.3, "characters recognised with less confidence than this are "
                                   "marked with a dotted underline; 0 turns the marks off",
                                   minimum=0.0, maximum=1.0, cli=False, dialog="set_low_confidence",
                                   ko_help="이 값보다 낮은 신뢰도로 인식한 글자에 점선 밑줄을 긋습니다. "
                                   "0이면 표시하지 않습니다")
    language: str = option("", "interface language; empty follows the system", choices=("", "ko", "en"),
                           choice_labels=("lang_auto", "한국어", "English"), cli=False, dialog="set_language",
                           ko_help="화면 언어. 시스템 설정이면 운영 체제의 언어를 따릅니다")
    keep_in_tray: bool = option(True, "closing the window leaves livekr running in the system tray "
                                "(where the desktop has one)", cli=False, dialog="set_keep_in_tray",
                                ko_help="창을 닫아도 livekr가 시스템 트레이에서 계속 실행됩니다"
                                        "(트레이가 있는 데스크톱에서)")

    def __post_init__(self) -> None:
        validate(self)


HOTKEY_MODES = ("toggle", "hold")
"""``toggle``: a press starts recording and the next stops it; ``hold``: push to talk."""


@dataclass(frozen=True)
class InsertModeOptions:
    """Dictation into other programs: how each final reaches the focused program, and the
    global shortcut that starts and stops recording from anywhere."""

    enabled: bool = option(False, "type each final of a live run into the program that has the focus",
                           cli=False)
    method: str = option("type", "how text reaches the other program: typed as key events, or pasted "
                         "through the clipboard (restored afterwards)", choices=METHODS,
                         choice_labels=("insert_method_type", "insert_method_paste"), cli=False,
                         dialog="set_insert_method",
                         ko_help="다른 프로그램에 글을 넣는 방법: 키 입력으로 치거나, 클립보드로 "
                                 "붙여 넣습니다(클립보드 내용은 나중에 되돌립니다)")
    full_stop: bool = option(False, "end each inserted sentence with a full stop", cli=False,
                             dialog="set_full_stop", ko_help="넣는 문장마다 끝에 마침표를 찍습니다")
    spoken_punctuation: bool = option(False, "spoken punctuation (마침표, 쉼표, 물음표, 줄바꿈) is typed as "
                                      "the mark", cli=False, dialog="set_spoken_punctuation",
                                      ko_help="'마침표', '쉼표', '물음표', '느낌표', '줄바꿈', "
                                              "'새 문단'이라고 말하면 그 부호나 줄바꿈을 넣습니다")
    hotkey: str = option("Ctrl+Alt+Space", "global shortcut that starts and stops recording while other "
                         "programs have the focus; empty for none", cli=False, dialog="set_hotkey",
                         ko_help="다른 프로그램을 쓰는 중에도 녹음을 시작하고 멈추는 단축키. "
                                 "비워 두면 쓰지 않습니다")
    hotkey_mode: str = option("toggle", "press once to start and again to stop, or record while held",
                              choices=HOTKEY_MODES, choice_labels=("hotkey_toggle", "hotkey_hold"),
                              cli=False, dialog="set_hotkey_mode",
                              ko_help="한 번 눌러 시작하고 다시 눌러 멈추거나, 누르고 있는 동안만 녹음합니다")
    undo_hotkey: str = option("Ctrl+Shift+Backspace", "global shortcut that removes the last insertion "
                              "from the focused program, if nothing but this shortcut was pressed since; "
                              "empty for none", cli=False, dialog="set_undo_hotkey",
                              ko_help="다른 프로그램에 마지막으로 넣은 글을 지우는 단축키. 그 뒤에 이 단축키 "
                                      "말고 다른 키나 마우스를 쓰지 않았을 때만 지웁니다. 비워 두면 쓰지 "
                                      "않습니다")

    def __post_init__(self) -> None:
        validate(self)
        for name in ("hotkey", "undo_hotkey"):
            value = getattr(self, name)
            if value.strip():
                try:
                    Hotkey.parse(value)
                except ValueError as e:
                    raise ValueError(Message("option.not_hotkey", name=name, value=value)) from e

    def parsed_hotkey(self) -> Hotkey | None:
        """The global shortcut; None when there is none."""
        return Hotkey.parse(self.hotkey) if self.hotkey.strip() else None

    def parsed_undo_hotkey(self) -> Hotkey | None:
        """The global undo shortcut; None when there is none."""
        return Hotkey.parse(self.undo_hotkey) if self.undo_hotkey.strip() else None


GROUPS = ("segmenter", "pipeline", "encoding", "decoder", "recognizer", "session", "window", "insert")
"""The option groups of ``AppSettings``, in dialog order; each is also its settings-key prefix."""


@dataclass(frozen=True)
class AppSettings:
    """What the user chose; persisted between runs."""

    segmenter: SegmenterOptions = field(default_factory=SegmenterOptions)
    pipeline: PipelineOptions = field(default_factory=PipelineOptions)
    encoding: EncodingOptions = field(default_factory=EncodingOptions)
    decoder: DecoderOptions = field(default_factory=DecoderOptions)
    recognizer: RecognizerOptions = field(default_factory=RecognizerOptions)
    session: SessionOptions = field(default_factory=SessionOptions)
    window: WindowOptions = field(default_factory=WindowOptions)
    insert: InsertModeOptions = field(default_factory=InsertModeOptions)

    def with_options(self, group: str, **changes: Any) -> AppSettings:
        """A copy with fields of one group changed, e.g. ``with_options("window", font_pt=20)``."""
        return dataclasses.replace(self, **{group: dataclasses.replace(getattr(self, group), **changes)})


def load_settings(store: QSettings) -> AppSettings:
    """Every option from ``store``; missing or invalid values take their defaults."""
    values = {key: store.value(key) for key in store.allKeys()}
    return AppSettings(**{g: from_store(type(getattr(AppSettings(), g)), values, g) for g in GROUPS})


def save_settings(store: QSettings, settings: AppSettings) -> None:
    for group in GROUPS:
        for key, value in to_store(getattr(settings, group), group).items():
            store.setValue(key, value)
    store.sync()


class SettingsDialog(QDialog):
    """Edits an ``AppSettings``: one field per option declared with a ``dialog`` label;
    ``values()`` returns the edited copy."""

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title("settings_title"))
        self._base = settings
        self.fields: dict[tuple[str, str], QWidget] = {}
        """The editor of each shown option, keyed by (group, option name)."""
        form = QFormLayout(self)
        for group in GROUPS:
            current = getattr(settings, group)
            for opt in declared(type(current)):
                if not opt.spec.dialog:
                    continue
                widget = _editor(opt, getattr(current, opt.name))
                widget.setToolTip(opt.spec.help_in(language()))
                self.fields[(group, opt.name)] = widget
                if isinstance(widget, QCheckBox):
                    form.addRow(widget)
                else:
                    form.addRow(tr(opt.spec.dialog), widget)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #b3261e;")
        self.problem.hide()
        form.addRow(self.problem)
        form.addRow(buttons)

    def accept(self) -> None:
        """Close only with values every option accepts; otherwise say which one is wrong."""
        try:
            self.values()
        except ValueError as e:
            self.problem.setText(localize(e))
            self.problem.show()
            return
        super().accept()

    def values(self) -> AppSettings:
        """The edited settings; ``ValueError`` names an option whose value is not allowed."""
        edited = self._base
        for (group, name), widget in self.fields.items():
            edited = edited.with_options(group, **{name: _value(widget)})
        return edited


def _label(text: str) -> str:
    return tr(text) if text in STRINGS else text


def _editor(opt: DeclaredOption, value: Any) -> QWidget:
    """The widget that edits ``opt``, showing ``value``."""
    spec = opt.spec
    if opt.type is bool:
        box = QCheckBox(tr(spec.dialog))
        box.setChecked(bool(value))
        return box
    if spec.choices:
        combo = QComboBox()
        labels = spec.choice_labels or tuple(str(c) for c in spec.choices)
        for choice, label in zip(spec.choices, labels, strict=True):
            combo.addItem(_label(label), choice)
        combo.setEditable(bool(spec.pattern))
        index = combo.findData(value)
        if index >= 0:
            combo.setCurrentIndex(index)
        else:
            combo.setEditText(str(value))
        return combo
    if opt.type is str:
        return QLineEdit(str(value))
    low = spec.minimum if spec.minimum is not None else 0
    high = spec.maximum if spec.maximum is not None else SPIN_LIMIT
    spin: QSpinBox | QDoubleSpinBox
    if opt.type is int:
        spin = QSpinBox(minimum=int(low), maximum=int(high))
    else:
        spin = QDoubleSpinBox(minimum=float(low), maximum=float(high), decimals=2)
    spin.setValue(value)
    return spin


def _value(widget: QWidget) -> Any:
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QComboBox):
        data = widget.currentData()
        text = widget.currentText().strip()
        if widget.isEditable() and text != widget.itemText(widget.currentIndex()):
            return text
        return data
    if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
        return widget.value()
    if isinstance(widget, QLineEdit):
        return widget.text().strip()
    raise TypeError(f"no value for {type(widget).__name__}")
