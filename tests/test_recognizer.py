"""Device planning, and loading real (tiny) checkpoints."""

from __future__ import annotations

import logging
import math
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from livekr.config import RecognizerOptions
from livekr.cpu import this_cpu
from livekr.recognizer import ModelLoadError, load_recognizer, looks_like_path, plan_device


def test_plan_device_falls_back_with_warnings(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        plan = plan_device(RecognizerOptions(device="cuda", dtype="fp16"), False, False)
    assert (plan.device, plan.dtype_name, plan.label) == ("cpu", "fp32", "CPU fp32")
    assert "CUDA" in caplog.text and "FP16" in caplog.text
    assert plan_device(RecognizerOptions(), True, True).label == "GPU fp16"
    assert plan_device(RecognizerOptions(), False, False).dtype_name == "auto"  # measured at load
    assert plan_device(RecognizerOptions(dtype="bf16"), False, False, cpu_bf16=True).dtype_name == "bf16"
    assert plan_device(RecognizerOptions(device="cuda:1", dtype="bf16"), True, False).dtype_name == "fp16"
    with pytest.raises(ValueError, match="device must be one of auto, cpu, cuda"):
        RecognizerOptions(device="tpu")  # options are checked where they are declared


def test_looks_like_path() -> None:
    assert looks_like_path("./model") and looks_like_path("/abs/model")
    assert not looks_like_path("kresnik/wav2vec2-large-xlsr-korean")


def syllables(text: str) -> list[str]:
    return [ch for ch in text if 0xAC00 <= ord(ch) <= 0xD7A3]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["torch", "onnx"])
@pytest.mark.parametrize("fixture", ["tiny_wav2vec2", "tiny_hubert"])
def test_tiny_checkpoints_load_and_transcribe(
    fixture: str, backend: str, request: pytest.FixtureRequest, speak
) -> None:
    """Every backend keeps the interface: name, device_label, frame_s, tokens, log_posteriors
    and recognize."""
    folder = request.getfixturevalue(fixture)
    recognizer = load_recognizer(str(folder), RecognizerOptions(device="cpu", backend=backend, dtype="fp32"))
    assert recognizer.backend == backend and recognizer.name == str(folder)
    assert recognizer.device_label == {"torch": "CPU fp32", "onnx": "CPU ONNX fp32 (parity 100.0%)"}[backend]
    assert recognizer.frame_s == pytest.approx(0.02)
    audio = speak("안녕하세요")
    result = recognizer.recognize(audio)
    assert result.audio_s == pytest.approx(audio.size / 16000)
    assert result.forward_s > 0
    assert len(result.chars) == len(result.text.replace(" ", ""))
    assert all(0 <= c.start_s < c.end_s <= result.audio_s + 0.05 for c in result.chars)
    assert 0 <= result.confidence <= 1
    # The syllables are those Unicode composes (NFC) from the tokenizer's own spelling of the
    # best path, with the unknown tokens livekr drops left out; no conjoining jamo remain.
    log_posteriors = recognizer.log_posteriors(audio)
    assert log_posteriors.dtype == np.float32 and log_posteriors.shape[1] == recognizer.outputs
    np.testing.assert_allclose(np.exp(log_posteriors).sum(axis=1), 1.0, rtol=1e-4)
    best = log_posteriors.argmax(axis=1).tolist()
    from transformers import AutoTokenizer  # the checkpoint's own tokenizer, whatever the recognizer kept

    spelled = AutoTokenizer.from_pretrained(str(folder)).decode(best).replace("[UNK]", "")
    expected = syllables(unicodedata.normalize("NFC", spelled))
    assert expected and syllables(result.text) == expected
    assert not any(0x1100 <= ord(ch) <= 0x11FF for ch in result.text)
    assert recognizer.recognize(np.zeros(10, dtype=np.float32)).audio_s == pytest.approx(10 / 16000)


@pytest.mark.slow
def test_bf16_on_cpu_only_where_native(tiny_wav2vec2: Path, speak, caplog: pytest.LogCaptureFixture) -> None:
    """bf16 runs where the CPU has it natively (with its parity shown); elsewhere fp32 with a
    warning, because emulated bf16 is about 25x slower."""
    options = RecognizerOptions(device="cpu", backend="torch", dtype="bf16", min_agreement=0.0)
    with caplog.at_level(logging.WARNING):
        recognizer = load_recognizer(str(tiny_wav2vec2), options)
    if this_cpu().native_bf16:
        assert recognizer.dtype_name == "bf16" and recognizer.agreement is not None
        assert recognizer.device_label == f"CPU bf16 (parity {recognizer.agreement:.1%})"
    else:
        assert recognizer.device_label == "CPU fp32" and "25x slower" in caplog.text
    result = recognizer.recognize(speak("안녕하세요"))
    assert math.isfinite(result.confidence)


def test_folder_without_config_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"no config\.json"):
        load_recognizer(str(tmp_path))


def test_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="no such checkpoint folder"):
        load_recognizer(str(tmp_path / "nope"))


@pytest.mark.slow
def test_checkpoint_without_tokenizer_is_refused(tiny_wav2vec2: Path, tmp_path: Path) -> None:
    for name in ("config.json", "model.safetensors", "preprocessor_config.json", "processor_config.json"):
        if (tiny_wav2vec2 / name).exists():
            (tmp_path / name).write_bytes((tiny_wav2vec2 / name).read_bytes())
    with pytest.raises(ModelLoadError, match="tokenizer"):
        load_recognizer(str(tmp_path))


@pytest.mark.slow
def test_non_ctc_model_folder_is_refused(tmp_path: Path, korean_vocab: dict[str, int]) -> None:
    from transformers import Wav2Vec2Config, Wav2Vec2Model

    from trainer.scratch import build_processor

    config = Wav2Vec2Config(
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        conv_dim=(16,) * 7,
        num_conv_pos_embeddings=8,
        num_conv_pos_embedding_groups=2,
    )
    Wav2Vec2Model(config).save_pretrained(tmp_path)
    build_processor(tmp_path, korean_vocab, True).save_pretrained(tmp_path)
    with pytest.raises(ModelLoadError, match="not a CTC"):
        load_recognizer(str(tmp_path))


@pytest.mark.slow
def test_weights_only_as_pickle_are_refused(tiny_wav2vec2: Path, tmp_path: Path) -> None:
    import torch
    from safetensors.torch import load_file

    for f in tiny_wav2vec2.iterdir():
        if f.name != "model.safetensors":
            (tmp_path / f.name).write_bytes(f.read_bytes())
    torch.save(load_file(str(tiny_wav2vec2 / "model.safetensors")), tmp_path / "pytorch_model.bin")
    with pytest.raises(ModelLoadError, match="safetensors"):
        load_recognizer(str(tmp_path))


def test_unknown_hub_id_offline_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelLoadError, match="unreachable") as info:
        load_recognizer("nobody-livekr/not-a-model")
    assert "checkpoint folder" in str(info.value)
