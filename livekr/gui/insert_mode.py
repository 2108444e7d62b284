"""Dictation ▸ Type Into Other Programs: each final of the live run goes to the focused program.

``InsertMode`` is the window's side of it (GUI thread): the menu and its actions, the text
shaper, the insertion thread (``Insertions``), the global shortcut (``GlobalHotkey``) and the
floating ``Indicator``. The desktop's parts come in through ``InsertDevices``; the real ones
are imported only when insert mode is turned on, tests pass fakes. Only finals of a live run
are inserted (never partials, never files); the transcript keeps everything as before. An
explicit Stop drops what waits to be inserted and the rest of that run; a stop by the global
shortcut lets the run's last finals through (that is what was just said).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, QSettings, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMenu

from livekr.events import Final, Finished, LevelChanged, Partial, PipelineEvent, Stats
from livekr.gui.hotkey import GlobalHotkey
from livekr.gui.i18n import localize, tr
from livekr.gui.indicator import Indicator, indicator_state
from livekr.gui.insertion import Insertions
from livekr.gui.qtcompat import disconnect
from livekr.gui.settings import InsertModeOptions
from livekr.insert.base import Hotkey, HotkeyListener, Inserter, InsertError, Insertion, Method

if TYPE_CHECKING:
    from livekr.gui.main_window import MainWindow

log = logging.getLogger(__name__)

ON_KEY = "insert_mode/on"
"""Whether insert mode was on when livekr last ran (it is turned on again at start)."""
UNDO_SHORTCUT = "Ctrl+Alt+Backspace"


class TextShaper(Protocol):
    """Turns each final into the text to insert (spacing, full stop, spoken punctuation)."""

    def shape(self, text: str) -> str: ...


def platform_inserter(method: Method) -> Inserter:
    from livekr.insert.platform import make_inserter

    return make_inserter(method)


def platform_hotkey_listener(hotkey: Hotkey) -> HotkeyListener:
    from livekr.insert.platform import make_hotkey_listener

    return make_hotkey_listener(hotkey)


def platform_problem() -> str | None:
    """Why this desktop cannot take inserted text (a ``Message``), or None."""
    from livekr.insert.platform import insertion_problem

    return insertion_problem(os.environ, sys.platform)


def text_shaper(options: InsertModeOptions) -> TextShaper:
    from livekr.insert.text import InsertOptions, Shaper

    return Shaper(InsertOptions(full_stop=options.full_stop, spoken_punctuation=options.spoken_punctuation))


def livekr_window_active() -> bool:
    """One of livekr's own windows has the focus (the indicator never should)."""
    active = QApplication.activeWindow()
    return active is not None and not isinstance(active, Indicator)


@dataclass(frozen=True)
class InsertDevices:
    """What dictation into other programs needs from the desktop."""

    make_inserter: Callable[[Method], Inserter] = platform_inserter
    """Raises ``InsertError`` when this desktop cannot take text."""
    make_hotkey_listener: Callable[[Hotkey], HotkeyListener] = platform_hotkey_listener
    make_shaper: Callable[[InsertModeOptions], TextShaper] = text_shaper
    problem: Callable[[], str | None] = platform_problem
    """Checked before insert mode turns on: a reason it cannot, or None."""
    livekr_active: Callable[[], bool] = livekr_window_active


