"""The Model and Input menus: rebuilt each time they open, so they always show what is there."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal, SignalInstance, Slot
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu, QWidget

from livekr.audio import AudioError
from livekr.gui.i18n import language, localize, tr
from livekr.gui.qtcompat import emit
from livekr.microphone import InputDevice
from livekr.models import CheckpointInfo, card_lines, find_info, hub_models, list_checkpoints
from livekr.models import models_dir as default_models_dir
from livekr.models import recent_models as default_recent_models


def card_tooltip(info: CheckpointInfo) -> str:
    """The menu tooltip for a checkpoint: where it is and its card, in the window's language."""
    lines = [str(info.path) if info.path else info.ref, *card_lines(info, language())]
    return "\n".join(lines)


class ModelMenu(QMenu):
    """Local checkpoints, hub models, recent models, and ways to open any other."""

    chosen = Signal(str)
    """A model ref (folder path or hub id) to load."""
    open_folder_requested = Signal()
    hub_id_requested = Signal()
    info_requested = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        checkpoints: Callable[[], list[CheckpointInfo]] = list_checkpoints,
        recent: Callable[[], list[str]] = default_recent_models,
    ) -> None:
        super().__init__(tr("menu_model"), parent)
        self.setToolTipsVisible(True)
        self._checkpoints = checkpoints
        self._recent = recent
        self.current = ""
        self.loading = ""
        """The model being loaded or downloaded; the menu stays usable meanwhile."""
        self.aboutToShow.connect(self.rebuild)
        self.rebuild()

    @Slot()
    def rebuild(self) -> None:
        self.clear()
        group = QActionGroup(self)
        self.addSection(tr("local_models"))
        local = self._checkpoints()
        for info in local:
            self._add_model(info, group)
        if not local:
            self.addAction(tr("no_local_models", folder=default_models_dir())).setEnabled(False)
        self.addSection(tr("hub_models"))
        for info in hub_models():
            self._add_model(info, group)
        recent_menu = self.addMenu(tr("recent_models"))
        recent_menu.setToolTipsVisible(True)
        recent = self._recent()
        for ref in recent:
            self._add_model(find_info(ref), group, recent_menu, label=ref)
        if not recent:
            recent_menu.addAction(tr("no_recent")).setEnabled(False)
        self.addSeparator()
        self._add_command(tr("open_folder"), self.open_folder_requested)
        self._add_command(tr("hub_id"), self.hub_id_requested)
        self.addSeparator()
        info_action = self.addAction(tr("model_info"))
        info_action.setEnabled(bool(self.current))
        info_action.triggered.connect(self.info_requested)

    def _add_model(self, info: CheckpointInfo, group: QActionGroup, menu: QMenu | None = None,
                   label: str | None = None) -> QAction:
        text = label or info.name
        if info.ref == self.loading:
            text += " — " + tr("menu_loading")
        action = (menu or self).addAction(text)
        action.setCheckable(True)
        action.setChecked(info.ref == self.current)
        action.setToolTip(card_tooltip(info))
        action.setData(info.ref)
        if menu is None:
            group.addAction(action)
        action.triggered.connect(self._on_model_triggered)
        return action

    def _add_command(self, text: str, signal: SignalInstance) -> None:
        self.addAction(text).triggered.connect(signal)

    @Slot()
    def _on_model_triggered(self) -> None:
        action = self.sender()
        if isinstance(action, QAction):
            emit(self.chosen, str(action.data()))

    def set_current(self, ref: str) -> None:
        self.current = ref
        self.rebuild()

    def set_loading(self, ref: str) -> None:
        """Mark ``ref`` as being loaded ("" when no load runs)."""
        self.loading = ref
        self.rebuild()


class InputMenu(QMenu):
    """Microphones PortAudio sees; the choice is a device name ("" = system default)."""

    chosen = Signal(str)
    problem = Signal(str)
    """Listing failed (no PortAudio): the reason."""

    def __init__(self, list_devices: Callable[[], list[InputDevice]],
                 parent: QWidget | None = None, current: str = "") -> None:
        super().__init__(tr("menu_input"), parent)
        self.setToolTipsVisible(True)
        self._list_devices = list_devices
        self.current = current
        self.devices: list[InputDevice] = []
        self.error = ""
        self._listed = False
        self.aboutToShow.connect(self._on_about_to_show)

    @Slot()
    def _on_about_to_show(self) -> None:
        if not self._listed:
            self.refresh()
        else:
            self.rebuild()

    @Slot()
    def refresh(self) -> None:
        """Ask PortAudio again, then rebuild."""
        self._listed = True
        try:
            self.devices = self._list_devices()
            self.error = ""
        except AudioError as e:
            self.devices, self.error = [], localize(e)
            emit(self.problem, self.error)
        self.rebuild()

    def rebuild(self) -> None:
        self.clear()
        group = QActionGroup(self)
        entries = [("", tr("default_device"), "")]
        entries += [(d.name, d.name, f"{d.host_api} · {d.channels} ch · {d.default_rate:.0f} Hz")
                    for d in self.devices]
        for name, label, tip in entries:
            action = self.addAction(label)
            action.setCheckable(True)
            action.setChecked(name == self.current)
            action.setData(name)
            action.setToolTip(tip)
            group.addAction(action)
            action.triggered.connect(self._on_device_triggered)
        if self.error:
            note = self.addAction(tr("input_error"))
            note.setToolTip(self.error)
            note.setEnabled(False)
        elif not self.devices:
            self.addAction(tr("no_input_devices")).setEnabled(False)
        self.addSeparator()
        self.addAction(tr("refresh_devices")).triggered.connect(self.refresh)

    @Slot()
    def _on_device_triggered(self) -> None:
        action = self.sender()
        if isinstance(action, QAction):
            self.current = str(action.data())
            emit(self.chosen, self.current)
