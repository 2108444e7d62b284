"""The transcript view: committed finals, the live partial after them, uncertain characters.

One paragraph per final; where the source changes (a transcribed file, or dictation after
one) a heading paragraph names it. The partial lives in its own last paragraph in grey italics and
is replaced in place; committed text before it is never rewritten, so nothing flickers.
Characters whose confidence is below ``low_confidence`` get a wavy underline and a tooltip
with their confidence and time span; other text shows its utterance's span on hover.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QHelpEvent,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import QTextEdit, QToolTip, QWidget

from livekr.gui.i18n import tr
from livekr.transcript import CharSpan, Utterance, source_name

LOW_CONFIDENCE = 0.5
"""Characters below this confidence are marked."""
FONT_FAMILIES = ["Noto Sans CJK KR", "Noto Sans KR", "NanumGothic", "NanumBarunGothic",
                 "Malgun Gothic", "Apple SD Gothic Neo", "sans-serif"]

PALETTES = {
    # mode: (background, text, partial, low-confidence)
    "normal": ("#ffffff", "#1d1d1f", "#8a8a8e", "#c0392b"),
    "caption": ("#000000", "#ffffff", "#b8b8b8", "#ffd60a"),
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
        self._partial_start: int | None = None
        """Document position where the partial paragraph begins (None: no partial)."""
        self._partial = ""
        self._mode = "normal"
        self._font_pt = 16
        self.apply_style(16, caption=False)

    # -- appearance -------------------------------------------------------------------

    def apply_style(self, font_pt: int, caption: bool) -> None:
        """Font size and colours (caption mode: large white text on black)."""
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
            fmt.setFontItalic(True)
        elif kind == "heading":
            fmt.setForeground(QColor(partial))
            fmt.setFontWeight(QFont.Weight.Bold)
            fmt.setFontPointSize(max(1.0, self._font_pt * HEADING_SCALE))
        elif kind == "low":
            fmt.setForeground(QColor(low))
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(QColor(low))
        else:
            fmt.setForeground(QColor(text))
        return fmt

    # -- content ----------------------------------------------------------------------

    def committed_text(self) -> str:
        """The finals as shown, one line each (without section headings)."""
        return "\n".join(u.text for u in self._utterances)

    def partial_text(self) -> str:
        return self._partial

    def set_utterances(self, utterances: list[Utterance]) -> None:
        """Show exactly these finals (recovery, clear, restyle); the partial is dropped."""
        partial = self._partial
        self._utterances = []
        self.document().clear()
        self._partial_start = None
        self._partial = ""
        for u in utterances:
            self.add_final(u)
        if partial:
            self.show_partial(partial)

    def add_final(self, utterance: Utterance) -> None:
        """Commit an utterance: the partial paragraph (if any) becomes this final's text."""
        follow = self._at_bottom()
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        self._remove_partial(cursor)
        cursor.movePosition(QTextCursor.MoveOperation.End)
        previous = self._utterances[-1].source if self._utterances else ""
        if utterance.source != previous:
            if self._utterances:
                cursor.insertBlock()
            cursor.setBlockFormat(self._paragraph_format())
            cursor.insertText(section_heading(utterance.source), self._format("heading"))
            cursor.insertBlock()
        elif self._utterances:
            cursor.insertBlock()
        cursor.setBlockFormat(self._paragraph_format())
        self._insert_utterance(cursor, utterance)
        cursor.endEditBlock()
        self._utterances.append(utterance)
        if follow:
            self._scroll_to_end()

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
        follow = self._at_bottom()
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        self._remove_partial(cursor)
        if text:
            cursor.movePosition(QTextCursor.MoveOperation.End)
            if self._utterances:
                cursor.insertBlock()
            cursor.setBlockFormat(self._paragraph_format())
            self._partial_start = cursor.position()
            cursor.insertText(text, self._format("partial"))
        cursor.endEditBlock()
        self._partial = text
        if follow:
            self._scroll_to_end()

    def clear_partial(self) -> None:
        self.show_partial("")

    def _remove_partial(self, cursor: QTextCursor) -> None:
        if self._partial_start is None:
            return
        start = self._partial_start
        if self._utterances:
            start -= 1  # the paragraph break before the partial
        cursor.setPosition(start)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        cursor.setCharFormat(self._format("text"))
        self._partial_start = None
        self._partial = ""

    # -- scrolling and tooltips -----------------------------------------------------------

    def _at_bottom(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 4

    def _scroll_to_end(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

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
