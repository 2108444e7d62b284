"""The reference presets reproduce the published recipes exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trainer.cli import main, preset_names

PUBLISHED = {
    "xlsr-300m-zeroth": {
        "model": {"base_model": "facebook/wav2vec2-xls-r-300m"},
        "training": {
            "learning_rate": 3e-4,
            "per_device_train_batch_size": 8,
            "gradient_accumulation_steps": 4,
            "adam_beta1": 0.9,
            "adam_beta2": 0.999,
            "adam_epsilon": 1e-8,
            "weight_decay": 0.0,
            "lr_scheduler_type": "linear",
            "warmup_steps": 2000,
            "num_train_epochs": 50,
            "seed": 42,
            "fp16": True,
        },
    },
    "distilhubert-zeroth": {
        "model": {"base_model": "ntu-spml/distilhubert"},
        "training": {
            "learning_rate": 1e-3,
            "per_device_train_batch_size": 16,
            "gradient_accumulation_steps": 2,
            "adam_beta1": 0.9,
            "adam_beta2": 0.999,
            "adam_epsilon": 1e-8,
            "weight_decay": 0.0,
            "lr_scheduler_type": "cosine_with_restarts",
            "warmup_steps": 500,
            "num_train_epochs": 10,
            "seed": 42,
            "fp16": True,
        },
    },
}


def dry_run(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    assert main([*args, "--dry-run"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("preset", sorted(PUBLISHED))
def test_reference_presets_match_the_published_recipes(
    preset: str, capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVEKR_MODELS_DIR", str(tmp_path))
    resolved = dry_run(["--preset", preset], capsys)
    expected = PUBLISHED[preset]
    for key, value in expected["model"].items():
        assert resolved["model"][key] == value
    training = resolved["training"]
    for key, value in expected["training"].items():
        assert training[key] == value, key
    total = training["per_device_train_batch_size"] * training["gradient_accumulation_steps"]
    assert total == 32
    assert training["optim"].startswith("adamw")  # Adam: AdamW with no weight decay
    assert resolved["data"]["train_data"] == "Bingsu/zeroth-korean"
    assert resolved["data"]["preset"] == preset
    assert training["output_dir"] == str(tmp_path / preset)


def test_command_line_overrides_the_preset(capsys, tmp_path: Path) -> None:
    out = tmp_path / "run"
    resolved = dry_run(
        [
            "--preset",
            "distilhubert-zeroth",
            "--learning_rate",
            "5e-4",
            "--output_dir",
            str(out),
            "--vocab_kind",
            "jamo",
        ],
        capsys,
    )
    assert resolved["training"]["learning_rate"] == 5e-4
    assert resolved["training"]["warmup_steps"] == 500
    assert resolved["training"]["output_dir"] == str(out)
    assert resolved["model"]["vocab_kind"] == "jamo"


def test_every_preset_resolves(capsys, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LIVEKR_MODELS_DIR", str(tmp_path))
    assert {"xlsr-300m-zeroth", "distilhubert-zeroth", "tiny-synthetic"} <= set(preset_names())
    for preset in preset_names():
        assert dry_run(["--preset", preset], capsys)["data"]["preset"] == preset


def test_unknown_preset_is_refused() -> None:
    with pytest.raises(SystemExit, match="unknown preset"):
        main(["--preset", "nope", "--dry-run"])
