"""``livekr-train lm``: a token-level n-gram language model for one checkpoint.

    livekr-train lm --model CHECKPOINT TEXT_FILE… [--order 5] [--prune 0 0 1 1 1] [--out FILE]

Text goes through ``livekr.text.normalize`` and is split into the checkpoint's own units
(syllables or jamo, as its vocab.json spells them, the word delimiter ``|`` for spaces);
characters the model cannot write become ``<unk>``. The ARPA file goes beside the checkpoint
(a hub model's into livekr's models folder) and is recorded in the ``livekr.json`` card there,
where the decoder finds it. KenLM's binary format is not written: the ``kenlm`` Python module
can read ARPA files but not convert them, and livekr's decoder reads ARPA.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import logging
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livekr.card import CARD_NAME, read_card, write_card
from livekr.decoder import lm_home
from livekr.lm import UNK
from livekr.text import NORMALISER_VERSION, WORD_DELIMITER, VocabKind, normalize, to_units, vocab_kind
from trainer.ngram import count, estimate, prune, write_arpa

log = logging.getLogger("livekr.train")

LM_FILE = "lm.arpa"
PROGRESS_EVERY_BYTES = 2_000_000
"""Text read between two progress lines on stderr."""
_SENTENCE_END = re.compile(r"(?<=[.!?。？！])\s+")


class LmBuildError(Exception):
    """The LM cannot be built; the message says why and what to do."""


@dataclass(frozen=True)
class ModelUnits:
    """The units a checkpoint writes, as read from its vocab.json."""

    kind: VocabKind
    tokens: frozenset[str]
    delimiter: str

    def split(self, sentence: str) -> list[str]:
        """The units of one normalised sentence: spaces become the delimiter, characters the
        model cannot write become ``<unk>``."""
        out = []
        for ch in to_units(sentence, self.kind):
            if ch == " ":
                out.append(self.delimiter)
            else:
                out.append(ch if ch in self.tokens else UNK)
        return out


def model_units(folder: Path) -> ModelUnits:
    """The units of the checkpoint in ``folder`` (its vocab.json and tokenizer_config.json)."""
    try:
        vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise LmBuildError(f"cannot read {folder / 'vocab.json'} ({e}); give a checkpoint folder with its "
                           "vocab.json") from e
    if not isinstance(vocab, dict) or not vocab:
        raise LmBuildError(f"{folder / 'vocab.json'} is not a map of tokens to ids")
    delimiter = WORD_DELIMITER
    config = folder / "tokenizer_config.json"
    if config.is_file():
        with contextlib.suppress(OSError, ValueError, AttributeError):
            settings = json.loads(config.read_text(encoding="utf-8"))
            delimiter = settings.get("word_delimiter_token") or delimiter
    return ModelUnits(vocab_kind(vocab), frozenset(vocab), delimiter)


def checkpoint_folder(ref: str) -> tuple[Path, Path]:
    """(folder with vocab.json, folder where the LM and its card go: ``livekr.decoder.lm_home``)
    for a checkpoint folder or a hub id already in the Hugging Face cache."""
    folder = Path(ref).expanduser()
    if folder.is_dir():
        if not (folder / "vocab.json").is_file():
            raise LmBuildError(f"{folder} has no vocab.json; give the checkpoint folder that holds it")
        return folder, folder
    try:
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(ref, "vocab.json")
    except Exception as e:  # an id the hub client rejects
        raise LmBuildError(f"{ref!r} is not a checkpoint folder nor a usable hub id ({e})") from e
    if not isinstance(cached, str):
        raise LmBuildError(f"{ref!r} is not a checkpoint folder, and no vocab.json of it is in the Hugging "
                           "Face cache; load the model once in livekr, or give its folder")
    return Path(cached).parent, lm_home(ref)


def sentences(paths: Sequence[Path], progress: Callable[[str], None]) -> Iterator[str]:
    """Normalised sentences of the text files (a line, or a line cut after . ! ?); reports
    progress every ``PROGRESS_EVERY_BYTES``."""
    total = sum(p.stat().st_size for p in paths)
    done = next_report = 0
    for path in paths:
        with path.open(encoding="utf-8", errors="replace") as f:
            for line in f:
                done += len(line.encode("utf-8"))
                for piece in _SENTENCE_END.split(line):
                    text = normalize(piece)
                    if text:
                        yield text
                if done >= next_report and total > PROGRESS_EVERY_BYTES:
                    progress(f"read {done / 1e6:.1f} of {total / 1e6:.1f} MB ({100 * done / total:.0f} %)")
                    next_report = done + PROGRESS_EVERY_BYTES


def _check_inputs(paths: Sequence[Path]) -> None:
    for p in paths:
        if not p.is_file():
            raise LmBuildError(f"{p}: no such text file")


def build_lm(
    ref: str,
    texts: Sequence[Path],
    order: int,
    thresholds: Sequence[int] | None,
    out: Path | None,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """Build the LM, write it and record it in the card; returns the card's ``lm`` entry."""
    _check_inputs(texts)
    vocab_folder, home = checkpoint_folder(ref)
    units = model_units(vocab_folder)
    progress(f"counting {order}-grams of {units.kind} units in {len(texts)} file(s)")
    counts = count((units.split(s) for s in sentences(texts, progress)), order)
    if counts.sentences == 0:
        raise LmBuildError("the text files hold no Korean text (nothing is left after normalising)")
    progress(f"estimating from {counts.sentences:,} sentences, {counts.tokens:,} units")
    model = estimate(counts)
    if thresholds is not None:
        model = prune(model, counts, thresholds)
    path = (out or home / LM_FILE).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    size = write_arpa(path, model, progress)
    entry = {
        "file": path.name if path.parent.resolve() == home.resolve() else str(path.resolve()),
        "format": "arpa",
        "order": order,
        "units": units.kind,
        "sources": [str(p.resolve()) for p in texts],
        "sentences": counts.sentences,
        "tokens": counts.tokens,
        "ngrams": [len(level) for level in model.probs],
        "prune": list(thresholds) if thresholds is not None else None,
        "size_bytes": size,
        "normaliser_version": NORMALISER_VERSION,
        "date": datetime.date.today().isoformat(),
    }
    card = read_card(home) if (home / CARD_NAME).is_file() else {}
    card["lm"] = entry
    write_card(home, card)
    return entry


