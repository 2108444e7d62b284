"""Interpolated modified Kneser-Ney n-gram estimation, written as an ARPA file.

Pure Python (no lmplz needed): counts of every order, continuation ("adjusted") counts for
the lower orders as in Chen & Goodman (1998) and KenLM's lmplz, three discounts per order
from the counts of counts, interpolation down to a uniform distribution over the
vocabulary, which gives ``<unk>`` a real probability. Count pruning moves the pruned mass
into the backoff weights, which are computed so that every distribution still sums to one.

Sentences are lists of unit strings; ``<s>`` and ``</s>`` are added here.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from livekr.fileio import write_atomic
from livekr.lm import BOS, EOS, UNK

log = logging.getLogger(__name__)

Gram = tuple[int, ...]
FALLBACK_DISCOUNTS = (0.5, 1.0, 1.5)
"""Discounts for counts 1, 2 and 3+ where the counts of counts cannot give them (tiny texts);
the same as lmplz's ``--discount_fallback``."""
BOS_LOG10_PROB = -99.0
"""ARPA's conventional probability of ``<s>``, which is never predicted."""


@dataclass
class Counts:
    """Raw n-gram counts of every order (``grams[n - 1]`` holds the n-grams) over unit ids."""

    order: int
    units: list[str]
    """Id → unit; ids 0, 1, 2 are ``<unk>``, ``<s>``, ``</s>``."""
    grams: list[Counter[Gram]]
    sentences: int = 0
    tokens: int = 0
    """Units counted, ``</s>`` included."""

    @classmethod
    def empty(cls, order: int) -> Counts:
        if order < 1:
            raise ValueError(f"the order must be at least 1, got {order}")
        return cls(order, [UNK, BOS, EOS], [Counter() for _ in range(order)])

    def add(self, sentence: Sequence[str], ids: dict[str, int]) -> None:
        """Count one sentence of units (``ids`` maps units to ids and grows with ``units``)."""
        seq = [1]
        for unit in sentence:
            index = ids.get(unit)
            if index is None:
                index = ids[unit] = len(self.units)
                self.units.append(unit)
            seq.append(index)
        seq.append(2)
        for n in range(1, self.order + 1):
            counter = self.grams[n - 1]
            for i in range(len(seq) - n + 1):
                counter[tuple(seq[i:i + n])] += 1
        self.sentences += 1
        self.tokens += len(seq) - 1


def count(sentences: Iterable[Sequence[str]], order: int) -> Counts:
    """Counts of every n-gram up to ``order`` in ``sentences``."""
    counts = Counts.empty(order)
    ids = {unit: i for i, unit in enumerate(counts.units)}
    for sentence in sentences:
        counts.add(sentence, ids)
    return counts


def adjusted_counts(counts: Counts) -> list[Counter[Gram]]:
    """Kneser-Ney counts: raw counts at the highest order and for n-grams that start with
    ``<s>``; elsewhere the number of distinct units seen just before the n-gram."""
    adjusted: list[Counter[Gram]] = [Counter() for _ in range(counts.order)]
    adjusted[-1] = counts.grams[-1]
    for n in range(counts.order - 1, 0, -1):
        lower: Counter[Gram] = Counter()
        for gram in counts.grams[n]:
            lower[gram[1:]] += 1
        for gram, c in counts.grams[n - 1].items():
            if gram[0] == 1:
                lower[gram] = c
        adjusted[n - 1] = lower
    return adjusted


def discounts(adjusted: Counter[Gram]) -> tuple[float, float, float]:
    """Modified Kneser-Ney discounts (D1, D2, D3+) from the counts of counts of one order."""
    of = Counter(min(c, 4) for c in adjusted.values())
    t1, t2, t3, t4 = of[1], of[2], of[3], of[4]
    if 0 in (t1, t2, t3, t4):
        return FALLBACK_DISCOUNTS
    y = t1 / (t1 + 2 * t2)
    found = (1 - 2 * y * t2 / t1, 2 - 3 * y * t3 / t2, 3 - 4 * y * t4 / t3)
    if not all(0 < d < k for k, d in enumerate(found, start=1)):
        return FALLBACK_DISCOUNTS
    return found


@dataclass
class Estimate:
    """An estimated model: ``probs[n - 1]`` and ``backoffs[n - 1]`` map n-grams to probabilities
    and backoff weights (plain, not logs)."""

    units: list[str]
    probs: list[dict[Gram, float]]
    backoffs: list[dict[Gram, float]]
    discounts: list[tuple[float, float, float]]


