"""The transcript view: committed finals, the live partial after them, uncertain characters.

One paragraph per final; where the source changes (a transcribed file, or dictation after
one) a heading paragraph names it. The partial lives in its own last paragraph, in a lighter colour,
and is replaced in place; committed text before it is never rewritten, so nothing flickers.
Characters whose confidence is below ``low_confidence`` are marked (a dotted underline in a
calm colour; 0 turns the marks off) and have a tooltip with their confidence and time span;
other text shows its utterance's span on hover.

The view follows new text unless the user has scrolled up; then a "new text" button appears
at its bottom edge. Double-clicking an utterance (or F2) asks to edit it (``edit_requested``);
a click on one asks to play its audio (``play_requested``).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QRect, Qt, Signal, Slot
from PySide6.QtGui import (
    QColor,
    QFont,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QResizeEvent,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import QPushButton, QTextEdit, QToolTip, QWidget

from livekr.gui.i18n import tr
from livekr.gui.qtcompat import emit
from livekr.transcript import CharSpan, Utterance, source_name

LOW_CONFIDENCE = 0.3
"""Characters below this confidence are marked (the settings can change it, or turn it off)."""
CAPTION_UTTERANCES = 2
"""Caption mode shows only this many of the latest finals (and the partial)."""
NOT_AN_UTTERANCE = -1
"""The user state of paragraphs that are not a final (the partial)."""
FOLLOW_SLACK_PX = 4
"""Within this many pixels of the bottom, the view counts as following new text."""
FONT_FAMILIES = ["Noto Sans CJK KR", "Noto Sans KR", "NanumGothic", "NanumBarunGothic",
                 "Malgun Gothic", "Apple SD Gothic Neo", "sans-serif"]

PALETTES = {
    # mode: (background, text, partial, low-confidence)
    "normal": ("#ffffff", "#1d1d1f", "#2f6fb5", "#b07d2b"),
    "caption": ("#000000", "#ffffff", "#9cc7ff", "#ffd60a"),
}
HEADING_SCALE = 0.8
"""Section headings' size relative to the text."""


def section_heading(source: str) -> str:
    """The heading of a section from ``source``: the file's name, or "Dictation"."""
    return source_name(source) or tr("dictation_heading")


