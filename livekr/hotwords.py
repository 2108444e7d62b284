"""Custom words (hotwords): the list people give, and the automaton that rewards them.

A list is one word or phrase a line, optionally followed by a tab and a boost (how strongly
it is preferred, in natural-log units per character; lines starting with ``#`` are comments).
Each entry is normalised like any transcript (``livekr.text.normalize``) and spelled in the
model's units (spaces as the word delimiter), then all of them go into one Aho-Corasick
automaton, so a step costs the same for ten words as for thousands.

Scoring follows the context graphs of icefall and sherpa: every unit that continues a
listed word earns its share of the boost, a hypothesis that leaves a word half-way gives
back what it earned, and one that completes it earns the word's boost for good. A partly matched
word is therefore never rewarded, which keeps the boost from inventing listed words.
Standard library only.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from livekr.messages import LocalizedError, os_error
from livekr.text import VocabKind, normalize, to_units

MAX_BOOST = 50.0
"""Largest boost a list may give one word (per character)."""


class HotwordError(LocalizedError):
    """A list of custom words cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Hotword:
    """One listed word or phrase."""

    text: str
    """As it should be written (normalised: what the recognizer can output)."""
    boost: float | None = None
    """Per character, in natural-log units; None for the decoder's default."""


def parse_hotwords(lines: Iterable[str], source: str = "custom words") -> list[Hotword]:
    """The entries of ``lines`` (``word`` or ``word<TAB>boost``); raises ``HotwordError`` naming
    ``source`` and the line for a boost that is not a number between 0 and ``MAX_BOOST``.
    Blank lines, ``#`` comments and repeated words (the last boost wins) are dropped."""
    found: dict[str, Hotword] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, boost_text = line.partition("\t")
        boost = None
        if boost_text.strip():
            try:
                boost = float(boost_text)
            except ValueError as e:
                raise HotwordError("hotwords.not_number", source=source, line=number,
                                   boost=boost_text.strip()) from e
            if not 0 < boost <= MAX_BOOST:
                raise HotwordError("hotwords.out_of_range", source=source, line=number, max=MAX_BOOST,
                                   boost=boost)
        text = normalize(word)
        if text:
            found.pop(text, None)
            found[text] = Hotword(text, boost)
    return list(found.values())


def read_hotwords(path: str | Path) -> list[Hotword]:
    """The entries of a UTF-8 text file (see ``parse_hotwords``); ``HotwordError`` if it cannot
    be read."""
    path = Path(path).expanduser()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise HotwordError("hotwords.unreadable", path=path, reason=os_error(e)) from e
    except UnicodeDecodeError as e:
        raise HotwordError("hotwords.not_utf8", path=path, detail=e.reason) from e
    return parse_hotwords(text.splitlines(), str(path))


def format_hotwords(words: Iterable[Hotword]) -> str:
    """``words`` as the text of a list file (``parse_hotwords`` reads it back)."""
    return "".join(f"{w.text}\t{w.boost:g}\n" if w.boost is not None else f"{w.text}\n" for w in words)


def spell(text: str, token_ids: Mapping[str, int], kind: VocabKind, delimiter: str) -> list[int] | str:
    """The unit ids that write normalised ``text``, or the characters the model cannot write."""
    ids: list[int] = []
    missing = []
    for unit in to_units(text, kind):
        index = token_ids.get(delimiter if unit == " " else unit)
        if index is None:
            missing.append(unit)
        else:
            ids.append(index)
    return "".join(dict.fromkeys(missing)) if missing else ids


