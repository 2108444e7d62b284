"""CTC decoding: best path, collapsing to text with per-character times and confidences.

Pure numpy (no torch, no transformers), so the decoder can be used and tested apart from
any model: the recognizer feeds it a model's log-posteriors, the trainer its best-path ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from livekr.text import WORD_DELIMITER, compose_units
from livekr.transcript import CharSpan


def best_path(log_probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(best id, its probability) per frame of (frames, vocab) log-posteriors."""
    ids = np.argmax(log_probs, axis=1)
    return ids, np.exp(log_probs[np.arange(ids.size), ids])


def greedy_decode(
    log_probs: np.ndarray,
    id_to_token: Sequence[str],
    blank_id: int,
    frame_s: float,
    skip_ids: frozenset[int] = frozenset(),
    word_delimiter: str = WORD_DELIMITER,
) -> tuple[str, tuple[CharSpan, ...]]:
    """Best-path CTC decoding of (frames, vocab) log-posteriors; see ``collapse``."""
    if log_probs.ndim != 2 or log_probs.shape[0] == 0:
        return "", ()
    ids, probs = best_path(log_probs)
    return collapse(ids, probs, id_to_token, blank_id, frame_s, skip_ids, word_delimiter)


def collapse(
    ids: np.ndarray,
    probs: np.ndarray | None,
    id_to_token: Sequence[str],
    blank_id: int,
    frame_s: float,
    skip_ids: frozenset[int] = frozenset(),
    word_delimiter: str = WORD_DELIMITER,
) -> tuple[str, tuple[CharSpan, ...]]:
    """Text with per-character times and confidences from the best id of each frame.

    Repeated ids collapse; ``blank_id``, negative ids (padding) and ``skip_ids`` (unknown
    and other special tokens) are dropped; the word delimiter becomes a space; conjoining
    jamo are composed into syllables (a syllable spans the frames of its jamo and takes
    their lowest confidence). Times are seconds from the audio start; without ``probs``
    every confidence is 1.
    """
    if ids.size == 0:
        return "", ()
    change = np.flatnonzero(np.diff(ids)) + 1
    starts = np.concatenate(([0], change))
    ends = np.concatenate((change, [ids.size]))
    units: list[tuple[str, int, int, float]] = []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        token_id = int(ids[start])
        if token_id == blank_id or token_id < 0 or token_id in skip_ids:
            continue
        conf = 1.0 if probs is None else float(probs[start:end].mean())
        units.append((id_to_token[token_id], start, end, conf))
    decoded = compose_spans(units, frame_s, word_delimiter)
    return decoded.text, decoded.chars


@dataclass(frozen=True)
class TokenTable:
    """What greedy decoding needs to know of a CTC tokenizer."""

    id_to_token: tuple[str, ...]
    blank_id: int
    skip_ids: frozenset[int]
    word_delimiter: str

    @classmethod
    def from_tokenizer(cls, tokenizer: Any) -> TokenTable:
        """The table of a Hugging Face CTC tokenizer (anything with ``get_vocab``,
        ``pad_token_id``, ``all_special_ids`` and optionally ``word_delimiter_token``)."""
        vocab = tokenizer.get_vocab()
        table = [""] * (max(vocab.values(), default=-1) + 1)
        for token, index in vocab.items():
            table[index] = token
        blank = int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0)
        delimiter = getattr(tokenizer, "word_delimiter_token", None) or WORD_DELIMITER
        # the word delimiter counts as a special token in some tokenizers, but it is a space
        keep = {blank, vocab.get(delimiter)}
        skip = frozenset(int(i) for i in tokenizer.all_special_ids if int(i) not in keep)
        return cls(tuple(table), blank, skip, delimiter)

    def decode(self, log_probs: np.ndarray, frame_s: float) -> tuple[str, tuple[CharSpan, ...]]:
        """Greedy decoding of (frames, vocab) log-posteriors."""
        return greedy_decode(
            log_probs, self.id_to_token, self.blank_id, frame_s, self.skip_ids, self.word_delimiter
        )

    def decode_ids(self, ids: np.ndarray) -> str:
        """Text of a best-path id sequence (negative ids are padding)."""
        return collapse(ids, None, self.id_to_token, self.blank_id, 0.0, self.skip_ids, self.word_delimiter)[
            0
        ]


