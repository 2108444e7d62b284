"""Synthetic CTC log-posteriors of known text, with confusions, for decoder measurements.

Each unit of the text is emitted for a few frames followed by blanks; with probability
``confusion`` another unit wins the unit's frames and the true one comes second (as in a
model that hesitates), so a language model or a custom word can repair it.
"""

from __future__ import annotations

import numpy as np


def posteriors(unit_ids: list[int], classes: int, blank: int, rng: np.random.Generator,
               confusion: float = 0.2, confusable: list[int] | None = None,
               focus: range = range(0), focus_confusion: float = 0.5) -> np.ndarray:
    """(frames × classes) log-posteriors spelling ``unit_ids``; the mass left over in a frame
    goes to the other classes through random logits (heavy-tailed, as a trained model's). Units
    at the positions in ``focus`` are confused with probability ``focus_confusion`` instead."""
    pool = np.array(confusable if confusable is not None else [i for i in range(classes) if i != blank])
    rows = []
    for _ in range(int(rng.integers(2, 6))):
        rows.append(_frame(classes, {blank: 0.97}, rng))
    for position, unit in enumerate(unit_ids):
        emitted = unit
        if rng.random() < (focus_confusion if position in focus else confusion):
            emitted = int(rng.choice(pool))
        peak = float(rng.uniform(0.5, 0.95))
        probs = {emitted: peak} if emitted == unit else {emitted: peak * 0.6, unit: peak * 0.4}
        for _ in range(int(rng.integers(1, 3))):
            rows.append(_frame(classes, probs, rng))
        for _ in range(int(rng.integers(1, 4))):
            rows.append(_frame(classes, {blank: float(rng.uniform(0.6, 0.99))}, rng))
    return np.log(np.stack(rows)).astype(np.float32)


def _frame(classes: int, probs: dict[int, float], rng: np.random.Generator) -> np.ndarray:
    rest = max(1e-6, 1.0 - sum(probs.values()))
    logits = rng.normal(0.0, 2.5, classes)
    row = rest * np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    for i, p in probs.items():
        row[i] += p
    return row / row.sum()