def lm_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="livekr-train lm", description="token-level n-gram LM for a checkpoint")
    p.add_argument("--model", "-m", required=True, help="checkpoint folder (or a hub id in the local cache)")
    p.add_argument("texts", nargs="+", type=Path, help="text files, UTF-8, one sentence or paragraph a line")
    p.add_argument("--order", type=int, default=5, help="n-gram order (default: %(default)s)")
    p.add_argument("--prune", type=int, nargs="+", metavar="COUNT",
                   help="per order, drop n-grams seen at most COUNT times (the first must be 0), "
                   "e.g. 0 0 1 1 1; default: keep all")
    p.add_argument("--out", type=Path, help=f"ARPA file to write (default: {LM_FILE} beside the checkpoint)")
    return p


def lm_main(argv: Sequence[str]) -> int:
    args = lm_parser().parse_args(argv)
    if not 1 <= args.order <= 10:
        print(f"livekr-train lm: --order must be 1 to 10, got {args.order}", file=sys.stderr)
        return 2
    bad_prune = args.prune is not None and (len(args.prune) != args.order or args.prune[0] != 0)
    if bad_prune or (args.prune and min(args.prune) < 0):
        print(f"livekr-train lm: --prune needs {args.order} counts (one per order, the first 0), "
              f"got {args.prune}", file=sys.stderr)
        return 2

    def progress(message: str) -> None:
        print(f"livekr-train lm: {message}", file=sys.stderr, flush=True)

    try:
        entry = build_lm(args.model, args.texts, args.order, args.prune, args.out, progress)
    except (LmBuildError, OSError) as e:
        print(f"livekr-train lm: {e}", file=sys.stderr)
        return 1
    print(json.dumps(entry, ensure_ascii=False, indent=1))
    return 0
