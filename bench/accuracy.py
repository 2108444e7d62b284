"""CER of windowed against whole-utterance decoding on long utterances, per backend.

Run from the repository root::

    .venv/bin/python bench/accuracy.py --model DIR --manifest EVAL.jsonl [--count 40] \
        [--window 4 2 1 --window 2 1 1] [--backend torch-fp32 --backend onnx-int8] [--out F.json]

Clips of the manifest are trimmed and joined with 0.25 s pauses into utterances of
``--min-s`` to ``--max-s`` seconds (``joined.py``), each given the segmenter's pre-roll and
post-roll of faint noise. Each utterance is decoded by ``livekr.encoding.UtteranceEncoder``
as the live pipeline does it: the windows that complete while speech and its end silence
play are encoded first (``advance``), then the final adds the tail (``final``); whole mode
decodes the utterance in one pass. CER is over all utterances together
(``trainer.metrics.error_rates``: normalised text, spaces counted).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from joined import ROLL_S, Joined, join_many, load_clips, pause
from stream import write_report

from livekr.config import SAMPLE_RATE, EncodingOptions, RecognizerOptions, SegmenterOptions

BACKENDS = {"torch-fp32": ("torch", "fp32"), "torch-bf16": ("torch", "bf16"),
            "onnx-fp32": ("onnx", "fp32"), "onnx-int8": ("onnx", "int8")}
CER_GAP_TARGET_POINTS = 0.5


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="checkpoint folder")
    p.add_argument("--manifest", type=Path, required=True, help="JSONL with audio and text")
    p.add_argument("--count", type=int, default=40, help="joined utterances")
    p.add_argument("--min-s", type=float, default=12.0)
    p.add_argument("--max-s", type=float, default=19.5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--window", action="append", nargs=3, type=float, metavar=("LEFT", "CHUNK", "RIGHT"),
                   help="a windowed setting in s (repeatable); default: livekr's defaults")
    p.add_argument("--backend", action="append", choices=list(BACKENDS),
                   help="repeatable; default: torch-fp32, onnx-fp32, onnx-int8")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path)
    return p.parse_args(argv)


def padded(u: Joined, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(what the final decodes: pre-roll + speech + post-roll, the same followed by the rest of
    the end silence, on which the live pipeline may already have encoded windows)."""
    seg = SegmenterOptions()
    audio = np.concatenate([pause(seg.pre_roll_ms / 1000, rng), u.audio, pause(seg.post_roll_ms / 1000, rng)])
    rest_s = (seg.end_silence_ms - seg.post_roll_ms) / 1000
    return audio, np.concatenate([audio, pause(rest_s, rng)])


def decode_all(recognizer: Any, options: EncodingOptions, utterances: list[tuple[np.ndarray, np.ndarray]]
               ) -> tuple[list[str], float]:
    """Texts of every utterance with ``options`` (fresh encoder state each), and the seconds spent."""
    from livekr.encoding import UtteranceEncoder

    encoder = UtteranceEncoder(recognizer, options, live=True)
    texts = []
    t0 = time.perf_counter()
    for i, (audio, with_silence) in enumerate(utterances):
        encoder.advance(i, with_silence)
        texts.append(encoder.final(i, audio).text)
    return texts, time.perf_counter() - t0


def score(references: list[str], texts: list[str]) -> dict[str, float]:
    from trainer.metrics import error_rates

    rates = error_rates(references, texts)
    return {"cer": round(100 * rates.cer, 2), "wer": round(100 * rates.wer, 2)}


def run_backend(args: argparse.Namespace, name: str, settings: list[tuple[str, EncodingOptions]],
                utterances: list[tuple[np.ndarray, np.ndarray]], references: list[str]) -> dict[str, Any]:
    """Every setting with one backend; whole first, the reference of the CER gaps."""
    from livekr.recognizer import load_recognizer

    backend, dtype = BACKENDS[name]
    options = RecognizerOptions(device="cpu", backend=backend, dtype=dtype, threads=args.threads,
                                min_agreement=0.0)
    recognizer = load_recognizer(args.model, options)
    out: dict[str, Any] = {"backend": name, "device": recognizer.device_label, "settings": {}}
    texts_of: dict[str, list[str]] = {}
    for label, encoding in settings:
        texts, seconds = decode_all(recognizer, encoding, utterances)
        texts_of[label] = texts
        result = score(references, texts) | {"decode_s": round(seconds, 2)}
        if label != "whole":
            result["cer_minus_whole_points"] = round(result["cer"] - out["settings"]["whole"]["cer"], 2)
            result["utterances_changed"] = sum(a != b for a, b in zip(texts, texts_of["whole"], strict=True))
        out["settings"][label] = result
        print(f"  {name:<11} {label:<18} CER {result['cer']:6.2f} %  WER {result['wer']:6.2f} %"
              f"  {result.get('cer_minus_whole_points', 0):+.2f} pts vs whole", file=sys.stderr)
    out["examples"] = {label: texts[:2] for label, texts in texts_of.items()}
    return out


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    args = parse_args(argv)
    from livekr.cpu import describe

    if not args.manifest.is_file():
        sys.exit(f"bench/accuracy.py: no manifest at {args.manifest}")
    rng = np.random.default_rng(args.seed)
    targets = list(rng.uniform(args.min_s, args.max_s, args.count))
    joined = join_many(load_clips(args.manifest), targets, args.seed, floor_s=args.min_s)
    joined = [u for u in joined if u.seconds + ROLL_S >= args.min_s]
    utterances = [padded(u, rng) for u in joined]
    references = [u.text for u in joined]
    default = EncodingOptions()
    windows = args.window or [[default.left_s, default.chunk_s, default.right_s]]
    settings = [("whole", EncodingOptions(mode="whole"))] + [
        (f"windowed {w[0]:g}|{w[1]:g}|{w[2]:g}", EncodingOptions("windowed", *w)) for w in windows]
    lengths_s = [a.size / SAMPLE_RATE for a, _ in utterances]
    print(f"CPU: {describe()}; {len(joined)} utterances of {min(lengths_s):.1f}-{max(lengths_s):.1f} s "
          f"from {args.manifest}", file=sys.stderr)
    report = {
        "cpu": describe(), "model": args.model, "manifest": str(args.manifest), "threads": args.threads,
        "utterances": len(joined), "seconds": [round(s, 2) for s in lengths_s],
        "clips_per_utterance": [len(u.clips) for u in joined], "target_points": CER_GAP_TARGET_POINTS,
        "references": references[:2],
        "backends": [run_backend(args, b, settings, utterances, references)
                     for b in args.backend or ["torch-fp32", "onnx-fp32", "onnx-int8"]],
    }
    write_report(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
