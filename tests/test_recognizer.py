"""Greedy CTC decoding, device planning, and loading real (tiny) checkpoints."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import numpy as np
import pytest

from livekr.config import RecognizerOptions
from livekr.recognizer import (
    ModelLoadError,
    greedy_decode,
    load_recognizer,
    looks_like_path,
    plan_device,
    read_card,
)

VOCAB = ["[PAD]", "[UNK]", "|", "ᄀ", "ᅡ", "ᆫ", "ᄂ", "가"]
FRAME_S = 0.02


def log_probs_for(ids: list[int], confidence: float = 0.9) -> np.ndarray:
    """Frames whose best token is ``ids[t]`` with probability ``confidence``."""
    rest = (1 - confidence) / (len(VOCAB) - 1)
    probs = np.full((len(ids), len(VOCAB)), rest)
    probs[np.arange(len(ids)), ids] = confidence
    return np.log(probs)


def test_greedy_decode_collapses_repeats_drops_blanks_and_composes_jamo() -> None:
    # ᄀ ᄀ _ ᅡ ᆫ | ᄂ ᅡ  → "간 나"
    lp = log_probs_for([3, 3, 0, 4, 5, 2, 6, 4])
    text, chars = greedy_decode(lp, VOCAB, blank_id=0, frame_s=FRAME_S)
    assert text == "간 나"
    assert [c.char for c in chars] == ["간", "나"]
    assert chars[0].start_s == 0.0 and chars[0].end_s == pytest.approx(5 * FRAME_S)
    assert chars[1].start_s == pytest.approx(6 * FRAME_S)
    assert chars[1].end_s == pytest.approx(8 * FRAME_S)


def test_blank_between_repeats_keeps_both() -> None:
    lp = log_probs_for([7, 0, 7, 7])
    assert greedy_decode(lp, VOCAB, 0, FRAME_S)[0] == "가가"


def test_syllable_confidence_is_the_weakest_jamo() -> None:
    lp = np.concatenate([log_probs_for([3], 0.9), log_probs_for([4], 0.4)])
    _, chars = greedy_decode(lp, VOCAB, 0, FRAME_S)
    assert chars[0].char == "가"
    assert chars[0].confidence == pytest.approx(0.4)


def test_special_tokens_and_edge_spaces_are_dropped() -> None:
    lp = log_probs_for([2, 1, 7, 2, 2, 0, 2])
    text, chars = greedy_decode(lp, VOCAB, 0, FRAME_S, skip_ids=frozenset({1}))
    assert text == "가"
    assert len(chars) == 1


def test_empty_input_decodes_to_nothing() -> None:
    assert greedy_decode(np.zeros((0, len(VOCAB))), VOCAB, 0, FRAME_S) == ("", ())


def test_plan_device_falls_back_with_warnings(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        plan = plan_device(RecognizerOptions(device="cuda", dtype="fp16"), False, False)
    assert (plan.device, plan.dtype_name, plan.label) == ("cpu", "fp32", "CPU fp32")
    assert "CUDA" in caplog.text and "FP16" in caplog.text
    assert plan_device(RecognizerOptions(), True, True).label == "GPU fp16"
    assert plan_device(RecognizerOptions(), False, False).label == "CPU fp32"
    assert plan_device(RecognizerOptions(dtype="bf16"), False, False).dtype_name == "bf16"
    assert plan_device(RecognizerOptions(device="cuda:1", dtype="bf16"), True, False).dtype_name == "fp16"
    with pytest.raises(ValueError, match="device must be one of auto, cpu, cuda"):
        RecognizerOptions(device="tpu")  # options are checked where they are declared


def test_looks_like_path() -> None:
    assert looks_like_path("./model") and looks_like_path("/abs/model")
    assert not looks_like_path("kresnik/wav2vec2-large-xlsr-korean")


def test_read_card_tolerates_missing_and_broken_cards(tmp_path: Path) -> None:
    assert read_card(tmp_path) == {}
    (tmp_path / "livekr.json").write_text("{not json", encoding="utf-8")
    assert read_card(tmp_path) == {}
    (tmp_path / "livekr.json").write_text(json.dumps({"cer": 3.4}), encoding="utf-8")
    assert read_card(tmp_path) == {"cer": 3.4}


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["tiny_wav2vec2", "tiny_hubert"])
def test_tiny_checkpoints_load_and_transcribe(fixture: str, request: pytest.FixtureRequest, speak) -> None:
    folder = request.getfixturevalue(fixture)
    recognizer = load_recognizer(str(folder), RecognizerOptions(device="cpu"))
    assert recognizer.device_label == "CPU fp32"
    audio = speak("안녕하세요")
    result = recognizer.recognize(audio)
    assert result.audio_s == pytest.approx(audio.size / 16000)
    assert result.forward_s > 0
    assert len(result.chars) == len(result.text.replace(" ", ""))
    assert all(0 <= c.start_s < c.end_s <= result.audio_s + 0.05 for c in result.chars)
    assert 0 <= result.confidence <= 1
    assert not any(0x1100 <= ord(ch) <= 0x11FF for ch in result.text)  # jamo were composed
    assert recognizer.recognize(np.zeros(10, dtype=np.float32)).audio_s == pytest.approx(10 / 16000)


@pytest.mark.slow
def test_bf16_on_cpu_runs(tiny_wav2vec2: Path, speak) -> None:
    recognizer = load_recognizer(str(tiny_wav2vec2), RecognizerOptions(device="cpu", dtype="bf16"))
    assert recognizer.device_label == "CPU bf16"
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


def test_token_table_of_a_real_tokenizer_keeps_word_spaces(tmp_path: Path) -> None:
    from livekr.recognizer import TokenTable
    from livekr.text import build_vocab
    from trainer.scratch import build_processor

    vocab = build_vocab(["가 나"], "jamo")
    tokens = TokenTable.from_tokenizer(build_processor(tmp_path, vocab, True).tokenizer)
    ids = [vocab[t] for t in ["ᄀ", "ᅡ", "|", "ᄂ", "ᅡ"]] + [vocab["[UNK]"], vocab["[PAD]"]]
    lp = np.log(np.full((len(ids), len(vocab)), 1e-3))
    lp[np.arange(len(ids)), ids] = 0.0
    assert tokens.decode(lp, FRAME_S)[0] == "가 나"
    assert tokens.decode_ids(np.array(ids)) == "가 나"
