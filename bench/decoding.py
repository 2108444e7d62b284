"""Decoder measurements on synthetic CTC posteriors: CER greedy vs beam + LM, decoding cost per
utterance and at the end of speech, custom-word recall and false insertions, 10 vs 1,000 words.

    PYTHONPATH=. python bench/decoding.py [--kind syllable|jamo] [--sentences 40] [--beam-size 16] …

Held-out sentences: the transcripts of ../shared/data/ko_speech (never in the LM's text). The
LM: a 5-gram over the model's units from ../shared/data/ko_text and trainer/corpus. Times are
CPU seconds of this process (``time.process_time``), so other load on the machine counts less.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic_posteriors import posteriors

from livekr.config import DecoderOptions
from livekr.ctc import TokenTable
from livekr.decoder import Decoder, load_lm
from livekr.hotwords import Hotword
from livekr.text import build_vocab, normalize, to_units
from trainer.evaluate import space_free_cer
from trainer.lm import ModelUnits, sentences
from trainer.metrics import error_rates
from trainer.ngram import count, estimate, write_arpa

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
LM_TEXTS = [SHARED / "ko_text" / "constitution_phrases.txt", REPO / "trainer" / "corpus" / "ko_sentences.txt"]
FRAME_S = 0.02
END_TAIL_FRAMES = 125
"""Frames decoded at the end of speech: a 1.5 s chunk and 1 s of right context."""


def held_out(n: int) -> list[str]:
    rows = (SHARED / "ko_speech" / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    return list(dict.fromkeys(normalize(json.loads(r)["text"]) for r in rows if r))[:n]


def setup(kind: str, tests: list[str]) -> tuple[dict[str, int], TokenTable, Path]:
    lm_text = list(sentences(LM_TEXTS, lambda _: None))
    vocab = build_vocab(lm_text + tests, kind)  # type: ignore[arg-type]
    names = [""] * len(vocab)
    for tok, i in vocab.items():
        names[i] = tok
    units = ModelUnits(kind, frozenset(vocab), "|")  # type: ignore[arg-type]
    path = Path(tempfile.mkdtemp()) / "lm.arpa"
    write_arpa(path, estimate(count((units.split(s) for s in lm_text), 5)))
    return vocab, TokenTable(tuple(names), 0, frozenset({1}), "|"), path


def unit_ids(text: str, kind: str, vocab: dict[str, int]) -> list[int]:
    return [vocab["|" if u == " " else u] for u in to_units(text, kind)]  # type: ignore[arg-type]


def timed(decoder: Decoder, utts: list[np.ndarray]) -> tuple[list[str], float, float]:
    """Texts, CPU ms per utterance (whole decode) and CPU ms of the end step (last
    ``END_TAIL_FRAMES`` frames plus end of sentence), median over utterances."""
    texts, ends = [], []
    t0 = time.process_time()
    for lp in utts:
        texts.append(decoder.decode(lp).text)
    whole = (time.process_time() - t0) / len(utts)
    for lp in utts:
        stream = decoder.begin()
        split = max(0, len(lp) - END_TAIL_FRAMES)
        stream.step(lp[:split])
        t1 = time.process_time()
        stream.end(lp[split:])
        ends.append(time.process_time() - t1)
    return texts, 1000 * whole, 1000 * statistics.median(ends)


def cer_report(tests: list[str], decoder: Decoder, utts: list[np.ndarray]) -> dict[str, float]:
    texts, ms, end_ms = timed(decoder, utts)
    frames = sum(len(u) for u in utts) / len(utts)
    return {"cer": round(100 * error_rates(tests, texts).cer, 2),
            "cer_nospace": round(100 * space_free_cer(tests, texts), 2), "ms_per_utt": round(ms, 1),
            "us_per_frame": round(1000 * ms / frames, 1), "end_ms": round(end_ms, 2)}


def hotword_cases(kind: str, vocab: dict[str, int], tests: list[str], rng: np.random.Generator
                  ) -> tuple[list[str], list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Listed words (one per sentence of the first half, absent from the LM's text), posteriors
    of those sentences with the word's units confused half the time, of the same sentences
    with one syllable of the word changed (a near miss, said as clearly), and of the other
    sentences (no listed word)."""
    lm_text = " ".join(sentences(LM_TEXTS, lambda _: None))
    syllables = sorted({ch for t in tests for ch in t if ch != " "})
    half = len(tests) // 2
    listed, said, near = [], [], []
    for text in tests[:half]:
        words = [w for w in text.split() if len(w) >= 3 and w not in lm_text]
        if not words:
            continue
        word = words[0]
        listed.append(word)
        start = len(to_units(text[:text.index(word)], kind))  # type: ignore[arg-type]
        span = range(start, start + len(to_units(word, kind)))  # type: ignore[arg-type]
        said.append(posteriors(unit_ids(text, kind, vocab), len(vocab), 0, rng, 0.15, focus=span,
                               focus_confusion=0.5))
        k = int(rng.integers(len(word)))
        other = word[:k] + str(rng.choice([c for c in syllables if c != word[k]])) + word[k + 1:]
        near.append(posteriors(unit_ids(text.replace(word, other, 1), kind, vocab), len(vocab), 0, rng, 0.15))
    plain = [posteriors(unit_ids(t, kind, vocab), len(vocab), 0, rng, 0.15) for t in tests[half:]]
    return listed, said, near, plain


