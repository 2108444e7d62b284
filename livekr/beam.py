"""CTC prefix beam search over a model's own units, with a token n-gram LM and custom words.

Incremental: ``BeamSearch.step`` takes the stitched log-posteriors as they are fixed,
``partial`` peeks at the best text with a provisional tail, and ``end`` adds the last frames
and the end-of-sentence score, so the end of speech costs only the frames it adds. Feeding
the same frames in any blocks gives the same result as one block.

A hypothesis is a prefix of units. Its score is the CTC probability of the prefix (summed
over alignments ending in blank or not) plus the prefix's fixed extras: ``lm_weight`` times
the LM log-probability of every unit, ``insertion_bonus`` per unit, and the custom-word
scores (``livekr.hotwords``). With a jamo vocabulary a prefix only grows into well-formed
syllables (initial, vowel, optional final), so no lone jamo reach the text. Pure Python and
numpy; the worker thread that owns the stream is the only one to call it.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from livekr.ctc import Decoded, TokenTable, compose_spans
from livekr.hotwords import HotwordGraph
from livekr.lm import NgramModel, State
from livekr.text import L_BASE, L_COUNT, T_BASE, T_COUNT, V_BASE, V_COUNT

NEG_INF = float("-inf")
CANDIDATE_MIN_LOG_PROB = math.log(1e-3)
"""Units less probable than this in a frame are not tried as extensions there."""
MAX_CANDIDATES = 8
"""At most this many units (the most probable) are tried per frame."""
BEAM_THRESHOLD = 20.0
"""Hypotheses more than this (natural log) below the best are dropped."""

# Shapes of a prefix's end, for well-formed Hangul from jamo (syllable vocabularies are all OTHER).
START, AFTER_L, AFTER_V, AFTER_T, AFTER_OTHER = range(5)
L, V, T, DELIMITER, OTHER = range(5)
NEXT_SHAPE: tuple[dict[int, int], ...] = (
    {L: AFTER_L, DELIMITER: START, OTHER: AFTER_OTHER},  # START
    {V: AFTER_V},  # AFTER_L: an initial needs its vowel
    {T: AFTER_T, L: AFTER_L, DELIMITER: START, OTHER: AFTER_OTHER},  # AFTER_V
    {L: AFTER_L, DELIMITER: START, OTHER: AFTER_OTHER},  # AFTER_T
    {L: AFTER_L, DELIMITER: START, OTHER: AFTER_OTHER},  # AFTER_OTHER
)
"""Shape after a unit of each class, per shape; a class missing from a shape is forbidden
there (a vowel or final without its initial, an initial without its vowel)."""


def unit_class(token: str, delimiter: str) -> int:
    """The class (L, V, T, DELIMITER or OTHER) of a vocabulary token."""
    if token == delimiter:
        return DELIMITER
    if len(token) == 1:
        code = ord(token)
        if L_BASE <= code < L_BASE + L_COUNT:
            return L
        if V_BASE <= code < V_BASE + V_COUNT:
            return V
        if T_BASE < code < T_BASE + T_COUNT:
            return T
    return OTHER


@dataclass(frozen=True)
class BeamSettings:
    """How wide the search is and how the scores combine (natural-log units)."""

    beam_size: int = 8
    lm_weight: float = 0.5
    insertion_bonus: float = 1.0
    """Added per unit written, against the LM's cost of every unit."""


class Prefix:
    """One prefix of units, shared by every hypothesis and frame that reach it."""

    __slots__ = ("children", "extra", "hot", "lm", "parent", "shape", "unit")

    def __init__(self, parent: Prefix | None, unit: int, extra: float, lm: State, hot: int,
                 shape: int) -> None:
        self.parent = parent
        self.unit = unit
        self.extra = extra
        """LM, insertion and custom-word scores of the whole prefix."""
        self.lm = lm
        self.hot = hot
        self.shape = shape
        self.children: dict[int, Prefix | None] = {}
        """Extensions made so far; None where the unit may not follow."""


