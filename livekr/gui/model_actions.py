"""What the window does about models: choose one, load or download it with progress and
Cancel, show its card, and report how the load went."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QWidget

from livekr.gui.controller import Dictation
from livekr.gui.dialogs import Prompter
from livekr.gui.first_run import ModelChoice, first_run_choices
from livekr.gui.i18n import language, title, tr
from livekr.gui.load_panel import LoadPanel
from livekr.gui.menus import ModelMenu
from livekr.gui.qtcompat import emit
from livekr.gui.status import StatusPanel, model_label
from livekr.hub_download import DownloadProgress
from livekr.models import card_lines, find_info, models_dir

Notify = Callable[[str], None]


class ModelActions(QObject):
    """The Model menu's commands and the load panel, for one window (GUI thread)."""

    ready = Signal(str)
    """A model was loaded and is in use now (its ref)."""

    def __init__(self, window: QWidget, dictation: Dictation, prompter: Prompter, status: StatusPanel,
                 menu: ModelMenu, panel: LoadPanel, notice: Notify, error: Notify) -> None:
        super().__init__(window)
        self._window = window
        self._dictation = dictation
        self._prompter = prompter
        self._status = status
        self.menu = menu
        self.panel = panel
        self._notice = notice
        self._error = error
        menu.set_current(dictation.model_ref)
        menu.chosen.connect(self.choose)
        menu.open_folder_requested.connect(self.open_checkpoint_folder)
        menu.hub_id_requested.connect(self.enter_hub_id)
        menu.info_requested.connect(self.show_info)
        panel.cancel_requested.connect(dictation.cancel_load)
        dictation.model_loading.connect(self.on_dictation_model_loading)
        dictation.model_download.connect(self.on_dictation_model_download)
        dictation.model_ready.connect(self.on_dictation_model_ready)
        dictation.model_failed.connect(self.on_dictation_model_failed)
        dictation.model_cancelled.connect(self.on_dictation_model_cancelled)
        dictation.model_progress.connect(notice)
        dictation.model_progress.connect(panel.show_step)
        dictation.loading_finished.connect(self.on_dictation_loading_finished)

    @Slot(str)
    def choose(self, ref: str) -> None:
        """Load ``ref`` (a load or download under way is cancelled in its favour)."""
        self._dictation.load_model(ref)

    @Slot()
    def open_checkpoint_folder(self) -> None:
        folder = self._prompter.checkpoint_folder(self._window, models_dir())
        if folder is not None:
            self.choose(str(folder))

    @Slot()
    def enter_hub_id(self) -> None:
        ref = self._prompter.hub_id(self._window)
        if ref:
            self.choose(ref)

    def offer_first_model(self, choices: list[ModelChoice] | None = None) -> None:
        """At the first start (no model known): let the user choose a published model or a
        folder, instead of downloading one unasked. ``choices`` default to the published
        models with the speed probed on this computer."""
        ref = self._prompter.choose_first_model(self._window, choices or first_run_choices())
        if ref:
            self.choose(ref)
        else:
            self._notice(tr("no_model_yet"))

    @Slot()
    def show_info(self) -> None:
        info = find_info(self._dictation.model_ref)
        lines = [info.ref, *card_lines(info, language())] if info.card else [info.ref, tr("no_card")]
        if self._dictation.recognizer is not None:
            lines.append(self._dictation.recognizer.device_label)
        self._prompter.show_info(self._window, title("info_title"), "\n".join(lines))

    # -- how the load goes ------------------------------------------------------------------

    @Slot(str)
    def on_dictation_model_loading(self, ref: str) -> None:
        self._status.show_busy(True)
        self.menu.set_loading(ref)
        self.panel.show_loading(ref)
        self._notice(tr("loading_model", name=model_label(ref)))

    @Slot(str, object)
    def on_dictation_model_download(self, ref: str, progress: DownloadProgress) -> None:
        self.panel.show_download(ref, progress)

    @Slot(str, str)
    def on_dictation_model_ready(self, ref: str, device_label: str) -> None:
        self._status.show_model(ref, device_label)
        self.menu.set_current(ref)
        self._notice(tr("model_loaded", name=model_label(ref), device=device_label))
        emit(self.ready, ref)

    @Slot(str, str)
    def on_dictation_model_failed(self, ref: str, reason: str) -> None:
        text = tr("model_failed", reason=reason)
        if self._dictation.recognizer is not None:
            text += " " + tr("model_kept", name=model_label(self._dictation.model_ref))
        self._error(text)

    @Slot(str)
    def on_dictation_model_cancelled(self, ref: str) -> None:
        text = tr("load_cancelled", name=model_label(ref))
        if self._dictation.recognizer is not None:
            text += " " + tr("model_kept", name=model_label(self._dictation.model_ref))
        self._notice(text)

    @Slot()
    def on_dictation_loading_finished(self) -> None:
        self._status.show_busy(False)
        self.menu.set_loading("")
        self.panel.finish()
