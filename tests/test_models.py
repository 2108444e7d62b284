"""Where checkpoints are found, what their cards say, and the recent-models list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from livekr import models


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LIVEKR_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("LIVEKR_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path


def make_checkpoint(folder: Path, card: dict | None = None) -> Path:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}", encoding="utf-8")
    if card is not None:
        (folder / "livekr.json").write_text(json.dumps(card), encoding="utf-8")
    return folder


def test_models_dir_follows_the_environment(dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert models.models_dir() == dirs / "models"
    monkeypatch.delenv("LIVEKR_MODELS_DIR")
    assert models.models_dir().parts[-2:] == ("livekr", "models")


def test_list_checkpoints_reads_cards_and_skips_other_folders(dirs: Path) -> None:
    assert models.list_checkpoints() == []  # no folder yet
    make_checkpoint(dirs / "models" / "b-model", {"base_model": "x", "cer": 3.1, "wer": 12.5,
                                                     "normaliser_version": 1, "date": "2024-05-01"})
    make_checkpoint(dirs / "models" / "a-model")
    (dirs / "models" / "not-a-model").mkdir()
    (dirs / "models" / "notes.txt").write_text("hi", encoding="utf-8")
    found = models.list_checkpoints()
    assert [c.name for c in found] == ["a-model", "b-model"]
    assert found[0].card == {} and found[1].path == dirs / "models" / "b-model"
    lines = models.card_lines(found[1])
    assert lines == ["CER: 3.10 %", "WER: 12.50 %", "base model: x", "normaliser: 1",
                     "date: 2024-05-01"]


def test_hub_models_and_find_info(dirs: Path) -> None:
    refs = list(models.HUB_MODELS)
    assert refs == ["kresnik/wav2vec2-large-xlsr-korean", "Bingsu/distilhubert-ko-zeroth"]
    assert [m.ref for m in models.hub_models()] == refs
    assert all(m.path is None for m in models.hub_models())
    assert "CER: 1.78 %" in models.card_lines(models.find_info(refs[0]))
    assert "CER: 20.66 %" in models.card_lines(models.find_info(refs[1]))
    folder = make_checkpoint(dirs / "elsewhere", {"vocab_kind": "syllable"})
    assert models.find_info(str(folder)).card == {"vocab_kind": "syllable"}
    assert models.find_info("someone/model") == models.CheckpointInfo(
        "someone/model", "someone/model", None, {})


def test_recent_models_are_deduplicated_newest_first_and_capped(dirs: Path) -> None:
    assert models.recent_models() == []
    for i in range(10):
        models.remember_model(f"m{i}")
    models.remember_model("m5")
    recent = models.recent_models()
    assert recent[0] == "m5" and len(recent) == models.MAX_RECENT
    assert len(set(recent)) == len(recent) and recent[1:3] == ["m9", "m8"]


def test_unreadable_recent_list_is_ignored(dirs: Path) -> None:
    (dirs / "config").mkdir()
    (dirs / "config" / models.RECENT_FILE).write_text("{not json", encoding="utf-8")
    assert models.recent_models() == []
    assert models.remember_model("x") == ["x"]