def _logaddexp(a: float, b: float) -> float:
    if a < b:
        a, b = b, a
    if b == NEG_INF:
        return a
    return a + math.log1p(math.exp(b - a))


def _keep(kept: list[float], size: int, score: float) -> None:
    """Keep the ``size`` largest scores seen in the min-heap ``kept``."""
    if len(kept) < size:
        heapq.heappush(kept, score)
    elif score > kept[0]:
        heapq.heapreplace(kept, score)


def _spans(prefix: Prefix, e: Entry) -> tuple | None:
    """The spans of a hypothesis's units before a new one: its earlier ones and its last run."""
    return e[2] if prefix.unit < 0 else (e[2], prefix.unit, e[3], e[4], e[5] / max(e[6], 1))


# A hypothesis: [log P(ends in blank), log P(ends in the unit), spans of the earlier units
# (a linked tuple), first frame, end frame and summed posterior of its last unit's run, run frames]
Entry = list


class BeamSearch:
    """The search over one utterance. Build with ``Scorer.begin()``."""

    def __init__(self, scorer: Scorer) -> None:
        self._scorer = scorer
        root = Prefix(None, -1, 0.0, scorer.lm.begin() if scorer.lm else (), 0, START)
        self._beam: dict[Prefix, Entry] = {root: [0.0, NEG_INF, None, 0, 0, 0.0, 0]}
        self.frames = 0
        """Frames consumed so far."""

    def step(self, log_probs: np.ndarray) -> None:
        """Advance over (frames × classes) log-posteriors, the next frames of the utterance."""
        block = np.asarray(log_probs, dtype=np.float32)
        if block.ndim != 2 or block.shape[0] == 0:
            return
        excluded, silent_ids = self._scorer.masks(block.shape[1])
        hits = (block + excluded) >= CANDIDATE_MIN_LOG_PROB
        silent = np.logaddexp.reduce(block[:, silent_ids], axis=1).tolist()
        for row, mask, blank in zip(block, hits, silent, strict=True):
            ids = np.flatnonzero(mask)
            if ids.size > 1:
                ids = ids[np.argsort(-row[ids], kind="stable")[:MAX_CANDIDATES]]
            self._frame(row, ids.tolist(), blank)

    def _frame(self, row: np.ndarray, candidates: list[int], blank: float) -> None:
        """One frame: every hypothesis stays (``blank``: the log-probability of blank or a
        special unit, which write nothing; or its last unit again) or grows by one of the
        ``candidates`` (most probable first)."""
        t = self.frames
        new: dict[Prefix, Entry] = {}
        totals = []
        for prefix, e in self._beam.items():
            total = _logaddexp(e[0], e[1])
            totals.append(total)
            carried = [total + blank, NEG_INF, e[2], e[3], e[4], e[5], e[6]]
            if prefix.unit >= 0:
                lp = row.item(prefix.unit)
                carried[1] = e[1] + lp
                if e[4] == t and lp > blank:
                    carried[4] = t + 1
                    carried[5] += math.exp(lp)
                    carried[6] += 1
            new[prefix] = carried
        kept = self._merge(row, totals, new)
        if candidates:
            self._extend(row, candidates, totals, new, kept)
        self._beam = self._prune(new)
        self.frames = t + 1

    def _merge(self, row: np.ndarray, totals: list[float], new: dict[Prefix, Entry]) -> list[float]:
        """Add to each hypothesis whose parent is in the beam too the paths that reach it from
        the parent in this frame (whatever the candidates); times follow the more probable
        path. Returns the best scores (at most beam size) as a min-heap."""
        t, size = self.frames, self._scorer.settings.beam_size
        old = self._beam
        total_of = dict(zip(old, totals, strict=True))
        kept: list[float] = []
        for prefix, entry in new.items():
            parent = prefix.parent
            if parent is not None and parent in old:
                e, lp = old[parent], row.item(prefix.unit)
                acoustic = (e[0] if prefix.unit == parent.unit else total_of[parent]) + lp
                if acoustic > _logaddexp(entry[0], entry[1]):
                    entry[2:] = [_spans(parent, e), t, t + 1, math.exp(lp), 1]
                entry[1] = _logaddexp(entry[1], acoustic)
            _keep(kept, size, _logaddexp(entry[0], entry[1]) + prefix.extra)
        return kept

    def _extend(self, row: np.ndarray, candidates: list[int], totals: list[float],
                new: dict[Prefix, Entry], kept: list[float]) -> None:
        """Add the extensions into new prefixes that can still make the beam. ``kept`` holds
        the best scores so far (at most beam size), so its smallest bounds the final cut from
        below: an extension whose best possible score is under it, or too far under the best,
        would be pruned anyway and is skipped, so the result is that of trying every one."""
        t, s = self.frames, self._scorer
        size, bonus, gains = s.settings.beam_size, s.settings.insertion_bonus, s.hot_gains
        lps = [row.item(c) for c in candidates]
        best = max(kept)
        for (prefix, e), total in zip(self._beam.items(), totals, strict=True):
            ceiling = total + prefix.extra + bonus + (gains[prefix.hot] if gains else 0.0)
            children = prefix.children
            for unit, lp in zip(candidates, lps, strict=True):
                floor = max(kept[0] if len(kept) == size else NEG_INF, best - BEAM_THRESHOLD)
                if ceiling + lp < floor:
                    break
                child = children.get(unit, prefix)
                if child is prefix:  # not made yet: only if it can make the beam
                    child = s.child(prefix, unit, floor - total - prefix.extra - lp)
                if child is None or child in new:  # forbidden, too unlikely, or merged already
                    continue
                acoustic = (e[0] if unit == prefix.unit else total) + lp
                score = acoustic + child.extra
                if score >= floor:
                    new[child] = [NEG_INF, acoustic, _spans(prefix, e), t, t + 1, math.exp(lp), 1]
                    _keep(kept, size, score)
                    best = max(best, score)

    def _prune(self, new: dict[Prefix, Entry]) -> dict[Prefix, Entry]:
        ranked = [(_logaddexp(e[0], e[1]) + p.extra, i, p) for i, (p, e) in enumerate(new.items())]
        best = heapq.nlargest(self._scorer.settings.beam_size, ranked)
        floor = best[0][0] - BEAM_THRESHOLD
        return {p: new[p] for score, _, p in best if score >= floor}

    def partial(self, provisional: np.ndarray | None = None) -> Decoded:
        """The best text so far, with ``provisional`` frames (that may still change) decoded on
        top of the fixed ones without keeping them; no end-of-sentence scores."""
        saved = (self._beam, self.frames)
        try:
            if provisional is not None:
                self.step(provisional)
            return self._best(final=False)
        finally:
            self._beam, self.frames = saved

    def end(self, tail: np.ndarray | None = None) -> Decoded:
        """Add the last frames (``tail``, if any) and return the utterance's text."""
        if tail is not None:
            self.step(tail)
        return self._best(final=True)

    def _best(self, final: bool) -> Decoded:
        s = self._scorer
        pool = list(self._beam.items())
        if final:  # a prefix may not end on an initial without its vowel, unless nothing else is left
            pool = [(p, e) for p, e in pool if p.shape != AFTER_L] or pool
        best: tuple[float, Prefix, Entry] | None = None
        for prefix, e in pool:
            score = _logaddexp(e[0], e[1]) + prefix.extra + (s.end_score(prefix) if final else 0.0)
            if best is None or score > best[0]:
                best = (score, prefix, e)
        assert best is not None
        return s.text(best[1], best[2])


