"""``livekr-eval``: CER/WER of a checkpoint on a manifest, through livekr's own recognizer.

    livekr-eval --model FOLDER_OR_HUB_ID --manifest data.jsonl [--events] [--limit N]
                [--lm auto|none|FILE] [--hotwords FILE] [--lm-weight W] [--beam-size N] …

The audio of each row is decoded by ``livekr.recognizer`` exactly as the app decodes an
utterance, so the numbers describe what users get. Where a language model (by default the
one in the model's card) or custom words are given, the same posteriors are also decoded
by the beam search and both results are reported side by side: CER, space-insensitive CER
(spaces removed from both sides, as KsponSpeech scoring does) and WER. The scores go into
the model's card with the decoder settings that gave them (``--no-record`` to leave it).
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jiwer

from livekr.audio import AudioError
from livekr.card import read_card, record_score, write_card
from livekr.config import SAMPLE_RATE, DecoderOptions, RecognizerOptions
from livekr.decoder import Decoder, load_decoder
from livekr.options import add_arguments, from_arguments
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
    beam_hypothesis: str | None = None
    """The beam search's text of the same posteriors, when a beam decoder is given."""
    beam_cer: float | None = None
    beam_s: float = 0.0
    """Wall time of the beam search alone."""


@dataclass(frozen=True)
class Evaluation:
    """A whole manifest's result."""

    rates: ErrorRates
    utterances: list[Scored]
    skipped: SkipReport
    audio_s: float
    forward_s: float
    cer_nospace: float = 0.0
    beam_rates: ErrorRates | None = None
    beam_cer_nospace: float | None = None
    beam_s: float = 0.0


def space_free_cer(references: list[str], hypotheses: list[str]) -> float:
    """CER with every space removed from both sides after ``normalize`` (how KsponSpeech and
    ESPnet score Korean, where spacing is a matter of style); empty references left out."""
    pairs = [(normalize(r).replace(" ", ""), normalize(h).replace(" ", "")) for r, h in
             zip(references, hypotheses, strict=True)]
    pairs = [(r, h) for r, h in pairs if r]
    if not pairs:
        raise ValueError("no non-empty references to score")
    return float(jiwer.cer([r for r, _ in pairs], [h for _, h in pairs]))


def score_one(recognizer: Recognizer, example: Example, decoder: Decoder | None = None) -> Scored:
    """Transcribe one example greedily as the app does, and with ``decoder`` (a beam search
    over the same log-posteriors: the recognizer must offer ``log_posteriors``) when given."""
    audio = load_audio(example.audio)
    if decoder is None:
        result = recognizer.recognize(audio)
        hyp = normalize(result.text)
        cer = error_rates([example.text], [hyp]).cer
        return Scored(example.name, example.text, hyp, cer, result.audio_s, result.forward_s)
    t0 = time.perf_counter()
    log_probs = recognizer.log_posteriors(audio)  # type: ignore[attr-defined]
    hyp = normalize(recognizer.tokens.decode(log_probs, recognizer.frame_s)[0])  # type: ignore[attr-defined]
    t1 = time.perf_counter()
    beam = normalize(decoder.decode(log_probs).text)
    t2 = time.perf_counter()
    return Scored(
        example.name, example.text, hyp, error_rates([example.text], [hyp]).cer, audio.size / SAMPLE_RATE,
        t1 - t0, beam, error_rates([example.text], [beam]).cer, t2 - t1,
    )


