"""How fast a published model will run on this computer, before downloading it.

A short probe of the CPU's float32 matrix speed (numpy, about a quarter of a second) and the
compute each model needs per second of audio give an expected real-time factor. Qt-free and
torch-free, so the first-run chooser can show it at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

PROBE_MATRIX = 512
"""Side of the square float32 matrices multiplied by the probe (a size BLAS blocks well: 384
measured 30 % below 512 and 768 on the same CPU)."""
PROBE_S = 0.25
"""How long the probe multiplies."""
CPU_EFFICIENCY = 0.7
"""The share of the probe's GFLOP/s that a CTC model's CPU forward pass reaches (conv layers,
attention and memory traffic run below a square matmul). ``bench/speed_probe.py`` on an AMD
EPYC with 2 cores (probe: about 217 GFLOP/s), torch fp32 on 10 s of audio: XLS-R 300M 0.248 s
and DistilHuBERT 0.038 s per second of audio, i.e. 0.67 and 0.82 of the probe's speed."""
GPU_RTF = 0.02
"""A CUDA GPU's real-time factor for these models, roughly: far faster than speech."""

MODEL_GFLOP_PER_AUDIO_S = {
    # wav2vec2 large: a 7-layer conv encoder (~4.9 GFLOP per second of 16 kHz audio) and 24
    # transformer layers of 1024 (~2 FLOP per weight per 20 ms frame: ~31 GFLOP).
    "kresnik/wav2vec2-large-xlsr-korean": 36.0,
    # distilhubert: the same conv encoder and 2 transformer layers of 768.
    "Bingsu/distilhubert-ko-zeroth": 6.8,
}
"""Compute per second of audio of each published model (forward pass, float32)."""


@dataclass(frozen=True)
class SpeedEstimate:
    """What to expect of one model on this computer."""

    rtf: float
    """Expected seconds of compute per second of audio (below 1: faster than speech)."""
    fits_realtime: bool
    """Whether live dictation keeps up comfortably (rtf below ``REALTIME_RTF``)."""


REALTIME_RTF = 0.5
"""Live dictation also runs partials and must absorb bursts: it keeps up comfortably below
this real-time factor of the final pass."""


def probe_gflops(seconds: float = PROBE_S, size: int = PROBE_MATRIX) -> float:
    """This CPU's float32 matrix-multiply speed in GFLOP/s (best of the repeats in ``seconds``)."""
    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    a @ b  # first call pays for thread start-up
    best = float("inf")
    end = time.perf_counter() + seconds
    while True:
        start = time.perf_counter()
        a @ b
        now = time.perf_counter()
        best = min(best, now - start)
        if now >= end:
            break
    return 2.0 * size**3 / max(best, 1e-9) / 1e9


def estimate(gflop_per_audio_s: float, cpu_gflops: float, cuda: bool = False) -> SpeedEstimate:
    """The expected real-time factor of a model needing ``gflop_per_audio_s``."""
    rtf = GPU_RTF if cuda else gflop_per_audio_s / max(cpu_gflops * CPU_EFFICIENCY, 1e-6)
    return SpeedEstimate(rtf, rtf < REALTIME_RTF)


def recommend(estimates: dict[str, SpeedEstimate], accuracy_order: list[str]) -> str:
    """The most accurate model (first in ``accuracy_order``) that keeps up; else the fastest."""
    for ref in accuracy_order:
        if ref in estimates and estimates[ref].fits_realtime:
            return ref
    return min(estimates, key=lambda ref: estimates[ref].rtf)
