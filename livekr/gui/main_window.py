"""The dictation window: transcript, Record/Stop, level meter, menus and status bar.

Widgets only: the threads belong to ``Dictation`` (controller.py); questions to the user go
through a ``Prompter`` (dialogs.py) so tests answer them without modal dialogs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from livekr.events import Failure, Final, Finished, LevelChanged, Partial, PipelineEvent, Stats
from livekr.gui.closing import WindowClosing
from livekr.gui.controller import Dictation
from livekr.gui.custom_words import save_custom_words
from livekr.gui.dialogs import Prompter
from livekr.gui.file_actions import FileActions
from livekr.gui.file_panel import FileIntake, FilePanel
from livekr.gui.find_bar import FindBar
from livekr.gui.i18n import tr
from livekr.gui.insert_mode import InsertDevices, InsertMode
from livekr.gui.keep_up import KeepUpBar
from livekr.gui.level_meter import LevelMeter
from livekr.gui.load_panel import LoadPanel
from livekr.gui.menus import InputMenu, ModelMenu
from livekr.gui.model_actions import ModelActions
from livekr.gui.qtcompat import emit
from livekr.gui.settings import (
    CAPTION_FONT_PT,
    MAX_FONT_PT,
    MIN_FONT_PT,
    AppSettings,
    save_settings,
)
from livekr.gui.status import MessageBar, StatusPanel, failure_text, model_label
from livekr.gui.transcript_actions import TranscriptActions
from livekr.gui.transcript_edits import TranscriptCorrections
from livekr.gui.transcript_view import TranscriptView, clock
from livekr.gui.tray import Tray
from livekr.microphone import InputDevice, refresh_input_devices
from livekr.playback import Player

STATUS_MESSAGE_MS = 6000


class MainWindow(QMainWindow):
    """The main window; ``dictation`` owns runs, models and the transcript session."""

    message_shown = Signal(str)
    """Every message the window shows (errors in the bar, notices in the status bar)."""
    closed = Signal()
    """The window has closed for good (not hidden to the tray): the application may end."""

    def __init__(
        self,
        dictation: Dictation,
        store: QSettings,
        prompter: Prompter,
        list_devices: Callable[[], list[InputDevice]] = refresh_input_devices,
        demo_name: str = "",
        player: Player | None = None,
        insert_devices: InsertDevices | None = None,
        tray_available: bool = False,
    ) -> None:
        super().__init__()
        self.dictation = dictation
        dictation.setParent(self)
        self.store = store
        self.prompter = prompter
        self.demo_name = demo_name
        self.autostart = bool(demo_name)
        """Start a session as soon as a model is ready (the --demo file)."""
        self.closing = WindowClosing(self)
        name = tr("app_title")
        self.setWindowTitle(tr("title_demo", title=name, name=demo_name) if demo_name else name)
        self._build_ui()
        self.files = FileActions(self, self.view, prompter, dictation, self.show_notice, self.show_error)
        self.corrections = TranscriptCorrections(self.view, lambda: self.dictation.session, self.show_error)
        self.transcript = TranscriptActions(self, player or Player())
        self.intake = FileIntake(self, dictation.files, prompter, self.show_error)
        self._build_actions()
        self.insert_mode = InsertMode(self, insert_devices or InsertDevices(), store)
        self._build_menus(list_devices)
        self.tray = Tray(self, store, tray_available)
        self._connect_dictation()
        self.apply_settings(dictation.settings)
        self.status.show_model(dictation.model_ref,
                               dictation.recognizer.device_label if dictation.recognizer else "")
        self.status.show_decoder(dictation.decoder())
        self._show_source()
        self._update_controls()
        geometry = store.value("window/geometry")
        if not isinstance(geometry, (QByteArray, bytes)) or not self.restoreGeometry(geometry):
            self.resize(960, 620)
        self.insert_mode.restore()

    @property
    def settings(self) -> AppSettings:
        return self.dictation.settings

    # -- construction -------------------------------------------------------------------

    def _build_ui(self) -> None:
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(10, 10, 10, 6)
        self.message_bar = MessageBar()
        self.load_panel = LoadPanel()
        self.keep_up = KeepUpBar()
        self.view = TranscriptView()
        self.find_bar = FindBar(self.view)
        self.view.setPlaceholderText(tr("idle_hint"))
        self.record_button = QPushButton(tr("record"))
        self.record_button.setMinimumSize(132, 40)
        self.record_button.clicked.connect(self.toggle_recording)
        self.meter = LevelMeter()
        self.clock_label = QLabel(clock(0.0))
        self.clock_label.setMinimumWidth(70)
        self.clock_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        controls = QHBoxLayout()
        controls.addWidget(self.record_button)
        controls.addWidget(self.meter, 1)
        controls.addWidget(self.clock_label)
        layout.addWidget(self.message_bar)
        layout.addWidget(self.load_panel)
        layout.addWidget(self.keep_up)
        layout.addWidget(self.view, 1)
        self.file_panel = FilePanel(self.dictation.files)
        layout.addWidget(self.file_panel)
        layout.addWidget(self.find_bar)
        layout.addLayout(controls)
        self.setCentralWidget(central)
        self.status = StatusPanel(self.statusBar())

    def _action(self, key: str, slot: Callable[..., object],
                shortcuts: tuple[QKeySequence | str, ...] = ()) -> QAction:
        action = QAction(tr(key), self)
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        Key = QKeySequence.StandardKey
        self.record_action = self._action("record", self.toggle_recording,
                                          ("Ctrl+R", QKeySequence(Qt.Key.Key_F5)))
        files = self.files
        self.transcribe_files_action = self._action("transcribe_files", self.intake.choose, ("Ctrl+O",))
        self.save_action = self._action("save", files.save, (QKeySequence(Key.Save),))
        self.save_as_action = self._action("save_as", files.save_as, (QKeySequence(Key.SaveAs),))
        self.corrections_action = self._action("export_corrections", files.export_corrections)
        self.quit_action = self._action("quit", self.closing.quit, ("Ctrl+Q",))
        self.copy_all_action = self._action("copy_all", files.copy_all, ("Ctrl+Shift+C",))
        self.copy_action = self._action("copy_selection", self.view.copy,
                                        (QKeySequence(Key.Copy),))
        self.clear_action = self._action("clear", self.clear_transcript)
        self.find_action = self._action("find", self.find_bar.open_bar, (QKeySequence(Key.Find),))
        self.undo_action = self.corrections.stack.createUndoAction(self, tr("undo"))
        self.undo_action.setShortcuts(QKeySequence.keyBindings(Key.Undo))
        self.redo_action = self.corrections.stack.createRedoAction(self, tr("redo"))
        self.redo_action.setShortcuts(QKeySequence.keyBindings(Key.Redo))
        self.edit_action = self._action("edit_utterance", self.transcript.edit_current_utterance)
        self.settings_action = self._action("settings", self.edit_settings, ("Ctrl+,",))
        self.custom_words_action = self._action("custom_words", self.edit_custom_words)
        self.caption_action = self._action("caption_mode", self.set_caption_mode, ("F11",))
        self.caption_action.setCheckable(True)
        self.bigger_action = self._action("font_bigger", partial(self.change_font, 2),
                                          ("Ctrl++", "Ctrl+="))
        self.smaller_action = self._action("font_smaller", partial(self.change_font, -2),
                                           ("Ctrl+-",))

    def _build_menus(self, list_devices: Callable[[], list[InputDevice]]) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(tr("menu_file"))
        file_menu.addActions([self.record_action, self.transcribe_files_action, self.save_action,
                              self.save_as_action])
        file_menu.addAction(self.corrections_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = bar.addMenu(tr("menu_edit"))
        edit_menu.addActions([self.undo_action, self.redo_action, self.edit_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.copy_action, self.copy_all_action, self.find_action])
        edit_menu.addSeparator()
        edit_menu.addAction(self.clear_action)
        bar.addMenu(self.insert_mode.menu)
        self.model_menu = ModelMenu(self)
        self.models = ModelActions(self, self.dictation, self.prompter, self.status, self.model_menu,
                                   self.load_panel, self.show_notice, self.show_error)
        self.models.ready.connect(self.on_models_ready)
        bar.addMenu(self.model_menu)
        self.input_menu = InputMenu(list_devices, self, self.settings.session.input_device)
        self.input_menu.chosen.connect(self.choose_input)
        self.input_menu.problem.connect(self.show_error)
        bar.addMenu(self.input_menu)
        view_menu = bar.addMenu(tr("menu_view"))
        view_menu.addActions([self.caption_action, self.bigger_action, self.smaller_action])
        view_menu.addSeparator()
        view_menu.addActions([self.settings_action, self.custom_words_action])

    def _connect_dictation(self) -> None:
        d = self.dictation
        d.pipeline_event.connect(self.on_dictation_event)
        d.running_changed.connect(self.on_dictation_running_changed)
        d.decoder_changed.connect(self.status.show_decoder)
        d.idle.connect(self.on_dictation_idle)
        d.files.problem.connect(self.show_error)
        d.files.notice.connect(self.show_notice)

    # -- messages -----------------------------------------------------------------------

    @Slot(str)
    def show_error(self, text: str) -> None:
        self.message_bar.show_message(text, "error")
        emit(self.message_shown, text)

    @Slot(str)
    def show_notice(self, text: str) -> None:
        self.statusBar().showMessage(text, STATUS_MESSAGE_MS)
        emit(self.message_shown, text)

    # -- dictation ----------------------------------------------------------------------

    @Slot()
    def toggle_recording(self) -> None:
        d = self.dictation
        if d.running:
            self.insert_mode.halt()
            d.stop()
        elif d.recognizer is None and d.loading:
            self.show_notice(tr("model_still_loading", name=model_label(d.loading)))
        elif d.recognizer is None:
            self.show_error(tr("need_model"))
        elif d.files.busy:
            self.show_error(tr("files_record_busy"))
        elif d.start() and self.demo_name:
            self.show_notice(tr("demo_playing", name=self.demo_name))

    def _update_controls(self) -> None:
        d = self.dictation
        key = "finishing" if d.stopping else "stop" if d.running else "record"
        self.record_button.setText(tr(key))
        self.record_action.setText(tr(key))
        self.record_button.setEnabled(not d.stopping)
        style = "background: #d93025; color: white;" if d.running and not d.stopping else ""
        self.record_button.setStyleSheet(
            f"QPushButton {{ font-size: 15px; font-weight: 600; {style} }}"
        )

    @Slot(bool)
    def on_dictation_running_changed(self, running: bool) -> None:
        self._update_controls()
        if not running:
            self.meter.reset()
            self.transcript.run_ended()

    @Slot(object)
    def on_dictation_event(self, event: PipelineEvent) -> None:
        """Every pipeline event of the running session, on the transcript's timeline."""
        if isinstance(event, Partial):
            self.view.show_partial(event.text)
        elif isinstance(event, Final):
            self.view.add_final(event.utterance)
        elif isinstance(event, LevelChanged):
            self.meter.set_level(event.rms_db, event.speech)
            self.clock_label.setText(clock(event.time_s))
        elif isinstance(event, Stats):
            self.status.show_stats(event)
            self.transcript.show_stats(event)
        elif isinstance(event, Failure):
            self.show_error(failure_text(event))
        elif isinstance(event, Finished):
            self.view.show_partial("")
            if self.demo_name and not self.closing.active:
                self.show_notice(tr("demo_done"))

    @Slot(str)
    def on_models_ready(self, ref: str) -> None:
        if self.dictation.running:
            self.show_notice(tr("model_switch_next"))
        elif self.autostart:
            self.autostart = False
            self.toggle_recording()

    @Slot()
    def on_dictation_idle(self) -> None:
        self.closing.on_idle()

    # -- input --------------------------------------------------------------------------

    @Slot(str)
    def choose_input(self, name: str) -> None:
        self.dictation.input_device = name
        self.update_settings(self.settings.with_options("session", input_device=name))
        self._show_source()

    def _show_source(self) -> None:
        if self.demo_name:
            self.status.show_source(tr("status_demo", name=self.demo_name))
        else:
            self.status.show_source(self.dictation.input_device or tr("default_device"))

    # -- settings and appearance --------------------------------------------------------

    def update_settings(self, settings: AppSettings) -> None:
        """Persist and apply ``settings``; a new device or precision reloads the model."""
        old = self.settings
        self.dictation.apply_settings(settings)
        save_settings(self.store, settings)
        self.apply_settings(settings)
        reload = old.recognizer != settings.recognizer
        if reload and self.dictation.model_ref and self.dictation.recognizer is not None:
            self.dictation.load_model(self.dictation.model_ref)

    def apply_settings(self, settings: AppSettings) -> None:
        window = settings.window
        font_pt = max(window.font_pt, CAPTION_FONT_PT) if window.caption_mode else window.font_pt
        self.view.set_low_confidence(window.low_confidence)
        self.view.apply_style(font_pt, window.caption_mode)
        self.caption_action.setChecked(window.caption_mode)
        self.insert_mode.apply(settings.insert)
        if window.caption_mode and not self.isFullScreen():
            self.showFullScreen()
        elif not window.caption_mode and self.isFullScreen():
            self.showNormal()

    @Slot()
    def edit_settings(self) -> None:
        edited = self.prompter.edit_settings(self, self.settings)
        if edited is not None and edited != self.settings:
            self.update_settings(edited)

    @Slot()
    def edit_custom_words(self) -> None:
        """Settings → Custom words: kept between runs, used from the next utterance on."""
        words = self.prompter.edit_custom_words(self, self.dictation.custom_words,
                                                self.settings.decoder.hotword_boost)
        if words is None or words == self.dictation.custom_words:
            return
        save_custom_words(self.store, words)
        self.dictation.set_custom_words(words)
        self.show_notice(tr("custom_words_applied", count=len(words)))

    @Slot(bool)
    def set_caption_mode(self, on: bool) -> None:
        self.update_settings(self.settings.with_options("window", caption_mode=on))

    def change_font(self, step_pt: int) -> None:
        """Larger (positive) or smaller text, within the allowed sizes."""
        font_pt = min(MAX_FONT_PT, max(MIN_FONT_PT, self.settings.window.font_pt + step_pt))
        self.update_settings(self.settings.with_options("window", font_pt=font_pt))

    def offer_recovery(self) -> bool:
        """At start: offer the text of a session that did not end cleanly."""
        recovered = self.files.offer_recovery()
        if recovered:
            self.corrections.forget()
        return recovered

    @Slot()
    def clear_transcript(self) -> None:
        """Edit ▸ Clear (asks first); corrections of the cleared text cannot be undone."""
        if self.files.clear():
            self.corrections.forget()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self.intake.drag_enter(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self.intake.drop(event)

    # -- closing ------------------------------------------------------------------------

    @Slot()
    def show_window(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closing.handle(event)
