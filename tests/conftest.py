"""Shared fixtures: tiny real checkpoints, synthetic Korean speech, the real speech folder,
and a scripted recognizer for pipeline tests."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from livekr.config import SAMPLE_RATE
from livekr.recognizer import Recognition
from livekr.text import build_vocab, normalize
from livekr.transcript import CharSpan

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

REPO = Path(__file__).resolve().parents[1]
KO_SPEECH = REPO.parent / "shared" / "data" / "ko_speech"
KO_TEXT = REPO.parent / "shared" / "data" / "ko_text" / "constitution_phrases.txt"
SENTENCES = ("안녕하세요 반갑습니다", "대한민국은 민주공화국이다", "오늘 날씨가 좋습니다")


@pytest.fixture(scope="session", autouse=True)
def livekr_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """livekr's cache (ONNX conversions, remembered backend measurements) in a temporary
    folder for the whole run, subprocesses included; the user's cache is never touched."""
    path = tmp_path_factory.mktemp("livekr-cache")
    old = os.environ.get("LIVEKR_CACHE_DIR")
    os.environ["LIVEKR_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("LIVEKR_CACHE_DIR", None)
    else:
        os.environ["LIVEKR_CACHE_DIR"] = old


@pytest.fixture(autouse=True)
def _stop_signal_handlers_restored() -> Iterator[None]:
    """A command run in-process may leave the stop signals ignored after one came (as it
    should while it exits); later tests and their subprocesses start from the defaults."""
    names = [n for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)]
    saved = {n: signal.getsignal(getattr(signal, n)) for n in names}
    yield
    for name, handler in saved.items():
        if handler is not None:
            signal.signal(getattr(signal, name), handler)


@pytest.fixture(scope="session")
def ko_speech() -> list[dict]:
    """Rows of ../shared/data/ko_speech/manifest.jsonl with absolute paths; skips if absent."""
    manifest = KO_SPEECH / "manifest.jsonl"
    if not manifest.is_file():
        pytest.skip("real Korean speech (../shared/data/ko_speech) is not available here")
    rows = [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines() if line]
    for row in rows:
        row["path"] = str(KO_SPEECH / row["audio"])
    return rows


@pytest.fixture(scope="session")
def korean_vocab() -> dict[str, int]:
    return build_vocab([normalize(s) for s in SENTENCES], "jamo")


@pytest.fixture(scope="session")
def tiny_wav2vec2(tmp_path_factory: pytest.TempPathFactory, korean_vocab: dict[str, int]) -> Path:
    """A Wav2Vec2ForCTC checkpoint folder with random weights and a Korean jamo vocabulary."""
    from trainer.scratch import save_checkpoint

    return save_checkpoint(tmp_path_factory.mktemp("tiny-w2v2"), "tiny-wav2vec2", korean_vocab)


@pytest.fixture(scope="session")
def tiny_hubert(tmp_path_factory: pytest.TempPathFactory, korean_vocab: dict[str, int]) -> Path:
    """A HubertForCTC checkpoint folder with random weights and a Korean jamo vocabulary."""
    from trainer.scratch import save_checkpoint

    return save_checkpoint(tmp_path_factory.mktemp("tiny-hubert"), "tiny-hubert", korean_vocab)


@pytest.fixture(scope="session")
def speak() -> Callable[..., np.ndarray]:
    """espeak-ng Korean speech as float32 at 16 kHz; skips when espeak-ng/sox are missing."""
    from trainer.synth import SynthError, Voice, require_tools, synthesize

    try:
        require_tools()
    except SynthError as e:
        pytest.skip(str(e))
    cache: dict[tuple[str, str], np.ndarray] = {}

    def _speak(text: str, voice: str = "ko") -> np.ndarray:
        key = (text, voice)
        if key not in cache:
            cache[key] = synthesize(text, Voice(voice))
        return cache[key].copy()

    return _speak


@pytest.fixture(scope="session")
def two_hour_noise(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two hours of faint white noise (-66 dBFS) as FLAC, made by sox; skips without sox."""
    if shutil.which("sox") is None:
        pytest.skip("sox is not installed")
    path = tmp_path_factory.mktemp("long") / "two_hours.flac"
    noise = ["synth", "7200", "whitenoise", "vol", "0.0005"]
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(path), *noise], check=True)
    return path


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)


class ScriptedRecognizer:
    """A recognizer that answers from a script, optionally slowly, and records its calls.

    ``texts`` are returned in turn for finals (audio of the full utterance); partial calls
    get ``partial_text``. ``gate``, when given, must be set before each call returns, so a
    test can hold the worker busy without sleeping.
    """

    name = "scripted"
    device_label = "test"

    def __init__(
        self,
        texts: Sequence[str] = ("가나다",),
        gate: threading.Event | None = None,
        fail_on: int | None = None,
    ) -> None:
        self.texts = list(texts)
        self.gate = gate
        self.fail_on = fail_on
        self.calls: list[int] = []
        self.returned = 0
        """Calls that have come back (with text or an error)."""
        self.entered = threading.Event()
        self._n = 0
        self._lock = threading.Lock()

    def recognize(self, audio: np.ndarray) -> Recognition:
        with self._lock:
            n = self._n
            self._n += 1
            self.calls.append(audio.size)
        self.entered.set()
        if self.gate is not None:
            self.gate.wait()
        with self._lock:
            self.returned += 1
        if self.fail_on is not None and n == self.fail_on:
            raise RuntimeError("scripted failure")
        text = self.texts[n % len(self.texts)]
        chars = tuple(CharSpan(c, i * 0.1, i * 0.1 + 0.1, 0.9) for i, c in enumerate(text) if c != " ")
        return Recognition(text, chars, 0.9 if chars else 0.0, audio.size / SAMPLE_RATE, 0.01)