def hotword_report(kind: str, vocab: dict[str, int], tokens: TokenTable, lm_path: Path, tests: list[str],
                   options: DecoderOptions, boosts: list[float], rng: np.random.Generator) -> None:
    """Recall of listed words said, false insertions on near misses and on sentences without
    them, for each boost; the cost of 10 and of 1,000 listed words."""
    listed, said, near, plain = hotword_cases(kind, vocab, tests, rng)
    lm = load_lm(lm_path, tokens)
    for boost in [0.0, *boosts]:
        decoder = Decoder(tokens, FRAME_S, replace(options, hotword_boost=boost or 1.0), lm, "lm")
        decoder.set_hotwords([Hotword(w) for w in listed] if boost else [])
        hits = sum(w in decoder.decode(lp).text for w, lp in zip(listed, said, strict=True))
        missed = sum(w in decoder.decode(lp).text for w, lp in zip(listed, near, strict=True))
        inserted = sum(any(w in decoder.decode(lp).text for w in listed) for lp in plain)
        print(json.dumps({"hotwords": len(listed) if boost else 0, "boost": boost,
                          "recall": round(100 * hits / len(listed), 1),
                          "false_on_near_misses": round(100 * missed / len(near), 1),
                          "false_on_others": round(100 * inserted / len(plain), 1)}), flush=True)
    pool = sorted({w for s in sentences(LM_TEXTS, lambda _: None) for w in s.split() if len(w) >= 2})
    for n in (10, 1000):
        decoder = Decoder(tokens, FRAME_S, options, lm, "lm")
        decoder.set_hotwords([Hotword(w) for w in (listed + pool)[:n]])
        _, ms, end_ms = timed(decoder, said + plain)
        print(json.dumps({"hotwords": n, "ms_per_utt": round(ms, 1), "end_ms": round(end_ms, 2)}), flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--kind", choices=("syllable", "jamo"), default="syllable")
    p.add_argument("--sentences", type=int, default=40)
    p.add_argument("--confusion", type=float, default=0.2)
    p.add_argument("--beam-size", type=int, nargs="+", default=[DecoderOptions.beam_size])
    p.add_argument("--lm-weight", type=float, nargs="+", default=[0.5])
    p.add_argument("--insertion-bonus", type=float, nargs="+", default=[1.0])
    p.add_argument("--hotwords", action="store_true", help="measure custom words too")
    p.add_argument("--hotword-boost", type=float, nargs="+", default=[DecoderOptions.hotword_boost])
    args = p.parse_args()
    tests = held_out(args.sentences)
    vocab, tokens, lm_path = setup(args.kind, held_out(2 * args.sentences))
    rng = np.random.default_rng(0)
    utts = [posteriors(unit_ids(t, args.kind, vocab), len(vocab), 0, rng, args.confusion) for t in tests]
    print(json.dumps({"kind": args.kind, "sentences": len(tests), "classes": len(vocab),
                      "frames_per_utt": round(sum(len(u) for u in utts) / len(utts))}))
    greedy = Decoder(tokens, FRAME_S, DecoderOptions(decoder="greedy"))
    print(json.dumps({"decoder": "greedy", **cer_report(tests, greedy, utts)}))
    lm = load_lm(lm_path, tokens)
    for size in args.beam_size:
        for weight in args.lm_weight:
            for bonus in args.insertion_bonus:
                options = DecoderOptions(beam_size=size, lm_weight=weight, insertion_bonus=bonus)
                decoder = Decoder(tokens, FRAME_S, options, lm, "lm")
                print(json.dumps({"decoder": "beam+lm", "beam": size, "lm_weight": weight, "bonus": bonus,
                                  **cer_report(tests, decoder, utts)}), flush=True)
    if args.hotwords:
        options = DecoderOptions(beam_size=args.beam_size[0], lm_weight=args.lm_weight[0],
                                 insertion_bonus=args.insertion_bonus[0])
        hotword_report(args.kind, vocab, tokens, lm_path, held_out(2 * args.sentences), options,
                       args.hotword_boost, rng)


if __name__ == "__main__":
    main()
