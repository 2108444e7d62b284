"""Character and word error rates on normalised Korean text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jiwer

from livekr.text import normalize


@dataclass(frozen=True)
class ErrorRates:
    """Error rates as fractions (0.0345 is 3.45 %)."""

    cer: float
    """Character edits / reference characters, spaces included (as Hugging Face's `cer`)."""
    wer: float
    utterances: int


def error_rates(references: Sequence[str], hypotheses: Sequence[str]) -> ErrorRates:
    """CER and WER over whole lists after ``livekr.text.normalize``.

    Empty references are left out (they have no rate); an empty hypothesis counts every
    reference character as deleted.
    """
    if len(references) != len(hypotheses):
        raise ValueError(f"{len(references)} references but {len(hypotheses)} hypotheses")
    pairs = [(normalize(r), normalize(h)) for r, h in zip(references, hypotheses, strict=True)]
    pairs = [(r, h) for r, h in pairs if r]
    if not pairs:
        raise ValueError("no non-empty references to score")
    refs, hyps = [r for r, _ in pairs], [h for _, h in pairs]
    return ErrorRates(
        cer=float(jiwer.cer(refs, hyps)), wer=float(jiwer.wer(refs, hyps)), utterances=len(pairs)
    )
