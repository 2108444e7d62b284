"""Synthetic Korean speech with espeak-ng and sox, for smoke training and tests.

The sentences come with the package (``DEFAULT_SENTENCES``) and the corpus goes to one
folder, ``corpus_dir()``, where the ``tiny-synthetic`` preset reads it, whatever the
current folder.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import platformdirs
import soundfile

from livekr.config import SAMPLE_RATE
from livekr.models import APP_NAME

GAIN_DB = -10.0
"""espeak-ng renders near full scale; this brings it to a talking level."""
VOICES = ("ko", "ko+f3", "ko+m3", "ko+f2", "ko+m7")
DEFAULT_SENTENCES = Path(__file__).resolve().parent / "corpus" / "ko_sentences.txt"
"""Everyday Korean sentences written for livekr (see ``corpus/README.md``)."""
CORPUS_DIR_ENV = "LIVEKR_SYNTH_DIR"


def corpus_dir() -> Path:
    """Where ``livekr-train synth`` writes its corpus by default and the ``tiny-synthetic``
    preset reads it: ``$LIVEKR_SYNTH_DIR``, else ``synth`` in livekr's user data folder."""
    override = os.environ.get(CORPUS_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return platformdirs.user_data_path(APP_NAME) / "synth"


def read_sentences(path: str | Path) -> list[str]:
    """The non-empty lines of a UTF-8 sentence file, stripped."""
    return [line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


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
            f"{' and '.join(missing)} not found; install them (Debian/Ubuntu: sudo apt install espeak-ng sox)"
        )


def synthesize(text: str, voice: Voice | None = None, gain_db: float = GAIN_DB) -> np.ndarray:
    """Speak ``text`` in Korean; returns float32 mono samples at 16 kHz."""
    require_tools()
    voice = voice or Voice()
    speak = [
        "espeak-ng",
        "-v",
        voice.name,
        "-s",
        str(voice.speed_wpm),
        "-p",
        str(voice.pitch),
        "--stdout",
        text,
    ]
    convert = [
        "sox",
        "-t",
        "wav",
        "-",
        "-r",
        str(SAMPLE_RATE),
        "-c",
        "1",
        "-b",
        "16",
        "-t",
        "wav",
        "-",
        "gain",
        str(gain_db),
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


@dataclass(frozen=True)
class CorpusPlan:
    """Which renderings of which sentences a synthetic corpus holds."""

    voices: tuple[str, ...] = VOICES[:-1]
    """Voices used for training (and the held-out-sentence evaluation)."""
    heldout_voice: str | None = VOICES[-1]
    """A voice kept out of training entirely, for its own evaluation manifest."""
    speeds_wpm: tuple[int, ...] = (130, 160)
    pitches: tuple[int, ...] = (35, 60)
    eval_share: float = 0.1
    """Share of sentences kept out of training."""
    noise_db: float | None = -45.0
    """White noise level (dBFS) mixed into half of the clips; None for none."""
    seed: int = 42


def split_sentences(sentences: list[str], eval_share: float, seed: int) -> tuple[list[str], list[str]]:
    """(training, held-out) sentences: a seeded shuffle, at least one held out when asked."""
    order = list(dict.fromkeys(sentences))
    np.random.default_rng(seed).shuffle(order)
    n_eval = max(1, round(len(order) * eval_share)) if eval_share > 0 else 0
    return order[n_eval:], order[:n_eval]


def add_noise(samples: np.ndarray, noise_db: float, rng: np.random.Generator) -> np.ndarray:
    """``samples`` with white noise at ``noise_db`` dBFS RMS."""
    noise = rng.standard_normal(samples.size).astype(np.float32) * (10 ** (noise_db / 20))
    return np.clip(samples + noise, -1.0, 1.0)


@dataclass(frozen=True)
class _Clip:
    sentence: str
    voice: Voice
    path: Path
    noisy: bool


def _render(clip: _Clip, noise_db: float | None, seed: int) -> None:
    samples = synthesize(clip.sentence, clip.voice)
    if clip.noisy and noise_db is not None:
        samples = add_noise(samples, noise_db, np.random.default_rng(seed))
    soundfile.write(clip.path, samples, SAMPLE_RATE)


def render_manifest(
    sentences: list[str], voices: tuple[str, ...], plan: CorpusPlan, out: Path, name: str, jobs: int = 2
) -> Path:
    """Speak every sentence in every voice/speed/pitch, write FLACs and ``name``.jsonl."""
    audio_dir = out / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([plan.seed, len(name)])
    clips = [
        _Clip(
            sentence,
            Voice(voice, speed, pitch),
            audio_dir / f"{name}_{i:04d}_{voice.replace('+', '_')}_{speed}_{pitch}.flac",
            bool(rng.random() < 0.5),
        )
        for i, sentence in enumerate(sentences)
        for voice in voices
        for speed in plan.speeds_wpm
        for pitch in plan.pitches
    ]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(lambda ic: _render(ic[1], plan.noise_db, plan.seed + ic[0]), enumerate(clips)))
    manifest = out / f"{name}.jsonl"
    with manifest.open("w", encoding="utf-8") as f:
        for clip in clips:
            row = {
                "audio": str(clip.path.relative_to(out)),
                "text": clip.sentence,
                "voice": clip.voice.name,
                "speed_wpm": clip.voice.speed_wpm,
                "pitch": clip.voice.pitch,
                "noise": clip.noisy,
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return manifest


def make_corpus(
    sentences: list[str], out: str | Path, plan: CorpusPlan | None = None, jobs: int = 2
) -> dict[str, Path]:
    """Write a synthetic corpus: ``train.jsonl``, ``eval.jsonl`` (held-out sentences) and,
    with a held-out voice, ``eval_voice.jsonl`` (held-out sentences in that voice)."""
    require_tools()
    plan = plan or CorpusPlan()
    out = Path(out)
    train, heldout = split_sentences([s.strip() for s in sentences if s.strip()], plan.eval_share, plan.seed)
    manifests = {"train": render_manifest(train, plan.voices, plan, out, "train", jobs)}
    if heldout:
        manifests["eval"] = render_manifest(heldout, plan.voices, plan, out, "eval", jobs)
        if plan.heldout_voice:
            manifests["eval_voice"] = render_manifest(
                heldout, (plan.heldout_voice,), plan, out, "eval_voice", jobs
            )
    return manifests
