"""Subtitle cues: each utterance's text cut into cues of at most two short lines, broken at
spaces (eojeol boundaries), timed from the recognised characters' spans.

Numbers from the Netflix Timed Text Style Guides, the most widely published rules for Korean
subtitles: the Korean guide allows 16 characters per line, Latin letters, spaces and
punctuation counting half (https://partnerhelp.netflixstudios.com/hc/en-us/articles/216001127);
the general requirements allow 2 lines and at most 7 seconds per subtitle event
(https://partnerhelp.netflixstudios.com/hc/en-us/articles/215758617). Qt-free, stdlib only.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from livekr.transcript import Utterance

LINE_WIDTH = 16.0
"""Width of a line: Netflix's Korean limit of 16 characters, Hangul counting 1 (see
``text_width``)."""
MAX_LINES = 2
MAX_CUE_S = 6.0
"""Below Netflix's 7 s maximum: a cue's own words span at most this (a pause after its last
word may keep it up longer, until the next cue)."""


@dataclass(frozen=True)
class CueOptions:
    """How utterances are cut into cues."""

    line_width: float = LINE_WIDTH
    """Widest line, in ``text_width`` units; a single word up to twice as wide stays whole."""
    max_lines: int = MAX_LINES
    """Lines per cue."""
    max_cue_s: float = MAX_CUE_S
    """Longest span of a cue's words, seconds."""


DEFAULT_CUES = CueOptions()


@dataclass(frozen=True)
class Cue:
    """One subtitle: its lines, shown from ``start_s`` to ``end_s`` (stream seconds)."""

    start_s: float
    end_s: float
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class Word:
    """An eojeol (or a piece of an overlong one) with the time its characters were spoken."""

    text: str
    start_s: float
    end_s: float


def text_width(text: str) -> float:
    """Display width as the Korean style guide counts it: wide characters (Hangul, CJK) 1,
    everything else (Latin letters, digits, spaces, punctuation) 0.5."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.5 for c in text)


def char_times(utterance: Utterance) -> list[tuple[float, float]]:
    """(start, end) in stream seconds of every non-space character of the text: from
    ``chars`` when they spell the text, else spread evenly over the utterance."""
    start, end = utterance.start_s, max(utterance.start_s, utterance.end_s)
    letters = "".join(utterance.text.split())
    if utterance.chars and "".join(c.char for c in utterance.chars) == letters:
        return [(min(end, start + max(0.0, c.start_s)), min(end, start + max(c.start_s, c.end_s)))
                for c in utterance.chars]
    step = (end - start) / max(1, len(letters))
    return [(start + i * step, start + (i + 1) * step) for i in range(len(letters))]


def pieces(word: str, line_width: float) -> list[str]:
    """``word`` whole when up to twice ``line_width`` wide, else cut into pieces of at most
    ``line_width`` each."""
    if text_width(word) <= 2 * line_width:
        return [word]
    out: list[str] = []
    current = ""
    for c in word:
        if current and text_width(current + c) > line_width:
            out.append(current)
            current = ""
        current += c
    return [*out, current]


def timed_words(utterance: Utterance, line_width: float = LINE_WIDTH) -> list[Word]:
    """The utterance's words in order, with the spans of their characters."""
    times = char_times(utterance)
    words: list[Word] = []
    position = 0
    for token in utterance.text.split():
        for piece in pieces(token, line_width):
            first, last = times[position], times[position + len(piece) - 1]
            words.append(Word(piece, first[0], last[1]))
            position += len(piece)
    return words


def _line(words: list[Word]) -> str:
    return " ".join(w.text for w in words)


def balance(words: list[Word], line_width: float) -> list[list[Word]]:
    """Two lines of ``words`` as even as they can be (the lower one the longer on a tie),
    each within ``line_width`` unless it is a single overlong word."""
    best: tuple[float, float] | None = None
    split = 1
    for k in range(1, len(words)):
        top, bottom = text_width(_line(words[:k])), text_width(_line(words[k:]))
        fits = (top <= line_width or k == 1) and (bottom <= line_width or k == len(words) - 1)
        if fits and (best is None or (max(top, bottom), top) < best):
            best, split = (max(top, bottom), top), k
    return [words[:split], words[split:]]


def layout(words: list[Word], options: CueOptions = DEFAULT_CUES) -> list[list[list[Word]]]:
    """Words into cues of lines: each word goes on the current line while the line fits,
    else on a new line while the cue has lines to spare and its words span at most
    ``max_cue_s``, else into a new cue. Two-line cues are then balanced."""
    cues: list[list[list[Word]]] = []
    for word in words:
        cue = cues[-1] if cues else None
        if cue is None or word.end_s - cue[0][0].start_s > options.max_cue_s:
            cues.append([[word]])
        elif text_width(_line([*cue[-1], word])) <= options.line_width:
            cue[-1].append(word)
        elif len(cue) < options.max_lines:
            cue.append([word])
        else:
            cues.append([[word]])
    return [balance([w for line in cue for w in line], options.line_width) if len(cue) == 2 else cue
            for cue in cues]


def utterance_cues(utterance: Utterance, options: CueOptions = DEFAULT_CUES) -> list[Cue]:
    """The cues of one utterance: the first starts with the utterance, the last ends with it,
    and each other starts when its first word is spoken and stays until the next one."""
    cues = layout(timed_words(utterance, options.line_width), options)
    starts = [utterance.start_s, *(cue[0][0].start_s for cue in cues[1:])]
    ends = [*starts[1:], max(utterance.start_s, utterance.end_s)]
    return [Cue(start, end, tuple(_line(line) for line in cue))
            for cue, start, end in zip(cues, starts, ends, strict=True)]


def cues(utterances: Iterable[Utterance], options: CueOptions = DEFAULT_CUES) -> list[Cue]:
    """Every utterance's cues, in order (utterances without text have none)."""
    return [cue for u in utterances for cue in utterance_cues(u, options)]
