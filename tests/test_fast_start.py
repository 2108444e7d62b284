"""A checkpoint whose ONNX conversion was chosen before starts without torch: the recorded
processor computes what transformers' does, the second start imports neither torch nor
transformers and gives the same log-posteriors, and every case it cannot serve loads the full
way."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from livekr.backends import fast
from livekr.backends.choice import load_remembered
from livekr.backends.fast import RECORD_FILE, RecordedProcessor, read_record
from livekr.backends.onnx_runtime import OnnxRecognizer, model_folder
from livekr.checkpoint import model_digest, model_files, processor_files
from livekr.config import SAMPLE_RATE, RecognizerOptions
from livekr.ctc import TokenTable
from livekr.recognizer import load_recognizer

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("do_normalize", [True, False])
def test_recorded_features_are_those_of_transformers(do_normalize: bool) -> None:
    from transformers import Wav2Vec2FeatureExtractor

    extractor = Wav2Vec2FeatureExtractor(do_normalize=do_normalize)
    recorded = RecordedProcessor(TokenTable(("<pad>", "가"), 0, frozenset(), "|"), do_normalize, SAMPLE_RATE)
    audio = (0.2 * np.random.default_rng(3).standard_normal(SAMPLE_RATE) + 0.05).astype(np.float32)
    want = extractor(audio, sampling_rate=SAMPLE_RATE, return_tensors="np").input_values
    got = recorded.feature_extractor(audio, sampling_rate=SAMPLE_RATE, return_tensors="np").input_values
    assert got.shape == want.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, want, atol=1e-5)
    with pytest.raises(ValueError, match="16000 Hz"):
        recorded.feature_extractor(audio, sampling_rate=8000)


def onnx_options(**changes: object) -> RecognizerOptions:
    return RecognizerOptions(**{"device": "cpu", "backend": "onnx", "dtype": "fp32", **changes})  # type: ignore[arg-type]


START_AGAIN = """
import json, sys
import numpy as np
from pathlib import Path
from livekr.config import RecognizerOptions
from livekr.recognizer import load_recognizer
folder, cache = sys.argv[1], Path(sys.argv[2])
options = RecognizerOptions(device="cpu", backend="onnx", dtype="fp32")
recognizer = load_recognizer(folder, options, cache=cache)
audio = np.load(sys.argv[3])
print(json.dumps({"torch": "torch" in sys.modules, "transformers": "transformers" in sys.modules,
                  "label": recognizer.device_label, "tokens": list(recognizer.tokens.id_to_token),
                  "log_posteriors": recognizer.log_posteriors(audio).tolist()}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["tiny_wav2vec2", "tiny_hubert"])
def test_the_second_start_needs_neither_torch_nor_transformers(fixture: str, request: pytest.FixtureRequest,
                                                               tmp_path: Path, speak) -> None:  # type: ignore[no-untyped-def]
    folder = request.getfixturevalue(fixture)
    cache = tmp_path / "cache"
    first = load_recognizer(str(folder), onnx_options(), cache=cache)
    assert isinstance(first, OnnxRecognizer)
    record = model_folder(cache, model_digest(model_files(str(folder)))) / RECORD_FILE
    assert read_record(record.parent, processor_files(str(folder))) is not None
    audio_file = tmp_path / "audio.npy"
    audio = speak("안녕하세요 반갑습니다")
    np.save(audio_file, audio)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", START_AGAIN, str(folder), str(cache), str(audio_file)],
                         capture_output=True, text=True, check=True, env=env, timeout=120)
    started = json.loads(out.stdout)
    assert not started["torch"] and not started["transformers"]
    assert started["label"] == first.device_label == "CPU ONNX fp32 (parity 100.0%)"
    assert started["tokens"] == list(first.tokens.id_to_token)
    np.testing.assert_allclose(np.array(started["log_posteriors"]), first.log_posteriors(audio), atol=1e-5)


@pytest.mark.slow
def test_what_the_fast_start_cannot_serve_loads_the_full_way(tiny_wav2vec2: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    folder = Path(shutil.copytree(tiny_wav2vec2, tmp_path / "model"))
    ref = str(folder)
    assert load_remembered(ref, False, onnx_options(), None, cache, True) is None  # nothing chosen yet
    load_recognizer(ref, onnx_options(), cache=cache)
    fast_one = load_remembered(ref, False, onnx_options(), None, cache, True)
    assert isinstance(fast_one, OnnxRecognizer) and isinstance(fast_one.processor, RecordedProcessor)

    assert load_remembered(ref, False, onnx_options(backend="torch", dtype="auto"), None, cache, True) is None
    assert load_remembered(ref, False, onnx_options(dtype="int8"), None, cache, True) is None  # another dtype
    assert load_remembered(ref, False, onnx_options(threads=1), None, cache, True) is None  # not measured so
    assert load_remembered(ref, False, onnx_options(min_agreement=1.0), None, cache, True) is not None

    def no_ort() -> object:
        raise ImportError("No module named 'onnxruntime'")

    assert load_remembered(ref, False, onnx_options(), no_ort, cache, True) is None
    monkeypatch.setattr(fast, "cuda_possible", lambda: True)  # only torch can tell: the full load
    assert load_remembered(ref, False, onnx_options(device="auto"), None, cache, True) is None
    assert load_remembered(ref, False, onnx_options(device="cpu"), None, cache, True) is not None
    monkeypatch.undo()

    record = model_folder(cache, model_digest(model_files(ref))) / RECORD_FILE
    record.write_text(json.dumps({"format": 99}), encoding="utf-8")
    assert load_remembered(ref, False, onnx_options(), None, cache, True) is None
    full = load_recognizer(ref, onnx_options(), cache=cache)  # the full way writes it again
    assert isinstance(full, OnnxRecognizer) and read_record(record.parent, processor_files(ref)) is not None
    vocab = folder / "vocab.json"
    kept = vocab.read_bytes()
    vocab.write_bytes(kept.replace(b"}", b', "zz": 999}'))  # a processor edited since: no record holds
    assert load_remembered(ref, False, onnx_options(), None, cache, True) is None
    vocab.write_bytes(kept)
    assert load_remembered(ref, False, onnx_options(), None, cache, True) is not None
    (record.parent / "fp32.onnx").unlink()
    assert load_remembered(ref, False, onnx_options(), None, cache, True) is None
