"""Ctrl+F: a search bar under the transcript; every match highlighted, the current one selected."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QColor, QKeyEvent, QTextCursor, QTextDocument
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QTextEdit, QToolButton, QWidget

from livekr.gui.i18n import tr
from livekr.gui.qtcompat import emit

MATCH_COLOUR = "#fff3a3"
"""Background of every match but the current one (which is the selection)."""


class SearchField(QLineEdit):
    """Enter asks for the next match, Shift+Enter for the previous one, Esc to close."""

    next_requested = Signal()
    previous_requested = Signal()
    close_requested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shift = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
            emit(self.previous_requested if shift else self.next_requested)
        elif event.key() == Qt.Key.Key_Escape:
            emit(self.close_requested)
        else:
            super().keyPressEvent(event)


class FindBar(QWidget):
    """Searches a ``QTextEdit``; Enter / Shift+Enter go to the next / previous match, Esc closes."""

    def __init__(self, view: QTextEdit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.field = SearchField()
        self.field.setPlaceholderText(tr("find_placeholder"))
        self.field.setClearButtonEnabled(True)
        self.field.textChanged.connect(self.on_field_text_changed)
        self.field.next_requested.connect(self.find_next)
        self.field.previous_requested.connect(self.find_previous)
        self.field.close_requested.connect(self.close_bar)
        self.count = QLabel("")
        previous = QToolButton()
        previous.setText("▲")
        previous.setToolTip(tr("find_previous"))
        previous.clicked.connect(self.find_previous)
        following = QToolButton()
        following.setText("▼")
        following.setToolTip(tr("find_next"))
        following.clicked.connect(self.find_next)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip(tr("find_close"))
        close.clicked.connect(self.close_bar)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.addWidget(QLabel(tr("find_label")))
        layout.addWidget(self.field, 1)
        layout.addWidget(self.count)
        layout.addWidget(previous)
        layout.addWidget(following)
        layout.addWidget(close)
        self.hide()

    @Slot()
    def open_bar(self) -> None:
        """Show the bar with the view's selection (if any) as the search text."""
        selected = self.view.textCursor().selectedText()
        if selected and "\u2029" not in selected:
            self.field.setText(selected)
        self.show()
        self.field.setFocus()
        self.field.selectAll()
        self.highlight()

    @Slot()
    def close_bar(self) -> None:
        self.hide()
        self.view.setExtraSelections([])
        self.view.setFocus()

    def matches(self) -> list[QTextCursor]:
        """Every occurrence of the search text in the view (case-insensitive)."""
        text = self.field.text()
        found: list[QTextCursor] = []
        if not text:
            return found
        document = self.view.document()
        cursor = document.find(text, 0)
        while not cursor.isNull():
            found.append(cursor)
            cursor = document.find(text, cursor)
        return found

    def highlight(self) -> int:
        """Mark every match; returns how many there are."""
        selections = []
        matches = self.matches()
        for cursor in matches:
            selection = QTextEdit.ExtraSelection()
            selection.cursor = cursor
            selection.format.setBackground(QColor(MATCH_COLOUR))
            selections.append(selection)
        self.view.setExtraSelections(selections)
        text = self.field.text()
        self.count.setText(tr("find_count", count=len(matches)) if text else "")
        self.field.setStyleSheet("" if matches or not text else "QLineEdit { background: #fdecea; }")
        return len(matches)

    @Slot(str)
    def on_field_text_changed(self, _text: str) -> None:
        if self.highlight():
            self.view.setTextCursor(QTextCursor(self.view.document()))
            self.find_next()

    @Slot()
    def find_next(self) -> bool:
        return self._find(QTextDocument.FindFlag(0))

    @Slot()
    def find_previous(self) -> bool:
        return self._find(QTextDocument.FindFlag.FindBackward)

    def _find(self, flags: QTextDocument.FindFlag) -> bool:
        """Select the next match in the direction of ``flags``, wrapping around the ends."""
        text = self.field.text()
        if not text:
            return False
        document = self.view.document()
        cursor = document.find(text, self.view.textCursor(), flags)
        if cursor.isNull():
            start = QTextCursor(document)
            if flags & QTextDocument.FindFlag.FindBackward:
                start.movePosition(QTextCursor.MoveOperation.End)
            cursor = document.find(text, start, flags)
        if cursor.isNull():
            return False
        self.view.setTextCursor(cursor)
        self.view.ensureCursorVisible()
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close_bar()
        else:
            super().keyPressEvent(event)
