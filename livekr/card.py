"""The ``livekr.json`` model card: what a checkpoint was trained on and how well it does.

The trainer writes it beside the weights (``training_card`` then ``write_card``); the app
reads it (``read_card``) for the Model menu and ``livekr models`` (``describe_card``: its lines in
English or Korean, from ``livekr.catalogue``). A card is a JSON object; readers tolerate missing
and unknown keys, so the facts livekr keeps about published hub models (size, architecture, note)
share the same shape. Standard library and ``livekr.messages`` only.

Keys the trainer writes:
    base_model, preset, vocab_kind, normaliser_version, train_data, eval_data (what was
    scored, in words), train_utterances, eval_utterances, skipped (reason → count),
    cer, wer (percent, two decimals, or null when nothing was scored; greedy decoding), date (ISO).
``livekr-train lm`` adds:
    lm: {file (relative to the card's folder, or absolute), format, order, units, sources,
    sentences, tokens, ngrams (per order), prune, size_bytes, normaliser_version, date}.
``livekr-eval`` adds:
    scores: a list of {manifest, utterances, decoder (its settings: kind "greedy" or "beam",
    and for beam the LM, weights, beam size, custom words), cer, cer_nospace, wer, date}, one
    per manifest and decoder settings.
"""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from livekr.fileio import write_atomic
from livekr.messages import Message

log = logging.getLogger(__name__)

CARD_NAME = "livekr.json"

CARD_LABELS = (
    ("base_model", "card.base_model"),
    ("architecture", "card.architecture"),
    ("preset", "card.preset"),
    ("vocab_kind", "card.vocab_kind"),
    ("normaliser_version", "card.normaliser"),
    ("normalizer_version", "card.normaliser"),
    ("eval_data", "card.eval_data"),
    ("train_utterances", "card.train_utterances"),
    ("date", "card.date"),
    ("size", "card.size"),
    ("note", "card.note"),
)
"""Card keys shown to people, in order, with the catalogue key of their ``label: value`` line
(CER and WER come first; a line shown once though two keys name it)."""


def read_card(folder: str | Path) -> dict[str, Any]:
    """The card in ``folder``, or an empty dict when it has none or it cannot be read
    (an unreadable card is logged as a warning: a card is never needed to load a model)."""
    path = Path(folder) / CARD_NAME
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        log.warning("ignoring unreadable model card %s: %s", path, e)
        return {}
    if not isinstance(data, dict):
        log.warning("ignoring model card %s: it is not a JSON object", path)
        return {}
    return data


def write_card(folder: str | Path, card: Mapping[str, Any]) -> Path:
    """Write ``card`` as ``folder/livekr.json`` atomically and return the path.

    The JSON goes to a temporary file in ``folder``, is flushed to disk and then replaces
    the old card, so a reader (or a crash) sees the old card or the new one, never half of
    one. Raises ``OSError`` if it cannot be written (the old card is then left as it was).
    """
    path = Path(folder) / CARD_NAME
    write_atomic(path, json.dumps(dict(card), ensure_ascii=False, indent=1) + "\n")
    return path


def _percent_of(rate: float | None) -> float | None:
    return None if rate is None else round(100 * rate, 2)


def training_card(
    *,
    base_model: str,
    preset: str | None,
    vocab_kind: str,
    normaliser_version: int,
    train_data: str,
    eval_data: str | None,
    train_utterances: int,
    skipped: Mapping[str, int],
    cer: float | None,
    wer: float | None,
    eval_utterances: int | None,
    date: datetime.date | None = None,
) -> dict[str, Any]:
    """The card of a trained checkpoint.

    ``cer`` and ``wer`` are fractions (0.0345) and are stored in percent (3.45); ``eval_data``
    says in words what they were measured on (None when nothing was scored); ``date``
    defaults to today.
    """
    return {
        "base_model": base_model,
        "preset": preset,
        "vocab_kind": vocab_kind,
        "normaliser_version": normaliser_version,
        "train_data": train_data,
        "eval_data": eval_data,
        "train_utterances": train_utterances,
        "skipped": dict(skipped),
        "cer": _percent_of(cer),
        "wer": _percent_of(wer),
        "eval_utterances": eval_utterances,
        "date": (date or datetime.date.today()).isoformat(),
    }


def record_score(card: Mapping[str, Any], score: Mapping[str, Any]) -> dict[str, Any]:
    """``card`` with ``score`` in its ``scores`` list, replacing an earlier score of the same
    manifest with the same decoder settings."""
    key = (score.get("manifest"), score.get("decoder"))
    old = card.get("scores")
    old = old if isinstance(old, list) else []
    kept = [s for s in old if isinstance(s, dict) and (s.get("manifest"), s.get("decoder")) != key]
    return {**card, "scores": [*kept, dict(score)]}


def _say(key: str, lang: str, **values: Any) -> str:
    """Catalogue entry ``key`` in ``lang``; in English the command line's words."""
    return Message(key, **values).text(lang, window=False)


def describe_lm(entry: Any, lang: str = "en") -> str | None:
    """One line about a card's ``lm`` entry for people in ``lang``, or None if there is none."""
    if not isinstance(entry, dict) or not entry.get("file"):
        return None
    ngrams = entry.get("ngrams")
    size = ""
    if isinstance(ngrams, list) and all(isinstance(n, int) for n in ngrams):
        size = _say("card.lm_ngrams", lang, count=sum(ngrams))
    return _say("card.lm", lang, order=entry.get("order", "?"), units=entry.get("units", "?"), ngrams=size,
                file=entry["file"])


def describe_decoder(decoder: Any, lang: str = "en") -> str:
    """A score's decoder settings in a few words in ``lang``, e.g. "beam 16 + 5-gram LM (0.5) + 12
    custom words"."""
    if not isinstance(decoder, dict) or decoder.get("kind") != "beam":
        return _say("card.greedy", lang)
    words = [_say("card.beam", lang, size=decoder.get("beam_size", "?"))]
    if decoder.get("lm"):
        words.append(_say("card.beam_lm", lang, order=decoder.get("lm_order", "?"),
                          weight=decoder.get("lm_weight", "?")))
    if decoder.get("hotwords"):
        words.append(_say("decoder.custom_words", lang, count=decoder["hotwords"]))
    return " + ".join(words)


def _percent(value: Any) -> str | None:
    """A CER/WER from a card (in percent) for people, or None if it is not a number."""
    try:
        return f"{float(value):.2f} %"
    except (TypeError, ValueError):
        return None


def describe_card(card: Mapping[str, Any], lang: str = "en") -> list[str]:
    """The card as ``label: value`` lines for people (empty card → []): labels in ``lang``
    ("ko" or "en"; the English is what ``livekr models`` prints), values as the card has them."""
    lines = []
    for key in ("cer", "wer"):
        pct = _percent(card.get(key))
        if pct is not None:
            lines.append(_say(f"card.{key}", lang, percent=pct))
    for score in card.get("scores") or ():
        pct = _percent(score.get("cer")) if isinstance(score, dict) else None
        if pct is not None:
            name = Path(str(score.get("manifest", "?"))).name
            lines.append(_say("card.score", lang, decoder=describe_decoder(score.get("decoder"), lang),
                              name=name, percent=pct))
    seen = set()
    for key, line in CARD_LABELS:
        value = card.get(key)
        if value not in (None, "") and line not in seen:
            seen.add(line)
            lines.append(_say(line, lang, value=value))
    lm = describe_lm(card.get("lm"), lang)
    if lm:
        lines.append(lm)
    return lines