class InsertMode(QObject):
    """Insert mode of one window: menu, insertion thread, global shortcut, indicator."""

    def __init__(self, window: MainWindow, devices: InsertDevices, store: QSettings) -> None:
        super().__init__(window)
        self._window = window
        self._dictation = window.dictation
        self.devices = devices
        self.store = store
        self.options = window.settings.insert
        self.insertions: Insertions | None = None
        self._retired: list[Insertions] = []
        """Closed insertion threads kept until they have ended."""
        self.shaper: TextShaper | None = None
        self.last: Insertion | None = None
        self._halted = False
        """An explicit Stop came: the rest of this run stays in livekr."""
        self._told_stays = False
        self._speech = False
        self._pending_finals = 0
        self._held = False
        """Push to talk: the shortcut is down and started this recording."""
        self._start_when_idle = False
        self.indicator = Indicator(store)
        self.destroyed.connect(self.indicator.deleteLater)  # it has no parent: a top-level window
        self.hotkey = GlobalHotkey(devices.make_hotkey_listener, self)
        self.hotkey.pressed.connect(self.on_hotkey_pressed)
        self.hotkey.released.connect(self.on_hotkey_released)
        self.undo_hotkey = GlobalHotkey(devices.make_hotkey_listener, self)
        """The global undo shortcut: pressed in the target, which keeps the focus."""
        self.undo_hotkey.pressed.connect(self.on_undo_hotkey_pressed)
        self.toggle_action = QAction(tr("insert_mode"), window)
        self.toggle_action.setCheckable(True)
        self.toggle_action.toggled.connect(self.on_toggle_action_toggled)
        self.undo_action = QAction(tr("undo_insertion"), window)
        self.undo_action.setShortcut(QKeySequence(UNDO_SHORTCUT))
        self.undo_action.triggered.connect(self.on_undo_action_triggered)
        self.undo_action.setEnabled(False)
        window.addActions([self.toggle_action, self.undo_action])
        self.menu = QMenu(tr("menu_dictation"), window)
        self.menu.addActions([window.record_action, self.toggle_action, self.undo_action])
        window.dictation.pipeline_event.connect(self.on_dictation_event)
        window.dictation.running_changed.connect(self.on_dictation_running_changed)

    @property
    def enabled(self) -> bool:
        return self.insertions is not None

    def restore(self) -> None:
        """At start: on again if it was on when livekr last ran."""
        if str(self.store.value(ON_KEY, "false")).lower() == "true":
            self.toggle_action.setChecked(True)

    # -- on and off -----------------------------------------------------------------------------

    @Slot(bool)
    def on_toggle_action_toggled(self, on: bool) -> None:
        if on and not self.enabled:
            self._turn_on()
        elif not on and self.enabled:
            self.turn_off()
        self.store.setValue(ON_KEY, self.enabled)

    def _turn_on(self) -> None:
        try:
            problem = self.devices.problem()
            if problem:
                raise InsertError(problem)
            inserter = self.devices.make_inserter(self.options.method)  # type: ignore[arg-type]
            self.shaper = self.devices.make_shaper(self.options)
        except (InsertError, ImportError) as e:
            self._window.show_error(tr("insert_unavailable", reason=localize(e)))
            self._set_checked(False)
            return
        self._start_insertions(inserter)
        self._grab_hotkey()
        self._grab_undo_hotkey()
        self._update_indicator()

    def turn_off(self) -> None:
        """Insert nothing more; what waits is dropped; the shortcut is let go."""
        self._retire_insertions()
        self.hotkey.release()
        self.undo_hotkey.release()
        self.shaper = None
        self._set_checked(False)
        self._update_indicator()

    def _set_checked(self, on: bool) -> None:
        blocked = self.toggle_action.blockSignals(True)
        self.toggle_action.setChecked(on)
        self.toggle_action.blockSignals(blocked)
        self.store.setValue(ON_KEY, on)

    def _start_insertions(self, inserter: Inserter) -> None:
        insertions = Insertions(inserter, self)
        insertions.inserted.connect(self.on_insertions_inserted)
        insertions.failed.connect(self.on_insertions_failed)
        insertions.undone.connect(self.on_insertions_undone)
        insertions.undo_failed.connect(self.on_insertions_undo_failed)
        insertions.pending_changed.connect(self._update_indicator)
        self.insertions = insertions
        self.last = None
        self.undo_action.setEnabled(False)

    def _retire_insertions(self) -> None:
        insertions, self.insertions = self.insertions, None
        if insertions is None:
            return
        for signal, slot in ((insertions.inserted, self.on_insertions_inserted),
                             (insertions.failed, self.on_insertions_failed),
                             (insertions.undone, self.on_insertions_undone),
                             (insertions.undo_failed, self.on_insertions_undo_failed),
                             (insertions.pending_changed, self._update_indicator)):
            disconnect(signal, slot)
        self._retired.append(insertions)
        insertions.ended.connect(self._on_retired_ended)
        insertions.close()
        self.last = None
        self.undo_action.setEnabled(False)

    @Slot()
    def _on_retired_ended(self) -> None:
        for ended in [i for i in self._retired if not i.running]:
            self._retired.remove(ended)
            ended.close(wait=True)  # returns at once: only the thread's last steps may remain
            ended.deleteLater()

    def apply(self, options: InsertModeOptions) -> None:
        """New settings: a new method needs a new inserter, a new shortcut a new grab."""
        old, self.options = self.options, options
        if not self.enabled:
            return
        if options.method != old.method:
            try:
                inserter = self.devices.make_inserter(options.method)  # type: ignore[arg-type]
            except (InsertError, ImportError) as e:
                self._window.show_error(tr("insert_unavailable", reason=localize(e)))
                self.turn_off()
                return
            self._retire_insertions()
            self._start_insertions(inserter)
        if (options.full_stop, options.spoken_punctuation) != (old.full_stop, old.spoken_punctuation):
            self.shaper = self.devices.make_shaper(options)
        if (options.hotkey, options.hotkey_mode) != (old.hotkey, old.hotkey_mode):
            self._grab_hotkey()
        if options.undo_hotkey != old.undo_hotkey:
            self._grab_undo_hotkey()

    def close(self) -> None:
        """The window closes: let the shortcut go and wait for the insertion threads to end
        (insert mode stays remembered as it was)."""
        self._retire_insertions()
        self.hotkey.release()
        self.undo_hotkey.release()
        self.indicator.close()
        for retired in self._retired:
            retired.close(wait=True)
        self._retired = []

    # -- finals in, insertions out ------------------------------------------------------------

    @Slot(object)
    def on_dictation_event(self, event: PipelineEvent) -> None:
        if isinstance(event, Partial):
            self.indicator.show_partial(event.text)
        elif isinstance(event, Final):
            self.indicator.show_partial("")
            self._insert(event.utterance.text)
        elif isinstance(event, LevelChanged):
            self.indicator.set_level(event.rms_db, event.speech)
            if event.speech != self._speech:
                self._speech = event.speech
                self._update_indicator()
        elif isinstance(event, Stats) and event.pending_finals != self._pending_finals:
            self._pending_finals = event.pending_finals
            self._update_indicator()
        elif isinstance(event, Finished):
            self._speech, self._pending_finals = False, 0
            self.indicator.show_partial("")

    def _insert(self, text: str) -> None:
        """One final of the live run (files are not inserted: no run is active for them)."""
        if self.insertions is None or self.shaper is None or self._halted or not self._dictation.running:
            return
        if self.devices.livekr_active():
            if not self._told_stays:
                self._told_stays = True
                self._window.show_notice(tr("insert_stays_here"))
            return
        self.insertions.submit(self.shaper.shape(text))

    def halt(self) -> None:
        """An explicit Stop: drop what waits, and insert nothing more from this run."""
        self._halted = True
        if self.insertions is not None:
            self.insertions.clear()

    @Slot(bool)
    def on_dictation_running_changed(self, running: bool) -> None:
        d = self._dictation
        if running and not d.stopping:  # a run started
            self._halted = self._told_stays = False
        elif not running:
            self._held = False
            if self._start_when_idle:
                self._start_when_idle = False
                self._window.toggle_recording()
        self._update_indicator()

    @Slot(object)
    def on_insertions_inserted(self, insertion: Insertion) -> None:
        self.last = insertion
        self.undo_action.setEnabled(True)

    @Slot(str)
    def on_insertions_failed(self, message: str) -> None:
        """Said once; insert mode goes off (the transcript keeps everything)."""
        self.turn_off()
        self._window.show_error(tr("insert_failed", reason=message))

    # -- undo ---------------------------------------------------------------------------------

    @Slot()
    def on_undo_action_triggered(self) -> None:
        """The window's or the tray's action: livekr has the focus or a menu was used, so on
        X11 this is refused unless nothing reached the server since (see ``Inserter.undo``)."""
        self.undo_last()

    def undo_last(self, chord: Hotkey | None = None) -> None:
        """Remove the last insertion from the other program, if nothing moved since
        (``chord``: the global shortcut that asked for it; its own keys are no move)."""
        if self.insertions is None or self.last is None:
            self._window.show_notice(tr("insert_nothing_to_undo"))
            return
        self.insertions.undo_last(chord)

    @Slot()
    def on_undo_hotkey_pressed(self) -> None:
        """The global undo shortcut, pressed while the target has the focus."""
        self.undo_last(self.undo_hotkey.hotkey)

    @Slot(object)
    def on_insertions_undone(self, insertion: Insertion) -> None:
        self.last = None
        self.undo_action.setEnabled(False)
        self._window.show_notice(tr("insert_undone", count=len(insertion.text)))

    @Slot(str)
    def on_insertions_undo_failed(self, message: str) -> None:
        self._window.show_notice(message)

    # -- the global shortcut ------------------------------------------------------------------

    def _grab_hotkey(self) -> None:
        self._grab(self.hotkey, self.options.parsed_hotkey(), "hotkey_taken")

    def _grab_undo_hotkey(self) -> None:
        self._grab(self.undo_hotkey, self.options.parsed_undo_hotkey(), "undo_hotkey_taken")

    def _grab(self, shortcut: GlobalHotkey, hotkey: Hotkey | None, taken_key: str) -> None:
        """Watch ``hotkey`` with ``shortcut`` (None: none); a refused grab is said with
        ``taken_key``."""
        shortcut.release()
        if hotkey is None:
            return
        try:
            shortcut.grab(hotkey)
        except (InsertError, ImportError) as e:
            self._window.show_error(tr(taken_key, hotkey=str(hotkey), reason=localize(e)))

    @Slot()
    def on_hotkey_pressed(self) -> None:
        """Toggle: start, or stop (the run's last finals still go in); hold: start."""
        d = self._dictation
        if d.stopping:
            self._start_when_idle = True  # the previous run still drains: start right after it
            self._held = self.options.hotkey_mode == "hold"
        elif d.running:
            if self.options.hotkey_mode == "toggle":
                d.stop()
        else:
            self._window.toggle_recording()
            self._held = self.options.hotkey_mode == "hold" and d.running

    @Slot()
    def on_hotkey_released(self) -> None:
        """Push to talk: the release stops the recording the press started."""
        if self.options.hotkey_mode != "hold" or not self._held:
            return
        self._held = False
        self._start_when_idle = False
        if self._dictation.running:
            self._dictation.stop()

    # -- the indicator ------------------------------------------------------------------------

    @Slot()
    def _update_indicator(self) -> None:
        d = self._dictation
        pending = self.insertions.pending if self.insertions is not None else 0
        if not (self.enabled and (d.running or pending)):
            self.indicator.hide()
            self.indicator.reset()
            return
        working = d.stopping or self._pending_finals > 0 or pending > 0 or not d.running
        self.indicator.set_state(indicator_state(self._speech and not d.stopping, working))
        if not self.indicator.isVisible():
            self.indicator.show()
