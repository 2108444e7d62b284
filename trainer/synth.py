"""Synthetic Korean speech with espeak-ng and sox, for smoke training and tests."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass

import numpy as np
import soundfile

from livekr.config import SAMPLE_RATE

GAIN_DB = -10.0
"""espeak-ng renders near full scale; this brings it to a talking level."""
VOICES = ("ko", "ko+f3", "ko+m3", "ko+f2", "ko+m7")


class SynthError(Exception):
    """espeak-ng or sox is missing or failed."""


@dataclass(frozen=True)
class Voice:
    """How espeak-ng speaks."""

    name: str = "ko"
    """espeak-ng voice, e.g. "ko" or with a variant "ko+f3"."""
    speed_wpm: int = 150
    pitch: int = 50
    """0..99."""


def require_tools() -> None:
    """Raise ``SynthError`` naming what to install when espeak-ng or sox is missing."""
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        raise SynthError(
            f"{' and '.join(missing)} not found; install them (Debian/Ubuntu: "
            "sudo apt install espeak-ng sox)"
        )


def synthesize(text: str, voice: Voice | None = None, gain_db: float = GAIN_DB) -> np.ndarray:
    """Speak ``text`` in Korean; returns float32 mono samples at 16 kHz."""
    require_tools()
    voice = voice or Voice()
    speak = [
        "espeak-ng", "-v", voice.name, "-s", str(voice.speed_wpm), "-p", str(voice.pitch),
        "--stdout", text,
    ]
    convert = [
        "sox", "-t", "wav", "-", "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-t", "wav", "-",
        "gain", str(gain_db),
    ]
    try:
        wav = subprocess.run(speak, capture_output=True, check=True).stdout
        out = subprocess.run(convert, input=wav, capture_output=True, check=True).stdout
    except subprocess.CalledProcessError as e:
        raise SynthError(f"{e.cmd[0]} failed: {e.stderr.decode(errors='replace').strip()}") from e
    samples, rate = soundfile.read(io.BytesIO(out), dtype="float32")
    if rate != SAMPLE_RATE:
        raise SynthError(f"sox produced {rate} Hz instead of {SAMPLE_RATE} Hz")
    return samples