class Scorer:
    """What a search needs to know of the model, the LM and the custom words; shared by the
    searches of one decoder (its caches grow as prefixes are scored)."""

    def __init__(self, tokens: TokenTable, frame_s: float, settings: BeamSettings,
                 lm: NgramModel | None = None, hotwords: HotwordGraph | None = None) -> None:
        self.tokens = tokens
        self.frame_s = frame_s
        self.settings = settings
        self.lm = lm
        self.hotwords = hotwords
        self._silent = sorted({tokens.blank_id, *tokens.skip_ids})
        """Blank and the special units (unknown, padding): like blank, they write nothing."""
        self._excluded = np.zeros(len(tokens.id_to_token), np.float32)
        self._excluded[self._silent] = NEG_INF
        self.classes = [unit_class(tok, tokens.word_delimiter) for tok in tokens.id_to_token]
        self.lm_ids = [lm.id_of(tok) for tok in tokens.id_to_token] if lm else []
        self.hot_gains = hotwords.max_gain if hotwords else []
        """Per custom-word state, the most one unit can add; with the insertion bonus, no
        extension raises a prefix's extras by more (the LM only lowers them)."""

    def begin(self) -> BeamSearch:
        return BeamSearch(self)

    def masks(self, classes: int) -> tuple[np.ndarray, list[int]]:
        """For frames of ``classes`` outputs: what to add before choosing candidates (-inf for
        the silent units), and the silent units' ids. A tokenizer may name special tokens past
        the model's outputs; a model with outputs the vocabulary does not name is refused."""
        if classes > len(self._excluded):
            raise ValueError(f"frames of {classes} classes, but the vocabulary names {len(self._excluded)}")
        return self._excluded[:classes], [i for i in self._silent if i < classes]

    def child(self, prefix: Prefix, unit: int, needed: float = NEG_INF) -> Prefix | None:
        """The prefix extended by ``unit``, or None if the unit may not follow (remembered) or
        if the extension would add less than ``needed`` to the prefix's extras (not made)."""
        shape = NEXT_SHAPE[prefix.shape].get(self.classes[unit])
        if shape is None:
            prefix.children[unit] = None
            return None
        extra, lm_state, hot = self.settings.insertion_bonus, prefix.lm, prefix.hot
        if self.lm is not None:
            lp, lm_state = self.lm.score(prefix.lm, self.lm_ids[unit])
            extra += self.settings.lm_weight * lp
        if self.hotwords is not None:
            bonus, hot = self.hotwords.step(prefix.hot, unit)
            extra += bonus
        if extra < needed:
            return None
        child = prefix.children[unit] = Prefix(prefix, unit, prefix.extra + extra, lm_state, hot, shape)
        return child

    def end_score(self, prefix: Prefix) -> float:
        """What ending the utterance after ``prefix`` adds: the LM's end of sentence and the
        custom-word score a half-matched word gives back."""
        score = 0.0
        if self.lm is not None:
            score += self.settings.lm_weight * self.lm.end(prefix.lm)
        if self.hotwords is not None:
            score += self.hotwords.finalize(prefix.hot)
        return score

    def text(self, prefix: Prefix, entry: Entry) -> Decoded:
        """The text of ``prefix`` with the times and confidences of ``entry``'s path; an initial
        still waiting for its vowel is left out."""
        units: list[tuple[int, int, int, float]] = []
        if prefix.unit >= 0 and prefix.shape != AFTER_L:
            units.append((prefix.unit, entry[3], entry[4], entry[5] / max(entry[6], 1)))
        spans = entry[2]
        while spans is not None:
            spans, unit, start, end, conf = spans
            units.append((unit, start, end, conf))
        units.reverse()
        table = self.tokens.id_to_token
        named: Sequence[tuple[str, int, int, float]] = [(table[u], a, b, c) for u, a, b, c in units]
        return compose_spans(named, self.frame_s, self.tokens.word_delimiter)
