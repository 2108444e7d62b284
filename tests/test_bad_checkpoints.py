"""Damaged and mismatched checkpoints are refused at load with one line saying what is wrong
and what to do: never a traceback, never a model that loads and then says nothing or the
wrong thing. Each case corrupts a copy of a tiny real checkpoint."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile

from livekr.config import SAMPLE_RATE
from livekr.recognizer import ModelLoadError, load_recognizer
from livekr.text import SPECIAL_TOKENS

pytestmark = pytest.mark.slow

SYLLABLE_OUTPUTS = 273
"""The head of the "big head" checkpoint: the three special tokens and 270 syllables."""


def copy_of(folder: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(folder, tmp_path / "checkpoint"))


def edit_json(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def edit_weights(folder: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    from safetensors.torch import load_file, save_file

    path = folder / "model.safetensors"
    tensors = load_file(str(path))
    edit(tensors)
    save_file(tensors, str(path), metadata={"format": "pt"})


def set_config(**values: Any) -> Callable[[Path], None]:
    return lambda folder: edit_json(folder / "config.json", lambda c: c.update(values))


def write_vocab(vocab: Any) -> Callable[[Path], None]:
    return lambda folder: (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))


@pytest.fixture(scope="module")
def big_head(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint with 273 outputs whose head always prefers the blank, so decoding never
    reaches past a short vocabulary and a wrong one goes unnoticed unless checked."""
    import torch

    from trainer.scratch import save_checkpoint

    vocab = {tok: i for i, tok in enumerate(SPECIAL_TOKENS)}
    vocab.update({chr(0xAC00 + i): len(SPECIAL_TOKENS) + i for i in range(SYLLABLE_OUTPUTS - 3)})
    folder = save_checkpoint(tmp_path_factory.mktemp("big-head"), "tiny-wav2vec2", vocab)

    def prefer_blank(tensors: dict[str, Any]) -> None:
        tensors["lm_head.bias"] = torch.full_like(tensors["lm_head.bias"], -50.0)
        tensors["lm_head.bias"][0] = 50.0

    edit_weights(folder, prefer_blank)
    assert load_recognizer(str(folder)).tokens.id_to_token[-1] == chr(0xAC00 + 269)  # loads as made
    return folder


def truncate(folder: Path) -> None:
    path = folder / "model.safetensors"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def fill_middle_with_nan_bytes(folder: Path) -> None:
    """4 KiB of 0xFF in the middle of the weights: every float32 there becomes NaN."""
    path = folder / "model.safetensors"
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4096] = b"\xff" * 4096
    path.write_bytes(bytes(data))


def one_nan_weight(folder: Path) -> None:
    def poison(tensors: dict[str, Any]) -> None:
        tensors["wav2vec2.feature_projection.projection.weight"][0, 0] = float("nan")

    edit_weights(folder, poison)


def drop_last_tokens(folder: Path) -> None:
    edit_json(folder / "vocab.json", lambda v: [v.pop(t) for t in sorted(v, key=v.get)[-5:]])


def short_vocab(n: int) -> Callable[[Path], None]:
    def cut(folder: Path) -> None:
        vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        write_vocab({t: i for t, i in vocab.items() if i < n})(folder)

    return cut


def vocab_of_another_model(folder: Path) -> None:
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    extra = {chr(0xAC00 + i): len(vocab) + i for i in range(40)}
    write_vocab({**vocab, **extra})(folder)


CASES: dict[str, tuple[str, Callable[[Path], None], str]] = {
    # name: (which checkpoint, corruption, what the one line must say)
    "truncated weights": ("tiny", truncate, r"model\.safetensors is damaged"),
    "empty weights": ("tiny", lambda f: (f / "model.safetensors").write_bytes(b""), "is damaged"),
    "random bytes as weights": (
        "tiny",
        lambda f: (f / "model.safetensors").write_bytes(np.random.default_rng(0).bytes(50_000)),
        r"model\.safetensors is damaged",
    ),
    "config hidden size differs": ("tiny", set_config(hidden_size=96), "differ in shape"),
    "config head size differs": ("tiny", set_config(vocab_size=10), r"lm_head\.\w+: 29 in the file, 10"),
    "config has more layers": ("tiny", set_config(num_hidden_layers=3), "missing from the file"),
    "config has fewer layers": ("tiny", set_config(num_hidden_layers=1), "no place in the model"),
    "vocab smaller than the head": ("tiny", drop_last_tokens, "names 24 of the model's 29 outputs"),
    "20 tokens for 273 outputs": ("big", short_vocab(20), "names 20 of the model's 273 outputs"),
    "empty vocab": ("big", write_vocab({}), r"vocab\.json is empty"),
    "vocab of a bigger model": ("tiny", vocab_of_another_model, "69 tokens .40 of them ordinary"),
    "one NaN weight": ("tiny", one_nan_weight, "NaN or infinite outputs"),
    "4 KiB of 0xFF bytes": ("tiny", fill_middle_with_nan_bytes, "NaN or infinite outputs"),
    "config.json not JSON": ("tiny", lambda f: (f / "config.json").write_text("{not json"), "not valid JSON"),
    "processor config not an object": (
        "tiny",
        lambda f: (f / "processor_config.json").write_text("[]"),
        r"processor_config\.json holds no JSON object",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_checkpoint_is_refused_in_one_line(
    case: str, tiny_wav2vec2: Path, big_head: Path, tmp_path: Path
) -> None:
    which, corrupt, expected = CASES[case]
    folder = copy_of(tiny_wav2vec2 if which == "tiny" else big_head, tmp_path)
    corrupt(folder)
    with pytest.raises(ModelLoadError, match=expected) as info:
        load_recognizer(str(folder))
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(folder))
    assert "unreachable" not in message and "hub" not in message  # a local folder, said so


@pytest.mark.parametrize("case", ["truncated weights", "config hidden size differs", "one NaN weight"])
def test_the_command_line_says_one_line_and_fails(
    case: str, tiny_wav2vec2: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from livekr.cli import main

    _, corrupt, expected = CASES[case]
    folder = copy_of(tiny_wav2vec2, tmp_path)
    corrupt(folder)
    audio = tmp_path / "speech.wav"
    soundfile.write(audio, np.zeros(SAMPLE_RATE, np.float32), SAMPLE_RATE)
    capfd.readouterr()
    assert main(["transcribe", str(audio), "--model", str(folder)]) == 1
    err = capfd.readouterr().err.splitlines()
    # "loading …", progress lines, and the reason: no load report, no traceback
    assert all(line.startswith("livekr: ") for line in err), err
    errors = [line for line in err if line.startswith("livekr: error: ")]
    assert len(errors) == 1 and err[-1] == errors[0] and re.search(expected, errors[0])


def test_weights_only_training_uses_may_be_missing(tiny_wav2vec2: Path, tmp_path: Path) -> None:
    folder = copy_of(tiny_wav2vec2, tmp_path)
    edit_weights(folder, lambda tensors: tensors.pop("wav2vec2.masked_spec_embed"))
    assert load_recognizer(str(folder)).outputs == 29  # older checkpoints lack SpecAugment's vector