def clock(seconds: float) -> str:
    """``M:SS.s`` (or ``H:MM:SS.s``) for tooltips."""
    minutes, secs = divmod(max(0.0, seconds), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{secs:04.1f}" if hours else f"{minutes}:{secs:04.1f}"


class TranscriptView(QTextEdit):
    """Read-only rich text view of the transcript; fed from the GUI thread."""

    edit_requested = Signal(int)
    """The user asked to correct the utterance at this position of ``utterances``."""
    play_requested = Signal(int)
    """The user clicked the utterance at this position of ``utterances``."""

    def __init__(self, parent: QWidget | None = None,
                 low_confidence: float = LOW_CONFIDENCE) -> None:
        super().__init__(parent)
        self.low_confidence = low_confidence
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        flags = Qt.TextInteractionFlag
        self.setTextInteractionFlags(flags.TextSelectableByMouse | flags.TextSelectableByKeyboard)
        self.setAcceptDrops(False)  # files dropped here go to the window
        self._utterances: list[Utterance] = []
        self._first_shown = 0
        """Position in ``_utterances`` of the first final in the document (caption mode)."""
        self._partial_start: int | None = None
        """Document position where the partial paragraph begins (None: no partial)."""
        self._partial = ""
        self._mode = "normal"
        self._font_pt = 16
        self.following = True
        """Whether new text scrolls into view (False once the user scrolls up)."""
        self._scrolling = False
        self.new_text_button = QPushButton(tr("new_text"), self)
        self.new_text_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.new_text_button.setStyleSheet(
            "QPushButton { background: #2f6fb5; color: white; border-radius: 12px; padding: 4px 14px; }")
        self.new_text_button.clicked.connect(self.on_new_text_button_clicked)
        self.new_text_button.hide()
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._on_scrolled)
        bar.rangeChanged.connect(self._on_range_changed)
        self.apply_style(16, caption=False)

    @property
    def utterances(self) -> list[Utterance]:
        return list(self._utterances)

    # -- appearance -------------------------------------------------------------------

    def apply_style(self, font_pt: int, caption: bool) -> None:
        """Font size and colours (caption mode: large white text on black, latest lines only)."""
        self._mode = "caption" if caption else "normal"
        self._font_pt = font_pt
        background, text, _, _ = PALETTES[self._mode]
        font = QFont()
        font.setFamilies(FONT_FAMILIES)
        font.setPointSize(font_pt)
        if caption:
            font.setWeight(QFont.Weight.DemiBold)
        self.document().setDefaultFont(font)
        self.setStyleSheet(
            f"QTextEdit {{ background: {background}; color: {text}; border: none; "
            f"padding: 12px 16px; }}"
        )
        self.set_utterances(self._utterances)

    def set_low_confidence(self, threshold: float) -> None:
        """Mark characters below ``threshold`` (0: no marks)."""
        if threshold != self.low_confidence:
            self.low_confidence = threshold
            self.set_utterances(self._utterances)

    def _paragraph_format(self) -> QTextBlockFormat:
        """Finals are paragraphs with some air between them."""
        fmt = QTextBlockFormat()
        fmt.setBottomMargin(self._font_pt * 0.6)
        fmt.setLineHeight(125, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value)
        return fmt

    def _format(self, kind: str) -> QTextCharFormat:
        _, text, partial, low = PALETTES[self._mode]
        fmt = QTextCharFormat()
        if kind == "partial":
            fmt.setForeground(QColor(partial))
        elif kind == "heading":
            fmt.setForeground(QColor(partial))
            fmt.setFontWeight(QFont.Weight.Bold)
            fmt.setFontPointSize(max(1.0, self._font_pt * HEADING_SCALE))
        elif kind == "low":
            fmt.setForeground(QColor(text))
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DotLine)
            fmt.setUnderlineColor(QColor(low))
        else:
            fmt.setForeground(QColor(text))
        return fmt

    # -- content ----------------------------------------------------------------------

    def committed_text(self) -> str:
        """The finals as shown, one line each (without section headings)."""
        return "\n".join(u.text for u in self._utterances[self._first_shown:])

    def partial_text(self) -> str:
        return self._partial

    def set_utterances(self, utterances: list[Utterance]) -> None:
        """Show exactly these finals (recovery, clear, edits, restyle); the partial is kept, and
        so is the reader's place when they had scrolled up."""
        following, place = self.following, self.verticalScrollBar().value()
        self._scrolling = True  # the rebuild's own scrolling is not the reader's
        try:
            self._rebuild(utterances)
        finally:
            self._scrolling = False
        if following:
            self.scroll_to_end()
        else:
            self.following = False
            self.verticalScrollBar().setValue(place)

    def _rebuild(self, utterances: list[Utterance]) -> None:
        partial = self._partial
        self._utterances = []
        self.document().clear()
        self._partial_start = None
        self._partial = ""
        shown = CAPTION_UTTERANCES if self._mode == "caption" else len(utterances)
        self._first_shown = max(0, len(utterances) - shown)
        self._utterances = list(utterances[:self._first_shown])
        for u in utterances[self._first_shown:]:
            self.add_final(u)
        if partial:
            self.show_partial(partial)

    def add_final(self, utterance: Utterance) -> None:
        """Commit an utterance: the partial paragraph (if any) becomes this final's text."""
        if self._mode == "caption" and len(self._utterances) - self._first_shown >= CAPTION_UTTERANCES:
            self._partial, self._partial_start = "", None  # this final replaces the partial
            self.set_utterances([*self._utterances, utterance])
            return
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        self._remove_partial(cursor)
        cursor.movePosition(QTextCursor.MoveOperation.End)
        shown_any = len(self._utterances) > self._first_shown
        previous = self._utterances[-1].source if shown_any else ""
        if utterance.source != previous:
            if shown_any:
                cursor.insertBlock()
            cursor.setBlockFormat(self._paragraph_format())
            cursor.block().setUserState(NOT_AN_UTTERANCE)
            cursor.insertText(section_heading(utterance.source), self._format("heading"))
            cursor.insertBlock()
        elif shown_any:
            cursor.insertBlock()
        cursor.setBlockFormat(self._paragraph_format())
        cursor.block().setUserState(len(self._utterances))
        self._insert_utterance(cursor, utterance)
        cursor.endEditBlock()
        self._utterances.append(utterance)
        self._after_new_text()

    def _insert_utterance(self, cursor: QTextCursor, utterance: Utterance) -> None:
        spans = iter(utterance.chars if _aligned(utterance) else ())
        normal = self._format("text")
        normal.setToolTip(tr("utterance_tip", start=clock(utterance.start_s),
                             end=clock(utterance.end_s), conf=round(utterance.confidence * 100)))
        for ch in utterance.text:
            span = next(spans, None) if not ch.isspace() else None
            if span is not None and span.confidence < self.low_confidence:
                cursor.insertText(ch, self._low_format(utterance, span))
            else:
                cursor.insertText(ch, normal)

    def _low_format(self, utterance: Utterance, span: CharSpan) -> QTextCharFormat:
        fmt = self._format("low")
        fmt.setToolTip(tr("low_confidence", conf=round(span.confidence * 100),
                          start=clock(utterance.start_s + span.start_s),
                          end=clock(utterance.start_s + span.end_s)))
        return fmt

    def show_partial(self, text: str) -> None:
        """Replace the provisional text after the finals (empty text removes it)."""
        if text == self._partial:
            return
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        self._remove_partial(cursor)
        if text:
            cursor.movePosition(QTextCursor.MoveOperation.End)
            if len(self._utterances) > self._first_shown:
                cursor.insertBlock()
            cursor.setBlockFormat(self._paragraph_format())
            cursor.block().setUserState(NOT_AN_UTTERANCE)
            self._partial_start = cursor.position()
            cursor.insertText(text, self._format("partial"))
        cursor.endEditBlock()
        self._partial = text
        if text:
            self._after_new_text()

    def clear_partial(self) -> None:
        self.show_partial("")

    def _remove_partial(self, cursor: QTextCursor) -> None:
        if self._partial_start is None:
            return
        start = self._partial_start
        if len(self._utterances) > self._first_shown:
            start -= 1  # the paragraph break before the partial
        cursor.setPosition(start)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        cursor.setCharFormat(self._format("text"))
        self._partial_start = None
        self._partial = ""

    def utterance_at(self, pos: QPoint) -> int | None:
        """The position in ``utterances`` of the final under viewport position ``pos``."""
        cursor = self.cursorForPosition(pos)
        rect = self.cursorRect(cursor)
        if abs(rect.center().y() - pos.y()) > rect.height():
            return None
        state = cursor.block().userState()
        return state if 0 <= state < len(self._utterances) else None

    def paragraph_rect(self, position: int) -> QRect:
        """The viewport rectangle of the paragraph of the utterance at ``position``."""
        block = self.document().begin()
        while block.isValid() and block.userState() != position:
            block = block.next()
        if not block.isValid():
            return QRect()
        rect = self.document().documentLayout().blockBoundingRect(block).toRect()
        return rect.translated(-self.horizontalScrollBar().value(), -self.verticalScrollBar().value())

    # -- following new text ---------------------------------------------------------------

    def _after_new_text(self) -> None:
        if self.following:
            self.scroll_to_end()
        else:
            self.new_text_button.show()
            self._place_new_text_button()

    def scroll_to_end(self) -> None:
        """Show the latest text and follow new text again."""
        self.following = True
        self.new_text_button.hide()
        bar = self.verticalScrollBar()
        scrolling, self._scrolling = self._scrolling, True
        bar.setValue(bar.maximum())
        self._scrolling = scrolling

    @Slot(int)
    def _on_scrolled(self, value: int) -> None:
        if self._scrolling:
            return
        bar = self.verticalScrollBar()
        self.following = value >= bar.maximum() - FOLLOW_SLACK_PX
        if self.following:
            self.new_text_button.hide()

    @Slot(int, int)
    def _on_range_changed(self, _minimum: int, _maximum: int) -> None:
        """The document or the viewport changed size (new text, a banner above, a resize):
        a view that follows stays at the end."""
        if self.following and not self._scrolling:
            self.scroll_to_end()

    @Slot()
    def on_new_text_button_clicked(self) -> None:
        self.scroll_to_end()

    def _place_new_text_button(self) -> None:
        button = self.new_text_button
        button.adjustSize()
        area = self.viewport().geometry()
        button.move(area.center().x() - button.width() // 2, area.bottom() - button.height() - 8)
        button.raise_()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.new_text_button.isVisible():
            self._place_new_text_button()

    # -- mouse and keys -------------------------------------------------------------------

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        position = self.utterance_at(event.position().toPoint())
        if position is not None and event.button() == Qt.MouseButton.LeftButton:
            emit(self.edit_requested, position)
            return
        super().mouseDoubleClickEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton and not self.textCursor().hasSelection():
            position = self.utterance_at(event.position().toPoint())
            if position is not None:
                emit(self.play_requested, position)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_F2:
            state = self.textCursor().block().userState()
            if 0 <= state < len(self._utterances):
                emit(self.edit_requested, state)
                return
        super().keyPressEvent(event)

    # -- tooltips -------------------------------------------------------------------------

    def tooltip_at(self, pos: QPoint) -> str:
        """The tooltip of the character under viewport position ``pos`` (empty if none)."""
        cursor = self.cursorForPosition(pos)
        rect = self.cursorRect(cursor)
        if abs(rect.center().y() - pos.y()) > rect.height():
            return ""
        position = cursor.position()
        if pos.x() >= rect.x() and position < self.document().characterCount() - 1:
            cursor.setPosition(position + 1)  # charFormat() is that of the char before
        return cursor.charFormat().toolTip()

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            tip = self.tooltip_at(event.pos())
            if tip:
                QToolTip.showText(event.globalPos(), tip, self.viewport())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)


def _aligned(utterance: Utterance) -> bool:
    """Whether ``chars`` has one entry per non-space character of ``text``."""
    return len(utterance.chars) == sum(1 for c in utterance.text if not c.isspace())
