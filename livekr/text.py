"""Korean transcript text: the versioned normaliser, vocabularies and jamo composition.

Standard library only; the trainer uses the same functions so training labels and
recognised text are always treated alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Literal

NORMALISER_VERSION = 1
"""Bumped whenever ``normalize`` changes its output; recorded in every checkpoint card."""

PAD_TOKEN = "[PAD]"
UNK_TOKEN = "[UNK]"
WORD_DELIMITER = "|"
SPECIAL_TOKENS = (PAD_TOKEN, UNK_TOKEN, WORD_DELIMITER)

VocabKind = Literal["syllable", "jamo"]
DualSpelling = Literal["pronunciation", "spelling"]

# Hangul syllable arithmetic (Unicode 3.12): S = S_BASE + (L * V_COUNT + V) * T_COUNT + T.
S_BASE, S_LAST = 0xAC00, 0xD7A3
L_BASE, V_BASE, T_BASE = 0x1100, 0x1161, 0x11A7
L_COUNT, V_COUNT, T_COUNT = 19, 21, 28

# Compatibility jamo that stand in for conjoining jamo which cannot form a syllable.
_L_COMPAT = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_V_COMPAT = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_T_COMPAT = "ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"

_DUAL_SPELLING = re.compile(r"\(([^()]*)\)\s*/\s*\(([^()]*)\)")
_KSPON_TAG = re.compile(r"(?<![0-9A-Za-z])[bnlou]/")
_MARKUP = re.compile(r"\[[^\]]*\]|<[^>]*>|\{[^}]*\}")
_NOT_KEPT = re.compile(r"[^\uAC00-\uD7A3a-z0-9\s]")
_SPACES = re.compile(r"\s+")


def normalize(text: str, dual: DualSpelling = "pronunciation") -> str:
    """Return ``text`` as livekr compares and trains on it (version ``NORMALISER_VERSION``).

    NFC; KsponSpeech dual transcriptions ``(spelling)/(pronunciation)`` reduced to one side;
    KsponSpeech noise tags (``o/ n/ b/ l/ u/``) and bracketed markup (``[noise]``,
    ``<unk>``, ``{laugh}``) removed; Latin letters lower-cased; every character that is not
    a Hangul syllable, a Latin letter or a digit becomes a space; spaces collapsed.
    """
    t = unicodedata.normalize("NFC", text)
    side = 2 if dual == "pronunciation" else 1
    t = _DUAL_SPELLING.sub(lambda m: m.group(side), t)
    t = _KSPON_TAG.sub(" ", t)
    t = _MARKUP.sub(" ", t)
    t = t.lower()
    t = _NOT_KEPT.sub(" ", t)
    return _SPACES.sub(" ", t).strip()


def decompose_jamo(text: str) -> str:
    """Split every Hangul syllable into conjoining jamo (U+1100 block); other text is kept."""
    out = []
    for ch in text:
        code = ord(ch)
        if S_BASE <= code <= S_LAST:
            index = code - S_BASE
            out.append(chr(L_BASE + index // (V_COUNT * T_COUNT)))
            out.append(chr(V_BASE + (index % (V_COUNT * T_COUNT)) // T_COUNT))
            if index % T_COUNT:
                out.append(chr(T_BASE + index % T_COUNT))
        else:
            out.append(ch)
    return "".join(out)


def _jamo_class(ch: str) -> str:
    code = ord(ch)
    if L_BASE <= code < L_BASE + L_COUNT:
        return "L"
    if V_BASE <= code < V_BASE + V_COUNT:
        return "V"
    if T_BASE < code < T_BASE + T_COUNT:
        return "T"
    return ""


def _orphan(ch: str) -> str:
    """A conjoining jamo that forms no syllable, as its compatibility jamo."""
    cls, code = _jamo_class(ch), ord(ch)
    if cls == "L":
        return _L_COMPAT[code - L_BASE]
    if cls == "V":
        return _V_COMPAT[code - V_BASE]
    if cls == "T":
        return _T_COMPAT[code - T_BASE - 1]
    return ch


def compose_units(units: Sequence[str]) -> list[tuple[str, tuple[int, ...]]]:
    """Compose a sequence of characters, some of them conjoining jamo, into syllables.

    Returns one ``(character, source_indices)`` pair per output character, where
    ``source_indices`` are the positions in ``units`` it was made from, so timings and
    confidences of jamo can be carried to syllables. An initial followed by a medial (and
    optionally a final) becomes one syllable; a jamo that cannot join becomes its
    compatibility jamo (ㄱ, ㅏ); anything else passes through unchanged.
    """
    out: list[tuple[str, tuple[int, ...]]] = []
    i, n = 0, len(units)
    while i < n:
        if _jamo_class(units[i]) == "L" and i + 1 < n and _jamo_class(units[i + 1]) == "V":
            lead, vowel = ord(units[i]) - L_BASE, ord(units[i + 1]) - V_BASE
            used: tuple[int, ...] = (i, i + 1)
            tail = 0
            if i + 2 < n and _jamo_class(units[i + 2]) == "T":
                tail, used = ord(units[i + 2]) - T_BASE, (i, i + 1, i + 2)
            out.append((chr(S_BASE + (lead * V_COUNT + vowel) * T_COUNT + tail), used))
            i += len(used)
        else:
            out.append((_orphan(units[i]), (i,)))
            i += 1
    return out


def compose_jamo(text: str) -> str:
    """Compose conjoining jamo in ``text`` back into Hangul syllables (see ``compose_units``)."""
    return "".join(ch for ch, _ in compose_units(text))


def to_units(text: str, kind: VocabKind) -> str:
    """Turn normalised text into the label string a tokenizer of ``kind`` spells out."""
    if kind == "jamo":
        return decompose_jamo(text)
    if kind == "syllable":
        return text
    raise ValueError(f"unknown vocabulary kind {kind!r}; use 'syllable' or 'jamo'")


def build_vocab(texts: Iterable[str], kind: VocabKind) -> dict[str, int]:
    """Build a CTC vocabulary (token → id) from normalised texts.

    Ids 0, 1, 2 are ``[PAD]`` (the CTC blank), ``[UNK]`` and the word delimiter ``|``;
    the characters of ``to_units(text, kind)`` follow in code-point order. Spaces are not
    tokens: the tokenizer writes them as ``|``.
    """
    chars: set[str] = set()
    for text in texts:
        chars.update(to_units(text, kind))
    chars.discard(" ")
    vocab = {tok: i for i, tok in enumerate(SPECIAL_TOKENS)}
    for ch in sorted(chars):
        vocab.setdefault(ch, len(vocab))
    return vocab


def vocab_kind(tokens: Iterable[str]) -> VocabKind:
    """Guess whether a vocabulary spells syllables or jamo from its single-character tokens."""
    jamo = syllables = 0
    for tok in tokens:
        if len(tok) != 1:
            continue
        if _jamo_class(tok):
            jamo += 1
        elif S_BASE <= ord(tok) <= S_LAST:
            syllables += 1
    return "jamo" if jamo > syllables else "syllable"


def is_korean(text: str) -> bool:
    """True when ``text`` holds at least one Hangul syllable."""
    return any(S_BASE <= ord(ch) <= S_LAST for ch in text)
