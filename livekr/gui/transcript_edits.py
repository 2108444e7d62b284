"""Correcting the transcript: an editor over the utterance, and Undo/Redo of each correction.

Each correction goes through ``TranscriptSession.edit`` (so saves and the autosave journal
keep it) and onto a ``QUndoStack`` (Edit ▸ Undo, Ctrl+Z). The editor is a line edit laid
over the utterance's paragraph: Enter keeps the correction, Esc drops it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QFocusEvent, QKeyEvent, QUndoCommand, QUndoStack
from PySide6.QtWidgets import QLineEdit

from livekr.gui.i18n import tr
from livekr.gui.qtcompat import emit
from livekr.gui.status import failure_text
from livekr.gui.transcript_view import TranscriptView
from livekr.session import TranscriptSession

Notify = Callable[[str], None]


class LineEditor(QLineEdit):
    """The correction's line edit: Enter keeps it, Esc drops it, leaving the field keeps it
    (but not for its own context menu)."""

    accepted = Signal()
    cancelled = Signal()
    left = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            emit(self.accepted)
        elif event.key() == Qt.Key.Key_Escape:
            emit(self.cancelled)
        else:
            super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        if event.reason() != Qt.FocusReason.PopupFocusReason:
            emit(self.left)


class EditCommand(QUndoCommand):
    """One correction of one utterance's text; undo puts the previous text back."""

    def __init__(self, corrections: TranscriptCorrections, index: int, before: str, after: str) -> None:
        super().__init__(tr("undo_edit"))
        self._corrections = corrections
        self.index = index
        self.before = before
        self.after = after

    def redo(self) -> None:
        self._corrections.apply(self.index, self.after)

    def undo(self) -> None:
        self._corrections.apply(self.index, self.before)


class TranscriptCorrections(QObject):
    """Owns the editor and the undo stack of one window's transcript (GUI thread)."""

    def __init__(self, view: TranscriptView, session: Callable[[], TranscriptSession], error: Notify) -> None:
        super().__init__(view)
        self._view = view
        self._session = session
        self._error = error
        self.stack = QUndoStack(self)
        self.editor = LineEditor(view.viewport())
        self.editor.hide()
        self.editor.accepted.connect(self.on_editor_accepted)
        self.editor.cancelled.connect(self.cancel)
        self.editor.left.connect(self.on_editor_left)
        self.editor.setStyleSheet("QLineEdit { border: 2px solid #2f6fb5; padding: 2px 4px; }")
        self._editing: int | None = None
        """The ``Utterance.index`` being edited."""
        view.edit_requested.connect(self.begin)

    @Slot(int)
    def begin(self, position: int) -> None:
        """Open the editor over the utterance at ``position`` of the view."""
        utterances = self._view.utterances
        if not 0 <= position < len(utterances):
            return
        utterance = utterances[position]
        self._editing = utterance.index
        rect = self._view.paragraph_rect(position)
        editor = self.editor
        editor.setFont(self._view.document().defaultFont())
        editor.setText(utterance.text)
        editor.setGeometry(rect.x(), rect.y(), max(rect.width(), 200), editor.sizeHint().height())
        editor.show()
        editor.setFocus()
        editor.selectAll()

    def commit(self) -> bool:
        """Keep the editor's text as the correction (an unchanged text changes nothing)."""
        index, self._editing = self._editing, None
        self.editor.hide()
        if index is None:
            return False
        before = next((u.text for u in self._session().utterances if u.index == index), None)
        after = " ".join(self.editor.text().split())
        if before is None or after == before:
            return False
        self.stack.push(EditCommand(self, index, before, after))
        return True

    def forget(self) -> None:
        """The transcript was cleared or replaced: its corrections can no longer be undone."""
        self.cancel()
        self.stack.clear()

    @Slot()
    def on_editor_accepted(self) -> None:
        self.commit()
        self._view.setFocus()

    @Slot()
    def on_editor_left(self) -> None:
        if self._editing is not None:
            self.commit()

    @Slot()
    def cancel(self) -> None:
        self._editing = None
        self.editor.hide()
        self._view.setFocus()

    def apply(self, index: int, text: str) -> None:
        """Set utterance ``index``'s text in the session (journaled) and show it."""
        session = self._session()
        try:
            result = session.edit(index, text)
        except KeyError:  # the transcript was cleared since
            self._error(tr("edit_gone"))
            return
        self._view.set_utterances(session.utterances)
        if result.failure is not None:
            self._error(failure_text(result.failure))
