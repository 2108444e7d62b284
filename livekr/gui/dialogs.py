"""Every question the window asks the user, behind one small interface.

The window takes a ``Prompter``; the real one shows Qt dialogs, tests pass one that answers
from a script, so no test has to click through a modal dialog.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Protocol

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from livekr.audio import AUDIO_EXTENSIONS
from livekr.gui.custom_words import CustomWordsDialog
from livekr.gui.first_run import FirstRunDialog, ModelChoice
from livekr.gui.i18n import title, tr
from livekr.gui.settings import AppSettings, SettingsDialog
from livekr.hotwords import Hotword
from livekr.transcript import Transcript

UnsavedAnswer = Literal["save", "discard", "cancel"]


class Prompter(Protocol):
    """Questions and notices that need the user's answer (called on the GUI thread)."""

    def offer_recovery(self, parent: QWidget, transcript: Transcript) -> bool: ...

    def confirm_clear(self, parent: QWidget) -> bool: ...

    def ask_unsaved(self, parent: QWidget, saved_to: Path | None) -> UnsavedAnswer:
        """Save, discard or cancel; ``saved_to`` is the file the transcript was saved to before."""
        ...

    def save_path(self, parent: QWidget, suggested: Path) -> Path | None: ...

    def audio_files(self, parent: QWidget) -> list[Path]:
        """Audio files to transcribe; [] when the user cancelled."""
        ...

    def checkpoint_folder(self, parent: QWidget, start: Path) -> Path | None: ...

    def hub_id(self, parent: QWidget) -> str | None: ...

    def show_info(self, parent: QWidget, title: str, text: str) -> None: ...

    def edit_settings(self, parent: QWidget, settings: AppSettings) -> AppSettings | None: ...

    def edit_custom_words(self, parent: QWidget, words: list[Hotword], default_boost: float
                          ) -> list[Hotword] | None:
        """The edited list, or None when the user cancelled."""
        ...

    def corrections_folder(self, parent: QWidget, suggested: Path) -> Path | None:
        """Where File ▸ Export Corrections writes its clips and manifest (None: cancelled)."""
        ...

    def choose_first_model(self, parent: QWidget, choices: list[ModelChoice]) -> str:
        """At the first start: a published model's hub id, a checkpoint folder, or "" (later)."""
        ...


_Button = QMessageBox.StandardButton


class DialogPrompter:
    """Asks with Qt's standard dialogs."""

    def offer_recovery(self, parent: QWidget, transcript: Transcript) -> bool:
        preview = "\n".join(u.text for u in transcript.utterances[-3:])
        box = QMessageBox(QMessageBox.Icon.Question, title("recover_title"),
                          tr("recover", count=len(transcript.utterances)),
                          _Button.Yes | _Button.No, parent)
        box.setDetailedText(preview)
        return box.exec() == _Button.Yes

    def confirm_clear(self, parent: QWidget) -> bool:
        answer = QMessageBox.question(parent, title("confirm_clear_title"), tr("confirm_clear"))
        return answer == _Button.Yes

    def ask_unsaved(self, parent: QWidget, saved_to: Path | None) -> UnsavedAnswer:
        text = tr("unsaved_file", name=saved_to.name) if saved_to is not None else tr("unsaved")
        answer = QMessageBox.question(
            parent, title("unsaved_title"), text,
            _Button.Save | _Button.Discard | _Button.Cancel, _Button.Save,
        )
        if answer == _Button.Save:
            return "save"
        return "discard" if answer == _Button.Discard else "cancel"

    def save_path(self, parent: QWidget, suggested: Path) -> Path | None:
        filters = tr("file_filter")
        wanted = next((f for f in filters.split(";;") if f"*{suggested.suffix})" in f), "")
        name, chosen = QFileDialog.getSaveFileName(parent, title("save_as"), str(suggested),
                                                   filters, wanted)
        if not name:
            return None
        path = Path(name)
        if not path.suffix and "*." in chosen:
            path = path.with_suffix(chosen.split("*")[-1].rstrip(")"))
        return path

    def audio_files(self, parent: QWidget) -> list[Path]:
        names, _ = QFileDialog.getOpenFileNames(parent, tr("files_title"), str(Path.home()), audio_filter())
        return [Path(name) for name in names]

    def checkpoint_folder(self, parent: QWidget, start: Path) -> Path | None:
        name = QFileDialog.getExistingDirectory(parent, title("open_folder"), str(start))
        return Path(name) if name else None

    def hub_id(self, parent: QWidget) -> str | None:
        text, ok = QInputDialog.getText(parent, title("hub_id"), tr("hub_id_prompt"))
        return text.strip() if ok and text.strip() else None

    def show_info(self, parent: QWidget, title: str, text: str) -> None:
        QMessageBox.information(parent, title, text)

    def edit_settings(self, parent: QWidget, settings: AppSettings) -> AppSettings | None:
        dialog = SettingsDialog(settings, parent)
        return dialog.values() if dialog.exec() else None

    def edit_custom_words(self, parent: QWidget, words: list[Hotword], default_boost: float
                          ) -> list[Hotword] | None:
        dialog = CustomWordsDialog(words, default_boost, _choose_word_file, parent)
        return dialog.words() if dialog.exec() else None

    def corrections_folder(self, parent: QWidget, suggested: Path) -> Path | None:
        name = QFileDialog.getExistingDirectory(parent, tr("corrections_title"), str(suggested.parent))
        return Path(name) / suggested.name if name else None

    def choose_first_model(self, parent: QWidget, choices: list[ModelChoice]) -> str:
        dialog = FirstRunDialog(choices, parent)
        return dialog.answer() if dialog.exec() else ""


def _choose_word_file(parent: QWidget) -> Path | None:
    name, _ = QFileDialog.getOpenFileName(parent, title("custom_words_import_title"), str(Path.home()),
                                          tr("custom_words_import_filter"))
    return Path(name) if name else None


def audio_filter() -> str:
    """The file dialog's filter: the audio files livekr reads, then all files."""
    patterns = " ".join(f"*{ext}" for ext in AUDIO_EXTENSIONS)
    return tr("files_filter", patterns=patterns)
