"""Token-level n-gram language models in ARPA format: reading them and scoring with them.

The model's own units (syllables or jamo, the word delimiter ``|`` among them) are the
"words" of the ARPA file, so spacing is modelled too. ``livekr-train lm`` writes such files;
any ARPA file over the same units works. Standard library only.

Scores are natural logarithms (ARPA stores log10), so they add to CTC log-posteriors.
A state is the tuple of the last unit ids that matter for the next score (at most
``order - 1``, shortened to the longest suffix the model can extend), so equal histories
share one state and scores can be cached by ``(state, unit)``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

UNK = "<unk>"
BOS = "<s>"
EOS = "</s>"
LN_10 = math.log(10.0)

State = tuple[int, ...]
MAX_CACHED_SCORES = 1_000_000
"""Scores kept for reuse; past this the cache starts again, so memory stays bounded over a
long session with a large model."""


class LanguageModelError(Exception):
    """An LM file cannot be read; the message names the file, the line and what to do."""


@dataclass
class NgramModel:
    """A backoff n-gram model (ARPA semantics), scored in natural logs.

    ``probs`` and ``backoffs`` map id tuples (oldest first) to natural-log values. Used by
    one thread at a time: ``score`` fills a cache.
    """

    order: int
    vocab: dict[str, int]
    """Unit → id; ``<unk>``, ``<s>`` and ``</s>`` always present."""
    probs: dict[State, float]
    backoffs: dict[State, float]
    _extendable: set[State] = field(default_factory=set, repr=False)
    _cache: dict[tuple[State, int], tuple[float, State]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._extendable = {gram[:-1] for gram in self.probs if len(gram) > 1}

    @property
    def unk_id(self) -> int:
        return self.vocab[UNK]

    def id_of(self, unit: str) -> int:
        """The id of ``unit``, or of ``<unk>`` when the model never saw it."""
        return self.vocab.get(unit, self.vocab[UNK])

    def begin(self) -> State:
        """The state at the start of a sentence (after ``<s>``)."""
        return self._shorten((self.vocab[BOS],))

    def score(self, state: State, unit_id: int) -> tuple[float, State]:
        """(natural-log probability of ``unit_id`` after ``state``, the state after it)."""
        key = (state, unit_id)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        context, penalty = state, 0.0
        while True:
            prob = self.probs.get((*context, unit_id))
            if prob is not None or not context:
                break
            penalty += self.backoffs.get(context, 0.0)
            context = context[1:]
        if prob is None:  # a unit with no unigram: only <s> (never predicted)
            prob = self.probs[(self.unk_id,)]
        result = (penalty + prob, self._shorten((*context, unit_id)))
        if len(self._cache) >= MAX_CACHED_SCORES:
            self._cache.clear()
        self._cache[key] = result
        return result

    def end(self, state: State) -> float:
        """Natural-log probability of the sentence ending after ``state``."""
        return self.score(state, self.vocab[EOS])[0]

    def _shorten(self, history: State) -> State:
        history = history[-(self.order - 1):] if self.order > 1 else ()
        while history and history not in self._extendable:
            history = history[1:]
        return history

    def sentence_score(self, units: list[str]) -> float:
        """Natural-log probability of a whole sentence of units (``</s>`` included)."""
        state, total = self.begin(), 0.0
        for unit in units:
            lp, state = self.score(state, self.id_of(unit))
            total += lp
        return total + self.end(state)


def _header_count(line: str, number: int, path: Path) -> tuple[int, int]:
    try:
        n, count = line[len("ngram "):].split("=")
        return int(n), int(count)
    except ValueError as e:
        raise LanguageModelError(f"{path}:{number}: bad header line {line!r}") from e


def _ngram_lines(lines: Iterator[tuple[int, str]], path: Path, counts: dict[int, int]
                 ) -> Iterator[tuple[int, int, list[str]]]:
    """(order, line number, fields) of every n-gram line after ``\\data\\``; the header's
    ``ngram N=count`` lines go into ``counts``."""
    order = 0
    for number, raw in lines:
        line = raw.strip()
        if not line:
            continue
        if order == 0 and line.startswith("ngram "):
            n, count = _header_count(line, number, path)
            counts[n] = count
        elif line == "\\end\\":
            return
        elif line.startswith("\\") and line.endswith("-grams:"):
            try:
                order = int(line[1:].split("-")[0])
            except ValueError as e:
                raise LanguageModelError(f"{path}:{number}: bad section header {line!r}") from e
            if order not in counts:
                raise LanguageModelError(f"{path}:{number}: {line} is not announced in the header")
        elif order == 0 or line.startswith("\\"):
            raise LanguageModelError(f"{path}:{number}: unexpected line {line[:60]!r}")
        else:
            yield order, number, line.split()


def read_arpa(path: str | Path) -> NgramModel:
    """Read an ARPA file. Raises ``LanguageModelError`` for anything that is not one.

    A file without ``<unk>`` gets one with the probability of its rarest unit (logged), so
    units it never saw are unlikely but possible rather than forbidden.
    """
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as f:
            return _parse(enumerate(f, start=1), path)
    except OSError as e:
        raise LanguageModelError(f"cannot read the language model {path}: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise LanguageModelError(f"{path} is not a UTF-8 text ARPA file ({e.reason}); give the .arpa file "
                                 "that livekr-train lm wrote") from e


def _parse(lines: Iterator[tuple[int, str]], path: Path) -> NgramModel:
    for number, raw in lines:
        if raw.strip() == "\\data\\":
            break
        if raw.strip():
            raise LanguageModelError(f"{path}:{number}: not an ARPA file (no \\data\\ header); give the "
                                     ".arpa file that livekr-train lm wrote")
    else:
        raise LanguageModelError(f"{path} is empty or has no \\data\\ header; it is not an ARPA file")
    expected: dict[int, int] = {}
    vocab: dict[str, int] = {}
    probs: dict[State, float] = {}
    backoffs: dict[State, float] = {}
    seen: dict[int, int] = {}
    for order, number, fields in _ngram_lines(lines, path, expected):
        if len(fields) not in (order + 1, order + 2):
            raise LanguageModelError(f"{path}:{number}: a {order}-gram line with {len(fields)} fields")
        try:
            prob = float(fields[0]) * LN_10
            backoff = float(fields[order + 1]) * LN_10 if len(fields) == order + 2 else None
        except ValueError as e:
            raise LanguageModelError(f"{path}:{number}: not a number in {' '.join(fields)!r}") from e
        gram = tuple(vocab.setdefault(w, len(vocab)) for w in fields[1:order + 1])
        probs[gram] = prob
        if backoff is not None:
            backoffs[gram] = backoff
        seen[order] = seen.get(order, 0) + 1
    for n, count in expected.items():
        if seen.get(n, 0) != count:
            raise LanguageModelError(f"{path}: the header announces {count} {n}-grams but {seen.get(n, 0)} "
                                     "follow; the file is truncated or damaged")
    if not expected or not probs:
        raise LanguageModelError(f"{path} holds no n-grams")
    for special in (BOS, EOS):
        vocab.setdefault(special, len(vocab))
    if UNK not in vocab:
        bos = vocab[BOS]
        rarest = min(p for gram, p in probs.items() if len(gram) == 1 and gram[0] != bos)
        log.warning("%s has no <unk> entry: units it never saw get the probability of its rarest unit "
                    "(%.1f); livekr-train lm writes one", path, rarest / LN_10)
        probs[(vocab.setdefault(UNK, len(vocab)),)] = rarest
    return NgramModel(max(expected), vocab, probs, backoffs)
