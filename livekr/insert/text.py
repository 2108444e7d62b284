"""Finals turned into the text that is inserted into another program: spacing between
utterances, an optional full stop, and punctuation said aloud ("마침표" → ".").

Pure and stdlib only; one ``Shaper`` per dictation, fed the finals in order.
"""

from __future__ import annotations

from dataclasses import dataclass

from livekr.options import option

PUNCTUATION_WORDS = {"마침표": ".", "쉼표": ",", "물음표": "?", "느낌표": "!"}
"""Spoken punctuation: attached to the word before, with no space."""
BREAK_WORDS = {"줄바꿈": "\n", "새문단": "\n\n"}
"""Spoken line breaks: they eat the spaces around them."""
BREAK_PHRASES: dict[tuple[str, ...], str] = {("새", "문단"): "새문단"}
"""Commands said as two words, and the one word they stand for."""
ENDING_PUNCTUATION = frozenset(".,?!…:;)]}\"'”’」』。")
"""Characters after which ``full_stop`` adds nothing."""


@dataclass(frozen=True)
class InsertOptions:
    """How finals are shaped before they are inserted into another program."""

    full_stop: bool = option(
        False, "end each utterance typed into another program with a full stop, unless it already "
        "ends in punctuation",
    )
    """End each utterance with "." unless it already ends in punctuation (before any line
    break it ends with)."""
    spoken_punctuation: bool = option(
        False, "type the words 마침표 쉼표 물음표 느낌표 as . , ? ! and 줄바꿈, 새 문단 as a new line or "
        "paragraph",
    )
    """The words "마침표" ".", "쉼표" ",", "물음표" "?", "느낌표" "!", "줄바꿈" a newline and
    "새 문단" / "새문단" a blank line, as whole words only; punctuation is attached to the word
    before it, and a line break eats the spaces around it."""


def _pieces(text: str, spoken: bool) -> list[tuple[str, str]]:
    """``text`` as ("word" | "punct" | "break", text) pieces in order."""
    words = text.split()
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(words):
        word = words[i]
        pair = tuple(words[i:i + 2])
        if spoken and pair in BREAK_PHRASES:
            word = BREAK_PHRASES[pair]
            i += 1
        i += 1
        if spoken and word in PUNCTUATION_WORDS:
            out.append(("punct", PUNCTUATION_WORDS[word]))
        elif spoken and word in BREAK_WORDS:
            out.append(("break", BREAK_WORDS[word]))
        else:
            out.append(("word", word))
    return out


def add_full_stop(text: str) -> str:
    """``text`` with "." after its last character that is not a line break, unless that
    character is punctuation or there is none."""
    body = text.rstrip("\n")
    if not body or body[-1] in ENDING_PUNCTUATION:
        return text
    return body + "." + text[len(body):]


class Shaper:
    """Turns each final into the text to insert after what was inserted before.

    One space separates an utterance from the one before it, except at the very start and
    after a line break. Empty finals give "" and change nothing.
    """

    def __init__(self, options: InsertOptions | None = None) -> None:
        self.options = options or InsertOptions()
        self._line_start = True
        """Nothing inserted yet, or the last thing inserted ended a line: no space before the
        next word."""

    def shape(self, final_text: str) -> str:
        """The text to insert for ``final_text`` (the next final, in order)."""
        out: list[str] = []
        line_start = self._line_start
        for kind, piece in _pieces(final_text, self.options.spoken_punctuation):
            if kind == "word" and not line_start:
                out.append(" ")
            out.append(piece)
            line_start = kind == "break"
        text = "".join(out)
        if self.options.full_stop:
            text = add_full_stop(text)
        if text:
            self._line_start = line_start
        return text
