"""Entry point of the window: builds the real devices, model loader and window, runs Qt."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QSettings, QTimer, QTranslator
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from livekr.audio import AudioSource, FileSource
from livekr.config import RecognizerOptions
from livekr.gui.controller import Dictation, SourceFactory
from livekr.gui.custom_words import load_custom_words
from livekr.gui.dialogs import DialogPrompter, Prompter
from livekr.gui.i18n import set_language
from livekr.gui.insert_mode import InsertDevices
from livekr.gui.main_window import MainWindow
from livekr.gui.model_loader import LoadFunction
from livekr.gui.settings import load_settings
from livekr.journal import journal_dir
from livekr.microphone import InputDevice, MicrophoneSource, refresh_input_devices
from livekr.models import list_checkpoints, recent_models
from livekr.playback import Player
from livekr.recognizer import Recognizer, load_recognizer
from livekr.session import TranscriptSession
from livekr.system import korean_font_warning

log = logging.getLogger(__name__)

ORGANIZATION = "livekr"
APPLICATION = "livekr"
QT_CATALOGUES = ("qtbase", "qt")
"""Qt's own translation catalogues (standard buttons, file and message dialogs); ``qt_<lang>``
only loads where every module it names is installed, ``qtbase_<lang>`` has what livekr shows."""

_qt_translators: list[QTranslator] = []


def install_qt_translations(app: QCoreApplication, lang: str) -> list[QTranslator]:
    """Qt's own words in ``lang`` from the translations that come with Qt, replacing those
    installed before (none for English). Returns the catalogues installed."""
    while _qt_translators:
        app.removeTranslator(_qt_translators.pop())
    if lang == "en":
        return []
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for name in QT_CATALOGUES:
        translator = QTranslator(app)
        if translator.load(f"{name}_{lang}", folder) and app.installTranslator(translator):
            _qt_translators.append(translator)
        else:
            log.debug("no Qt translation %s_%s in %s", name, lang, folder)
    return list(_qt_translators)


def source_factory(demo: str | None) -> SourceFactory:
    """Sessions read the microphone, or with ``demo`` play that file in real time instead."""

    def make(input_device: str) -> AudioSource:
        if demo:
            return FileSource(demo, realtime=True)
        return MicrophoneSource(input_device or None)

    return make


def initial_model(model: str | None) -> str:
    """The model to load at start: the one asked for, the last used, or the first local one;
    "" on a first start, when the user chooses (``ModelActions.offer_first_model``)."""
    if model:
        return model
    recent = recent_models()
    if recent:
        return recent[0]
    local = list_checkpoints()
    return local[0].ref if local else ""


def build_window(
    *,
    store: QSettings,
    make_source: SourceFactory,
    load_model: LoadFunction = load_recognizer,
    prompter: Prompter | None = None,
    list_devices: Callable[[], list[InputDevice]] = refresh_input_devices,
    journal_folder: Path | None = None,
    recognizer: Recognizer | None = None,
    recognizer_override: RecognizerOptions | None = None,
    session_override: dict[str, Any] | None = None,
    demo_name: str = "",
    player: Player | None = None,
    insert_devices: InsertDevices | None = None,
    tray_available: bool | None = None,
) -> MainWindow:
    """The window with its controller; every device and model is passed in (tests use fakes).

    ``insert_devices``: the desktop's inserter, global shortcut, text shaper and focus check
    for dictation into other programs (default: this platform's, imported when insert mode
    turns on); ``tray_available``: whether the desktop has a system tray (default: ask Qt)."""
    settings = load_settings(store)
    language = set_language(settings.window.language)
    app = QCoreApplication.instance()
    if app is not None:
        install_qt_translations(app, language)
    session = TranscriptSession(settings.session, journal_folder or journal_dir())
    dictation = Dictation(make_source, load_model, session, settings, recognizer=recognizer,
                          custom_words=load_custom_words(store))
    if session_override:  # for this run only: the stored settings stay as they are
        dictation.apply_settings(settings.with_options("session", **session_override))
        dictation.input_device = dictation.settings.session.input_device
    if recognizer_override is not None:
        dictation.recognizer_override = recognizer_override
    if tray_available is None:
        tray_available = QSystemTrayIcon.isSystemTrayAvailable()
    return MainWindow(dictation, store, prompter or DialogPrompter(), list_devices, demo_name, player,
                      insert_devices or InsertDevices(), tray_available)


def run_app(model: str | None, recognizer_override: RecognizerOptions, session_override: dict[str, Any],
            demo: str | None) -> int:
    """Show the dictation window and run Qt's event loop; returns the exit code.

    ``model`` is a checkpoint folder or hub id (default: the last one used); device and dtype
    of ``recognizer_override`` other than "auto", and the ``SessionOptions`` fields in
    ``session_override`` (e.g. ``input_device``), override the saved settings for this run;
    ``demo`` plays a WAV file through the live path as if it were the microphone.
    """
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("livekr")
    store = QSettings(ORGANIZATION, APPLICATION)
    window = build_window(
        store=store,
        make_source=source_factory(demo),
        recognizer_override=recognizer_override,
        session_override=session_override,
        demo_name=Path(demo).name if demo else "",
    )
    # Hidden to the tray, the window is not "the last window closed": Quit ends the app.
    app.setQuitOnLastWindowClosed(not window.tray.available)
    window.closed.connect(app.quit)
    window.show()
    no_font = korean_font_warning(QFontDatabase.families(QFontDatabase.WritingSystem.Korean))
    if no_font is not None:
        log.warning("%s", no_font)
        window.show_error(no_font)
    ref = initial_model(model)

    def after_show() -> None:
        window.offer_recovery()
        if ref:
            window.dictation.load_model(ref)
        else:
            window.models.offer_first_model()

    QTimer.singleShot(0, after_show)
    return leave(int(app.exec()), window)


def leave(code: int, window: MainWindow) -> int:
    """``code``, or, when a model load or a cancelled file is still stuck in its thread (the
    user chose "Close now"), end the process at once with ``code``: Qt aborts a process whose
    running QThread is destroyed, and the load may never return. Everything worth keeping is
    written by then."""
    if not (window.dictation.loader.busy or window.dictation.files.busy):
        return code
    what = "a model load" if window.dictation.loader.busy else "a file's transcription"
    log.warning("%s was still running at exit; leaving without waiting for it", what)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
