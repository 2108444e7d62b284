"""Settings → Custom words: the user's list of words and phrases to spell exactly as written.

The list is kept in QSettings (``custom_words/list``, one ``word`` or ``word<TAB>boost`` a
line, the format of ``--hotwords`` files), edited in ``CustomWordsDialog`` (a two-column
table, rows added, removed or imported from a text file), and handed to the decoder, which
uses it from the next utterance on without reloading the model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from livekr.gui.i18n import localize, title, tr
from livekr.hotwords import MAX_BOOST, Hotword, HotwordError, format_hotwords, parse_hotwords, read_hotwords

log = logging.getLogger(__name__)

STORE_KEY = "custom_words/list"
WORD, BOOST = 0, 1


def load_custom_words(store: QSettings) -> list[Hotword]:
    """The stored list; a stored value that cannot be read gives an empty list and a log line."""
    raw = store.value(STORE_KEY, "")
    if not isinstance(raw, str) or not raw.strip():
        return []
    try:
        return parse_hotwords(raw.splitlines(), STORE_KEY)
    except HotwordError as e:
        log.warning("stored custom words ignored: %s", e)
        return []


def save_custom_words(store: QSettings, words: Sequence[Hotword]) -> None:
    store.setValue(STORE_KEY, format_hotwords(words))
    store.sync()


def _valid_boost(text: str) -> bool:
    try:
        return 0 < float(text) <= MAX_BOOST
    except ValueError:
        return False


FileChooser = Callable[[QWidget], Path | None]
"""Asks for a text file to import (tests pass one that answers at once)."""


class CustomWordsDialog(QDialog):
    """An editable table of words and optional boosts; ``words()`` gives the edited list.

    OK is refused (with the reason shown under the table) while a boost is not a number
    above 0 and at most ``livekr.hotwords.MAX_BOOST``."""

    def __init__(self, words: Sequence[Hotword], default_boost: float, choose_file: FileChooser,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title("custom_words_title"))
        self.resize(460, 480)
        self._choose_file = choose_file
        self._default_boost = default_boost
        intro = QLabel(tr("custom_words_intro", boost=f"{default_boost:g}"))
        intro.setWordWrap(True)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels([tr("custom_words_word"), tr("custom_words_boost")])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(WORD, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(BOOST, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.problem = QLabel("")
        self.problem.setStyleSheet("color: #b3261e;")
        self.problem.setWordWrap(True)
        self.count = QLabel("")
        add = QPushButton(tr("custom_words_add"))
        add.clicked.connect(lambda: self.add_row())
        remove = QPushButton(tr("custom_words_remove"))
        remove.clicked.connect(self.remove_selected)
        self.import_button = QPushButton(tr("custom_words_import"))
        self.import_button.clicked.connect(self.import_from_file)
        row = QHBoxLayout()
        for button in (add, remove, self.import_button):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.count)
        standard = QDialogButtonBox.StandardButton
        self.buttons = QDialogButtonBox(standard.Ok | standard.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.table.itemChanged.connect(self._update_count)
        self.set_words(words)

    # -- rows -----------------------------------------------------------------------------

    def set_words(self, words: Sequence[Hotword]) -> None:
        self.table.setRowCount(0)
        for word in words:
            self.add_row(word.text, "" if word.boost is None else f"{word.boost:g}")
        self._update_count()

    def add_row(self, text: str = "", boost: str = "") -> int:
        """Append a row (an empty one, to be typed into, when called from the button)."""
        row = self.table.rowCount()
        self.table.insertRow(row)
        word_item = QTableWidgetItem(text)
        self.table.setItem(row, WORD, word_item)
        boost_item = QTableWidgetItem(boost)
        boost_item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.table.setItem(row, BOOST, boost_item)
        if not text:
            self.table.setCurrentCell(row, WORD)
            self.table.editItem(word_item)
        self._update_count()
        return row

    def remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True)
        for row in rows:
            self.table.removeRow(row)
        self._update_count()

    def import_from_file(self) -> None:
        """Add the words of a text file (one a line, optionally ``word<TAB>boost``); a word
        already in the table takes the file's boost."""
        path = self._choose_file(self)
        if path is None:
            return
        try:
            imported = read_hotwords(path)
        except HotwordError as e:
            self.problem.setText(tr("custom_words_bad_file", reason=localize(e)))
            return
        try:
            merged = {w.text: w for w in self._rows()}
        except HotwordError:
            merged = {}
        merged.update({w.text: w for w in imported})
        self.set_words(list(merged.values()))
        self.problem.setText(tr("custom_words_imported", count=len(imported), name=path.name))

    # -- values ---------------------------------------------------------------------------

    def _rows(self) -> list[Hotword]:
        """The table as ``word<TAB>boost`` lines, parsed like a file (so it normalises and
        checks the same way); raises ``HotwordError`` naming the row of a bad boost."""
        lines = []
        for row in range(self.table.rowCount()):
            word_item, boost_item = self.table.item(row, WORD), self.table.item(row, BOOST)
            word = (word_item.text() if word_item else "").replace("\t", " ").strip()
            boost = (boost_item.text() if boost_item else "").strip()
            if word and boost and not _valid_boost(boost):
                raise HotwordError(tr("custom_words_bad_boost", row=row + 1, max=f"{MAX_BOOST:g}"))
            lines.append(f"{word}\t{boost}" if word and boost else word)
        return parse_hotwords(lines, tr("custom_words_title"))

    def words(self) -> list[Hotword]:
        return self._rows()

    def accept(self) -> None:
        try:
            self._rows()
        except HotwordError as e:
            self.problem.setText(localize(e))
            return
        super().accept()

    def _update_count(self, *_: object) -> None:
        filled = sum(1 for r in range(self.table.rowCount())
                     if (item := self.table.item(r, WORD)) is not None and item.text().strip())
        self.count.setText(tr("custom_words_count", count=filled))