def evaluate(
    recognizer: Recognizer, examples: list[Example], skipped: SkipReport, on_result: object = None,
    decoder: Decoder | None = None,
) -> Evaluation:
    """Transcribe every example and score the lot; ``on_result`` gets each ``Scored``."""
    scored = []
    for example in examples:
        item = score_one(recognizer, example, decoder)
        scored.append(item)
        if callable(on_result):
            on_result(item)
    refs = [s.reference for s in scored]
    hyps = [s.hypothesis for s in scored]
    beams = [s.beam_hypothesis or "" for s in scored]
    with_beam = decoder is not None
    return Evaluation(
        error_rates(refs, hyps), scored, skipped, sum(s.audio_s for s in scored),
        sum(s.forward_s for s in scored), space_free_cer(refs, hyps),
        error_rates(refs, beams) if with_beam else None, space_free_cer(refs, beams) if with_beam else None,
        sum(s.beam_s for s in scored),
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
    event = {
        "type": "utterance",
        "name": item.name,
        "reference": item.reference,
        "hypothesis": item.hypothesis,
        "cer": round(item.cer, 4),
        "audio": round(item.audio_s, 3),
    }
    if item.beam_hypothesis is not None and item.beam_cer is not None:
        event.update(beam_hypothesis=item.beam_hypothesis, beam_cer=round(item.beam_cer, 4))
    print(json.dumps(event, ensure_ascii=False), flush=True)


def _rates(rates: ErrorRates, nospace: float) -> dict[str, float]:
    return {"cer": round(100 * rates.cer, 2), "cer_nospace": round(100 * nospace, 2),
            "wer": round(100 * rates.wer, 2)}


def scores(result: Evaluation, decoder: Decoder | None) -> list[dict[str, Any]]:
    """The scores of ``result``, greedy first, each with the settings of its decoder."""
    out: list[dict[str, Any]] = [{"decoder": {"kind": "greedy"}, **_rates(result.rates, result.cer_nospace)}]
    if decoder is not None and result.beam_rates is not None and result.beam_cer_nospace is not None:
        out.append({"decoder": decoder.settings(), **_rates(result.beam_rates, result.beam_cer_nospace),
                    "ms_per_utterance": round(1000 * result.beam_s / max(len(result.utterances), 1), 1)})
    return out


def record(model: str, manifest: str, utterances: int, found: list[dict[str, Any]]) -> None:
    """Keep ``found`` in the card of a local model folder (a warning if it cannot be written)."""
    folder = Path(model).expanduser()
    if not folder.is_dir():
        return
    card = read_card(folder)
    today = datetime.date.today().isoformat()
    for score in found:
        entry = {"manifest": str(Path(manifest).resolve()), "utterances": utterances, **score, "date": today}
        entry.pop("ms_per_utterance", None)
        card = record_score(card, entry)
    try:
        write_card(folder, card)
    except OSError as e:
        log.warning("scores not kept in the model card: %s", e)


EVAL_RECOGNIZER = RecognizerOptions(backend="torch", dtype="fp32")
"""What livekr-eval and the trainer's card score with, unless told otherwise: the model as
trained, so scores do not depend on which backend a machine measured fastest."""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="livekr-eval", description=__doc__.split("\n")[0])
    p.add_argument("--model", "-m", required=True, help="checkpoint folder or hub id")
    p.add_argument("--manifest", required=True, help='JSON lines {"audio": path, "text": ...}')
    # Scored as trained (torch fp32) unless --backend/--dtype ask for a converted copy.
    add_arguments(p, RecognizerOptions, suppress_defaults=True)
    p.add_argument("--events", action="store_true", help="print each utterance's result as a JSON line")
    p.add_argument("--limit", type=int, help="score only the first N usable rows")
    p.add_argument("--max-duration-s", type=float, default=60.0, help="skip longer clips")
    p.add_argument("--no-record", action="store_true", help="do not keep the scores in the model's card")
    add_arguments(p, DecoderOptions)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="livekr-eval: %(message)s")
    try:
        examples, skipped = read_manifest(args.manifest, 0.0, args.max_duration_s)
        if not examples:
            raise DataError(f"no usable rows in {args.manifest} (skipped: {skipped.summary()})")
        options = from_arguments(RecognizerOptions, args, base=EVAL_RECOGNIZER)
        recognizer = load_recognizer(args.model, options)
        mismatch = normaliser_mismatch(args.model)
        if mismatch:
            log.warning("%s", mismatch)
        decoder = load_decoder(recognizer.tokens, recognizer.frame_s, from_arguments(DecoderOptions, args),
                               args.model)
        beam = decoder if decoder.uses_beam else None
        t0 = time.perf_counter()
        result = evaluate(recognizer, examples[: args.limit], skipped, print_event if args.events else None,
                          beam)
    except (DataError, ModelLoadError, AudioError, ValueError) as e:
        print(f"livekr-eval: error: {e}", file=sys.stderr)
        return 1
    found = scores(result, beam)
    summary = {
        "type": "summary",
        "model": args.model,
        "manifest": args.manifest,
        **{k: v for k, v in found[0].items() if k != "decoder"},
        "utterances": result.rates.utterances,
        "skipped": dict(skipped.counts),
        "normaliser_version": NORMALISER_VERSION,
        "audio_s": round(result.audio_s, 1),
        "rtf": round(result.forward_s / max(result.audio_s, 1e-9), 4),
        "wall_s": round(time.perf_counter() - t0, 1),
    }
    if len(found) > 1:
        summary["beam"] = found[1]
    if not args.no_record:
        record(args.model, args.manifest, result.rates.utterances, found)
    print(json.dumps(summary, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
