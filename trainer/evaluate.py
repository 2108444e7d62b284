"""``livekr-eval``: CER/WER of a checkpoint on a manifest, through livekr's own recognizer.

    livekr-eval --model FOLDER_OR_HUB_ID --manifest data.jsonl [--events] [--limit N]

The audio of each row is decoded by ``livekr.recognizer`` exactly as the app decodes an
utterance, so the numbers describe what users get.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from livekr.audio import AudioError
from livekr.card import read_card
from livekr.config import RecognizerOptions
from livekr.recognizer import ModelLoadError, Recognizer, load_recognizer
from livekr.text import NORMALISER_VERSION, normalize
from trainer.data import DataError, Example, SkipReport, load_audio, read_manifest
from trainer.metrics import ErrorRates, error_rates

log = logging.getLogger("livekr.eval")


@dataclass(frozen=True)
class Scored:
    """One utterance's result."""

    name: str
    reference: str
    hypothesis: str
    cer: float
    audio_s: float
    forward_s: float


@dataclass(frozen=True)
class Evaluation:
    """A whole manifest's result."""

    rates: ErrorRates
    utterances: list[Scored]
    skipped: SkipReport
    audio_s: float
    forward_s: float


def score_one(recognizer: Recognizer, example: Example) -> Scored:
    result = recognizer.recognize(load_audio(example.audio))
    hyp = normalize(result.text)
    cer = error_rates([example.text], [hyp]).cer
    return Scored(example.name, example.text, hyp, cer, result.audio_s, result.forward_s)


def evaluate(
    recognizer: Recognizer, examples: list[Example], skipped: SkipReport, on_result: object = None
) -> Evaluation:
    """Transcribe every example and score the lot; ``on_result`` gets each ``Scored``."""
    scored = []
    for example in examples:
        item = score_one(recognizer, example)
        scored.append(item)
        if callable(on_result):
            on_result(item)
    rates = error_rates([s.reference for s in scored], [s.hypothesis for s in scored])
    return Evaluation(
        rates, scored, skipped, sum(s.audio_s for s in scored), sum(s.forward_s for s in scored)
    )


def normaliser_mismatch(model: str) -> str | None:
    """Why scores of ``model`` may not compare with its card's: its card says it was trained
    on text of another normaliser version than the one scoring it now; None otherwise."""
    folder = Path(model).expanduser()
    card = read_card(folder) if folder.is_dir() else {}
    version = card.get("normaliser_version", card.get("normalizer_version"))
    if version is None or version == NORMALISER_VERSION:
        return None
    return (
        f"{model} was trained on text of normaliser version {version}, and is scored with version "
        f"{NORMALISER_VERSION}: its CER may not compare with the one in its card"
    )


def print_event(item: Scored) -> None:
    print(
        json.dumps(
            {
                "type": "utterance",
                "name": item.name,
                "reference": item.reference,
                "hypothesis": item.hypothesis,
                "cer": round(item.cer, 4),
                "audio": round(item.audio_s, 3),
            },
            ensure_ascii=False,
        ),
        flush=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="livekr-eval", description=__doc__.split("\n")[0])
    p.add_argument("--model", "-m", required=True, help="checkpoint folder or hub id")
    p.add_argument("--manifest", required=True, help='JSON lines {"audio": path, "text": ...}')
    p.add_argument("--device", default="auto")
    p.add_argument("--dtype", default="auto", choices=("auto", "fp32", "fp16", "bf16"))
    p.add_argument("--events", action="store_true", help="print each utterance's result as a JSON line")
    p.add_argument("--limit", type=int, help="score only the first N usable rows")
    p.add_argument("--max-duration-s", type=float, default=60.0, help="skip longer clips")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="livekr-eval: %(message)s")
    try:
        examples, skipped = read_manifest(args.manifest, 0.0, args.max_duration_s)
        if not examples:
            raise DataError(f"no usable rows in {args.manifest} (skipped: {skipped.summary()})")
        recognizer = load_recognizer(args.model, RecognizerOptions(args.device, args.dtype))
        mismatch = normaliser_mismatch(args.model)
        if mismatch:
            log.warning("%s", mismatch)
        t0 = time.perf_counter()
        result = evaluate(recognizer, examples[: args.limit], skipped, print_event if args.events else None)
    except (DataError, ModelLoadError, AudioError, ValueError) as e:
        print(f"livekr-eval: error: {e}", file=sys.stderr)
        return 1
    summary = {
        "type": "summary",
        "model": args.model,
        "manifest": args.manifest,
        "cer": round(100 * result.rates.cer, 2),
        "wer": round(100 * result.rates.wer, 2),
        "utterances": result.rates.utterances,
        "skipped": dict(skipped.counts),
        "normaliser_version": NORMALISER_VERSION,
        "audio_s": round(result.audio_s, 1),
        "rtf": round(result.forward_s / max(result.audio_s, 1e-9), 4),
        "wall_s": round(time.perf_counter() - t0, 1),
    }
    print(json.dumps(summary, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