def _context_stats(adjusted: Counter[Gram], skip: Gram | None = None) -> dict[Gram, list[float]]:
    """Per context: [total adjusted count, how many follow once, twice, three times or more]."""
    stats: dict[Gram, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for gram, c in adjusted.items():
        if gram == skip:
            continue
        row = stats[gram[:-1]]
        row[0] += c
        row[min(c, 3)] += 1
    return stats


def _gamma(row: list[float], d: tuple[float, float, float]) -> float:
    return (d[0] * row[1] + d[1] * row[2] + d[2] * row[3]) / row[0]


def estimate(counts: Counts) -> Estimate:
    """Interpolated modified Kneser-Ney probabilities of every counted n-gram."""
    adjusted = adjusted_counts(counts)
    disc = [discounts(a) for a in adjusted]
    probs: list[dict[Gram, float]] = []
    gammas: list[dict[Gram, float]] = []
    for n in range(1, counts.order + 1):
        d = disc[n - 1]
        stats = _context_stats(adjusted[n - 1], skip=(1,) if n == 1 else None)
        gamma = {h: _gamma(row, d) for h, row in stats.items()}
        level: dict[Gram, float] = {}
        if n == 1:
            vocab = len(counts.units) - 1  # every unit but <s>, <unk> included
            uniform = gamma[()] / vocab
            for gram, c in adjusted[0].items():
                if gram != (1,):
                    level[gram] = (c - d[min(c, 3) - 1]) / stats[()][0] + uniform
            level.setdefault((0,), uniform)
        else:
            lower = probs[n - 2]
            for gram, c in adjusted[n - 1].items():
                h = gram[:-1]
                level[gram] = (c - d[min(c, 3) - 1]) / stats[h][0] + gamma[h] * lower[gram[1:]]
        probs.append(level)
        gammas.append(gamma)
    backoffs = [{h: g for h, g in gammas[n].items()} for n in range(1, counts.order)]
    return Estimate(counts.units, probs, [*backoffs, {}], disc)


def prune(model: Estimate, counts: Counts, thresholds: Sequence[int]) -> Estimate:
    """Drop n-grams of order n >= 2 whose adjusted count is at most ``thresholds[n - 1]``
    (n-grams another kept one needs as its context or suffix stay), and recompute the
    backoff weights so that every distribution sums to one again."""
    order = counts.order
    if len(thresholds) != order or any(t < 0 for t in thresholds) or thresholds[0] != 0:
        raise ValueError(f"pruning needs {order} thresholds, the first 0 (unigrams are kept), none "
                         f"negative; got {list(thresholds)}")
    adjusted = adjusted_counts(counts)
    keep = [set(model.probs[0])]
    for n in range(2, order + 1):
        keep.append({g for g, c in adjusted[n - 1].items() if c > thresholds[n - 1]})
    for n in range(order, 2, -1):
        for gram in keep[n - 1]:
            keep[n - 2].add(gram[:-1])
            keep[n - 2].add(gram[1:])
    probs = [{g: p for g, p in level.items() if g in kept} for level, kept in zip(model.probs, keep,
                                                                                    strict=True)]
    backoffs: list[dict[Gram, float]] = [{} for _ in range(order)]
    for n in range(2, order + 1):
        mass: dict[Gram, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for gram in probs[n - 1]:
            row = mass[gram[:-1]]
            row[0] += probs[n - 1][gram]
            row[1] += probs[n - 2][gram[1:]]
        for h, (here, below) in mass.items():
            backoffs[n - 2][h] = max(1.0 - here, 1e-12) / max(1.0 - below, 1e-12)
    return Estimate(model.units, probs, backoffs, model.discounts)


def _log10(p: float) -> str:
    return f"{math.log10(p):.6f}" if p > 0 else "-99"


def arpa_text(model: Estimate) -> str:
    """The model as an ARPA file (units as words; log10 probabilities and backoffs)."""
    units = model.units
    order = len(model.probs)
    lines = ["\\data\\"]
    bos_in_unigrams = 1  # <s> is written with the conventional -99
    for n, level in enumerate(model.probs, start=1):
        lines.append(f"ngram {n}={len(level) + (bos_in_unigrams if n == 1 else 0)}")
    for n, level in enumerate(model.probs, start=1):
        lines += ["", f"\\{n}-grams:"]
        entries = dict(level)
        if n == 1:
            entries[(1,)] = 10.0 ** BOS_LOG10_PROB
        backoff = model.backoffs[n - 1] if n < order else {}
        for gram in sorted(entries, key=lambda g: [units[i] for i in g]):
            words = " ".join(units[i] for i in gram)
            p = f"{BOS_LOG10_PROB:.1f}" if gram == (1,) else _log10(entries[gram])
            b = backoff.get(gram)
            lines.append(f"{p}\t{words}" + ("" if b is None else f"\t{_log10(b)}"))
    lines += ["", "\\end\\", ""]
    return "\n".join(lines)


def write_arpa(path: str | Path, model: Estimate, progress: Callable[[str], None] | None = None) -> int:
    """Write ``model`` to ``path`` atomically; returns the file's size in bytes."""
    if progress:
        progress(f"writing {sum(len(level) for level in model.probs):,} n-grams to {path}")
    text = arpa_text(model)
    write_atomic(path, text)
    return len(text.encode("utf-8"))