def mean_confidence(chars: Sequence[CharSpan]) -> float:
    """The mean confidence of ``chars``, 0 when there are none."""
    return float(np.mean([c.confidence for c in chars])) if chars else 0.0


def vocabulary_problem(tokens: TokenTable, outputs: int) -> str | None:
    """Why ``tokens`` cannot name the ``outputs`` classes of a CTC head, or None if it can.

    Every output id must have a token, or decoding fails or silently drops what the model
    says. Tokens past the outputs are allowed only when special (a tokenizer may add
    ``<s>``/``</s>`` that the model never emits); ordinary ones mean that the vocabulary
    belongs to another model.
    """
    named = sum(1 for token in tokens.id_to_token[:outputs] if token)
    if named < outputs:
        return f"its vocabulary names {named} of the model's {outputs} outputs"
    if tokens.blank_id >= outputs:
        return f"its blank token (id {tokens.blank_id}) is not among the model's {outputs} outputs"
    table = tokens.id_to_token
    extra = [i for i in range(outputs, len(table)) if table[i] and i not in tokens.skip_ids]
    if extra:
        return (
            f"its vocabulary has {len(table)} tokens ({len(extra)} of them ordinary) "
            f"for the model's {outputs} outputs"
        )
    return None


@dataclass(frozen=True)
class Decoded:
    """The text of (part of) an utterance."""

    text: str
    chars: tuple[CharSpan, ...]
    """One entry per non-space character of ``text``, times from the utterance start."""

    @property
    def confidence(self) -> float:
        return mean_confidence(self.chars)


def compose_spans(
    units: Sequence[tuple[str, int, int, float]], frame_s: float, word_delimiter: str = WORD_DELIMITER
) -> Decoded:
    """Text from decoded units, each ``(token, first frame, end frame, confidence)``: the word
    delimiter becomes a space (never doubled, none at the edges), conjoining jamo compose into
    syllables (spanning the frames of their jamo, with the lowest confidence among them)."""
    chars_in: list[str] = []
    spans: list[tuple[int, int, float]] = []
    for token, start, end, conf in units:
        for ch in " " if token == word_delimiter else token:
            chars_in.append(ch)
            spans.append((start, end, conf))
    text_chars: list[str] = []
    chars: list[CharSpan] = []
    for ch, sources in compose_units(chars_in):
        if ch.isspace():
            if text_chars and text_chars[-1] != " ":
                text_chars.append(" ")
            continue
        first, last = spans[sources[0]], spans[sources[-1]]
        text_chars.append(ch)
        chars.append(CharSpan(ch, first[0] * frame_s, last[1] * frame_s, min(spans[i][2] for i in sources)))
    return Decoded("".join(text_chars).strip(), tuple(chars))


class GreedyStream:
    """Best-path decoding fed block by block (the same text as ``TokenTable.decode`` on all the
    frames at once). Used by one thread."""

    def __init__(self, tokens: TokenTable, frame_s: float) -> None:
        self._tokens = tokens
        self._frame_s = frame_s
        self._ids: list[np.ndarray] = []
        self._probs: list[np.ndarray] = []

    def step(self, log_probs: np.ndarray) -> None:
        """Take the next (frames × classes) log-posteriors of the utterance."""
        if log_probs.ndim == 2 and log_probs.shape[0]:
            ids, probs = best_path(log_probs)
            self._ids.append(ids)
            self._probs.append(probs)

    def _decode(self, ids: list[np.ndarray], probs: list[np.ndarray]) -> Decoded:
        if not ids:
            return Decoded("", ())
        t = self._tokens
        text, chars = collapse(np.concatenate(ids), np.concatenate(probs), t.id_to_token, t.blank_id,
                               self._frame_s, t.skip_ids, t.word_delimiter)
        return Decoded(text, chars)

    def partial(self, provisional: np.ndarray | None = None) -> Decoded:
        """The text so far, with ``provisional`` frames on top (not kept)."""
        ids, probs = list(self._ids), list(self._probs)
        if provisional is not None and provisional.ndim == 2 and provisional.shape[0]:
            more_ids, more_probs = best_path(provisional)
            ids.append(more_ids)
            probs.append(more_probs)
        return self._decode(ids, probs)

    def end(self, tail: np.ndarray | None = None) -> Decoded:
        """Add the last frames and return the utterance's text."""
        if tail is not None:
            self.step(tail)
        return self._decode(self._ids, self._probs)
