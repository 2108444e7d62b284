"""The same synthetic posteriors through flashlight-text's lexicon-free beam decoder with the
same token LM (KenLM reading the ARPA file), to compare with livekr.beam.

    pip install flashlight-text kenlm
    PYTHONPATH=. python bench/flashlight_compare.py [--kind syllable|jamo] [--beam-size 8]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from decoding import END_TAIL_FRAMES, held_out, setup, unit_ids
from synthetic_posteriors import posteriors

from trainer.evaluate import space_free_cer
from trainer.metrics import error_rates


def main() -> None:
    from flashlight.lib.text.decoder import (
        CriterionType,
        KenLM,
        LexiconFreeDecoder,
        LexiconFreeDecoderOptions,
    )
    from flashlight.lib.text.dictionary import Dictionary

    p = argparse.ArgumentParser()
    p.add_argument("--kind", choices=("syllable", "jamo"), default="syllable")
    p.add_argument("--beam-size", type=int, default=8)
    p.add_argument("--lm-weight", type=float, nargs="+", default=[0.5 * math.log(10)])
    p.add_argument("--bonus", type=float, nargs="+", default=[1.0])
    args = p.parse_args()
    tests = held_out(40)
    vocab, tokens, lm_path = setup(args.kind, tests)
    rng = np.random.default_rng(0)
    utts = [posteriors(unit_ids(t, args.kind, vocab), len(vocab), 0, rng, 0.2) for t in tests]
    names = list(tokens.id_to_token)
    dictionary = Dictionary(names)
    lm = KenLM(str(lm_path), dictionary)
    for weight in args.lm_weight:
        for bonus in args.bonus:
            options = LexiconFreeDecoderOptions(args.beam_size, args.beam_size, 20.0, weight, bonus, False,
                                                CriterionType.CTC)
            decoder = LexiconFreeDecoder(options, lm, vocab["|"], 0, [])
            texts, ends = [], []
            t0 = time.process_time()
            for lp in utts:
                emissions = np.ascontiguousarray(lp, dtype=np.float32)
                decoder.decode_begin()
                split = max(0, len(lp) - END_TAIL_FRAMES)
                decoder.decode_step(emissions.ctypes.data, split, emissions.shape[1])
                t1 = time.process_time()
                tail = np.ascontiguousarray(emissions[split:])
                decoder.decode_step(tail.ctypes.data, tail.shape[0], tail.shape[1])
                decoder.decode_end()
                best = decoder.get_best_hypothesis()
                ends.append(time.process_time() - t1)
                ids = [i for i in best.tokens if i >= 0]
                collapsed = [names[i] for k, i in enumerate(ids) if i != 0 and (k == 0 or ids[k - 1] != i)]
                texts.append(tokens.decode_ids(np.array([vocab[t] for t in collapsed])) if collapsed else "")
            ms = 1000 * (time.process_time() - t0) / len(utts)
            print(json.dumps({"decoder": "flashlight", "kind": args.kind, "beam": args.beam_size,
                              "lm_weight": round(weight, 3), "bonus": bonus,
                              "cer": round(100 * error_rates(tests, texts).cer, 2),
                              "cer_nospace": round(100 * space_free_cer(tests, texts), 2),
                              "ms_per_utt": round(ms, 2),
                              "end_ms": round(1000 * statistics.median(ends), 2)}))


if __name__ == "__main__":
    main()
