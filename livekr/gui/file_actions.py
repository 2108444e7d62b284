"""What the window does with the transcript as a file: save, copy, clear, recover."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from livekr.export import to_txt
from livekr.gui.controller import Dictation
from livekr.gui.dialogs import Prompter
from livekr.gui.i18n import localize, tr
from livekr.gui.transcript_view import TranscriptView
from livekr.journal import Journal, JournalError, JournalInUse, discard, find_abandoned, prune
from livekr.session import TranscriptSession

log = logging.getLogger(__name__)

DEFAULT_NAME = "livekr-transcript.txt"
CORRECTIONS_NAME = "livekr-corrections"

Notify = Callable[[str], None]


class FileActions(QObject):
    """Save / Save As / copy / clear / recovery for one window (GUI thread)."""

    def __init__(self, window: QWidget, view: TranscriptView, prompter: Prompter,
                 dictation: Dictation, notice: Notify, error: Notify) -> None:
        super().__init__(window)
        self._window = window
        self._view = view
        self._prompter = prompter
        self._dictation = dictation
        self._notice = notice
        self._error = error

    @property
    def session(self) -> TranscriptSession:
        return self._dictation.session

    @Slot()
    def save(self) -> bool:
        path = self.session.path
        return self.save_to(path) if path is not None else self.save_as()

    @Slot()
    def save_as(self) -> bool:
        suggested = self.session.path or Path.home() / DEFAULT_NAME
        path = self._prompter.save_path(self._window, suggested)
        return self.save_to(path) if path is not None else False

    def save_to(self, path: Path) -> bool:
        """Save to ``path`` (format from its extension, atomically); False on failure."""
        try:
            audio = self.session.save(path)
        except (OSError, ValueError) as e:
            log.warning("cannot save %s: %s", path, e, exc_info=not isinstance(e, OSError))
            self._error(tr("save_failed", reason=localize(e)))
            return False
        self._notice(tr("saved", path=path))
        if audio is not None:
            self._notice(tr("audio_saved", path=audio))
        return True

    @Slot()
    def export_corrections(self) -> bool:
        """File ▸ Export Corrections: each utterance's kept audio with its (corrected) text, as a
        manifest ``livekr-train --train_data`` reads; False when nothing was written."""
        if not self.session.utterances:
            self._error(tr("corrections_nothing"))
            return False
        folder = self._prompter.corrections_folder(self._window, Path.home() / CORRECTIONS_NAME)
        if folder is None:
            return False
        try:
            report = self.session.export_corrections(folder)
        except OSError as e:
            self._error(tr("corrections_failed", reason=localize(e)))
            return False
        if report is None:
            self._error(tr("corrections_no_audio"))
            return False
        self._notice(tr("corrections_done", count=report.written, minutes=f"{report.total_s / 60:.1f}",
                        path=report.manifest))
        return report.written > 0

    @Slot()
    def copy_all(self) -> None:
        """The whole transcript as text, as TXT saves it (file sections under their headings)."""
        QGuiApplication.clipboard().setText(to_txt(self.session.transcript).rstrip("\n"))
        self._notice(tr("copied"))

    @Slot()
    def clear(self) -> bool:
        """Forget the transcript (asking first when it is unsaved); True when it was cleared."""
        doc = self.session
        if not doc.utterances:
            return False
        if doc.dirty and not self._prompter.confirm_clear(self._window):
            return False
        self._dictation.clear()
        self._view.set_utterances([])
        return True

    def offer_recovery(self) -> bool:
        """Offer the sessions that did not end cleanly, newest first; True if one was recovered.

        "Yes" continues that session (its journal and kept audio become this window's); the
        others wait for the next start. "No" moves it aside, recoverable for a while."""
        session = self.session
        if session.journal_dir is None or session.utterances:
            return False
        prune(session.journal_dir)
        for item in find_abandoned(session.journal_dir):
            if not self._prompter.offer_recovery(self._window, item.transcript):
                discard(item.path)
                continue
            try:
                session.adopt(Journal.adopt(item.path))
            except (OSError, JournalError, JournalInUse, ValueError) as e:  # e.g. taken by another livekr
                log.warning("cannot recover %s: %s", item.path, e)
                self._error(tr("recover_failed", reason=localize(e)))
                continue
            self._view.set_utterances(session.utterances)
            self._notice(tr("recovered", count=len(session.utterances)))
            return True
        return False

    def resolve_unsaved(self) -> bool:
        """Before closing: save or discard unsaved text; False if the user cancelled.

        A transcript saved before is not overwritten without asking: the question names its
        file, and "save" writes there."""
        doc = self.session
        if not (doc.dirty and doc.utterances):
            return True
        answer = self._prompter.ask_unsaved(self._window, doc.path)
        if answer == "save":
            return self.save()
        return answer == "discard"
