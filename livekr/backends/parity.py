"""The parity probe: does a converted or lower-precision model pick the same tokens as torch fp32?

Both models hear the same few seconds of audio; the share of frames whose best token is the
same is the agreement. Speech is the fair test (on noise a trained model says blank
everywhere, so every model agrees): the probe is the start of the Korean sample shipped with
livekr (assets/sample_ko.flac) where it is installed, else a deterministic speech-like signal
(harmonics on a gliding pitch, syllable-rate envelope, a chirp and noise).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from livekr.config import SAMPLE_RATE

log = logging.getLogger(__name__)

PROBE_S = 4.0
"""Seconds of audio in the probe: about 200 frames, enough to tell 1 % of disagreement."""
PROBE_SEED = 7
SAMPLE_PATH = Path(__file__).resolve().parents[2] / "assets" / "sample_ko.flac"
SAMPLE_OFFSET_S = 0.8
"""The sample's lead-in of silence, skipped."""
SYLLABLE_HZ = 4.0
PITCH_HZ = (110.0, 220.0)
HARMONICS = 12


def synthetic_probe(seconds: float = PROBE_S, seed: int = PROBE_SEED) -> np.ndarray:
    """Deterministic speech-like float32 audio at 16 kHz, peak about 0.5."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    low, high = PITCH_HZ
    pitch = low + (high - low) * (0.5 + 0.5 * np.sin(2 * np.pi * 0.3 * t))
    phase = 2 * np.pi * np.cumsum(pitch) / SAMPLE_RATE
    voiced = sum(np.sin(k * phase) / k for k in range(1, HARMONICS + 1))
    envelope = np.clip(np.sin(2 * np.pi * SYLLABLE_HZ * t), 0, None) ** 2
    chirp = np.sin(2 * np.pi * (200 * t + 400 * t**2))
    noise = rng.standard_normal(n)
    audio = 0.3 * voiced * envelope + 0.1 * chirp * (1 - envelope) + 0.02 * noise
    return (0.5 * audio / np.abs(audio).max()).astype(np.float32)


def probe_audio(sample: Path = SAMPLE_PATH, seconds: float = PROBE_S) -> np.ndarray:
    """``seconds`` of the shipped speech sample (after its lead-in), or ``synthetic_probe``
    where the sample is not installed or cannot be read."""
    if sample.is_file():
        import soundfile

        try:
            start = int(SAMPLE_OFFSET_S * SAMPLE_RATE)
            audio, rate = soundfile.read(sample, start=start, frames=int(seconds * SAMPLE_RATE),
                                         dtype="float32", always_2d=True)
        except (OSError, RuntimeError, soundfile.LibsndfileError) as e:
            log.info("parity probe: cannot read %s (%s); using a synthetic signal", sample, e)
        else:
            if rate == SAMPLE_RATE and audio.shape[0] == int(seconds * SAMPLE_RATE):
                return np.ascontiguousarray(audio.mean(axis=1), dtype=np.float32)
    return synthetic_probe(seconds)


def agreement(reference: np.ndarray, candidate: np.ndarray) -> float:
    """Share of frames (0..1) whose best class is the same in two (frames, classes) arrays of
    log-posteriors; 0 when their shapes differ (a converted model that emits other frames
    is wrong)."""
    if reference.shape != candidate.shape or reference.shape[0] == 0:
        return 0.0
    return float(np.mean(reference.argmax(axis=1) == candidate.argmax(axis=1)))