class HotwordGraph:
    """An Aho-Corasick automaton over unit ids whose steps carry boost scores.

    State 0 is the root. ``step`` and ``finalize`` are pure functions of their arguments
    (results are cached); one thread at a time may call them.
    """

    def __init__(self, entries: Sequence[tuple[Sequence[int], float]]) -> None:
        """``entries``: the unit ids of each word with its boost for the whole word."""
        self._next: list[dict[int, int]] = [{}]
        self._arc: list[float] = [0.0]
        """Score of the unit that leads into each state (the largest share per unit among the
        words through it)."""
        self._word: list[float] = [0.0]
        """Boost of the word that ends in each state (0 where none does)."""
        for ids, boost in entries:
            if ids:
                self._insert(ids, boost)
        self.words = sum(1 for boost in self._word if boost > 0)
        self._path = [0.0] * len(self._next)
        """Score earned along the path from the root to each state."""
        self._fail = [0] * len(self._next)
        self._output = [0.0] * len(self._next)
        """Score kept for every word that ends in each state (itself or a suffix)."""
        self._link()
        self.max_gain = self._gain_bounds()
        """``max_gain[state]``: no step from ``state`` scores more."""
        self._cache: dict[tuple[int, int], tuple[float, int]] = {}

    def _insert(self, ids: Sequence[int], boost: float) -> None:
        state, per_unit = 0, boost / len(ids)
        for unit in ids:
            child = self._next[state].get(unit)
            if child is None:
                child = self._next[state][unit] = len(self._next)
                self._next.append({})
                self._arc.append(per_unit)
                self._word.append(0.0)
            else:
                self._arc[child] = max(self._arc[child], per_unit)
            state = child
        self._word[state] = max(boost, 1e-9)

    def _link(self) -> None:
        """Scores along paths, failure links and output scores, breadth first."""
        queue = deque(self._next[0].values())
        for child in queue:
            self._path[child] = self._arc[child]
        while queue:
            state = queue.popleft()
            self._output[state] = self._word[state] + self._output[self._fail[state]]
            for unit, child in self._next[state].items():
                self._path[child] = self._path[state] + self._arc[child]
                fallback = self._fail[state]
                while unit not in self._next[fallback] and fallback != 0:
                    fallback = self._fail[fallback]
                target = self._next[fallback].get(unit, 0)
                self._fail[child] = target if target != child else 0
                queue.append(child)

    def _gain_bounds(self) -> list[float]:
        """Per state, the most a step can score: a step ends in a child of the state or of a
        state on its failure chain (or in the root), scoring that state's path and output
        less the path it leaves."""
        reach = [max((self._path[c] + self._output[c] for c in nxt.values()), default=0.0)
                 for nxt in self._next]
        chain = [0.0] * len(self._next)
        chain[0] = reach[0]
        for state in self._breadth_first():
            fail = self._fail[state]
            chain[state] = max(reach[fail], chain[fail])
        return [max(reach[s], chain[s], 0.0) - self._path[s] for s in range(len(self._next))]

    def _breadth_first(self) -> list[int]:
        order, queue = [], deque(self._next[0].values())
        while queue:
            state = queue.popleft()
            order.append(state)
            queue.extend(self._next[state].values())
        return order

    def step(self, state: int, unit: int) -> tuple[float, int]:
        """(score change, next state) when a hypothesis in ``state`` writes ``unit``."""
        key = (state, unit)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        child = self._next[state].get(unit)
        if child is not None:
            score = self._arc[child]
        else:
            fallback = self._fail[state]
            while unit not in self._next[fallback] and fallback != 0:
                fallback = self._fail[fallback]
            child = self._next[fallback].get(unit, 0)
            score = self._path[child] - self._path[state]
        result = (score + self._output[child], child)
        self._cache[key] = result
        return result

    def finalize(self, state: int) -> float:
        """Score change at the end of the utterance: what a word left half-way gives back."""
        return -self._path[state]


def compile_hotwords(
    words: Iterable[Hotword], token_ids: Mapping[str, int], kind: VocabKind, delimiter: str,
    default_boost: float,
) -> tuple[HotwordGraph, list[str]]:
    """The automaton of ``words`` in a model's units, and one line for each word left out
    because the model cannot write it."""
    entries: list[tuple[Sequence[int], float]] = []
    problems = []
    for word in words:
        ids = spell(word.text, token_ids, kind, delimiter)
        if isinstance(ids, str):
            problems.append(f"custom word {word.text!r} left out: this model cannot write {ids!r}")
            continue
        chars = sum(1 for ch in word.text if not ch.isspace())
        entries.append((ids, (word.boost if word.boost is not None else default_boost) * chars))
    return HotwordGraph(entries), problems
