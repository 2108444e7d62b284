"""How well the first-run chooser's speed estimate (``livekr.speed_probe``) predicts the real
forward time of the two published architectures on this CPU, in one process.

Run from the repository root::

    .venv/bin/python bench/speed_probe.py [--seconds 10] [--runs 3]

It probes the CPU as the chooser does, then times torch fp32 forward passes of full-size,
random-weight XLS-R 300M (the architecture of kresnik/wav2vec2-large-xlsr-korean) and
DistilHuBERT (Bingsu/distilhubert-ko-zeroth) on ``--seconds`` of noise (a forward pass
costs the same whatever it outputs), and prints, per model, the estimated and the measured
real-time factor, their ratio and the efficiency the measurement implies (the chooser uses
``CPU_EFFICIENCY``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from stream import DEFAULT_MODELS_DIR, cpu_pressure, ensure_checkpoint, machine_facts, write_report

from livekr.cpu import describe
from livekr.speed_probe import CPU_EFFICIENCY, MODEL_GFLOP_PER_AUDIO_S, estimate, probe_gflops
from livekr.text import build_vocab

MODELS = {"xls-r-300m": "kresnik/wav2vec2-large-xlsr-korean",
          "distilhubert": "Bingsu/distilhubert-ko-zeroth"}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    p.add_argument("--out", type=Path)
    return p.parse_args()


def forward_rtf(folder: Path, seconds: float, runs: int) -> float:
    """The best of ``runs`` torch fp32 forward times over ``seconds`` of audio, per second."""
    import torch
    import transformers

    model = transformers.AutoModelForCTC.from_pretrained(folder).eval()
    audio = torch.from_numpy(np.random.default_rng(0).standard_normal((1, int(seconds * 16000)),
                                                                      dtype=np.float32) * 0.05)
    best = float("inf")
    with torch.inference_mode():
        model(audio)
        for _ in range(runs):
            start = time.perf_counter()
            model(audio)
            best = min(best, time.perf_counter() - start)
    return best / seconds


def main() -> int:
    args = parse_args()
    vocab = build_vocab(["가나다라마바사"], "jamo")
    gflops = probe_gflops()
    results = {}
    for arch, ref in MODELS.items():
        folder = ensure_checkpoint(args.models_dir, arch, vocab)
        measured = forward_rtf(folder, args.seconds, args.runs)
        estimated = estimate(MODEL_GFLOP_PER_AUDIO_S[ref], gflops).rtf
        implied = MODEL_GFLOP_PER_AUDIO_S[ref] / (gflops * measured)
        results[ref] = {"estimated_rtf": round(estimated, 4), "measured_rtf": round(measured, 4),
                        "estimated_over_measured": round(estimated / measured, 2),
                        "implied_efficiency": round(implied, 3)}
    write_report({"cpu": describe(), "machine": machine_facts(), "probe_gflops": round(gflops, 1),
                  "cpu_efficiency": CPU_EFFICIENCY, "seconds": args.seconds, "results": results,
                  "cpu_pressure_after": cpu_pressure()}, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
