"""Which model the window loads at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from livekr.gui.app import initial_model
from livekr.models import remember_model


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEKR_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("LIVEKR_CONFIG_DIR", str(tmp_path / "config"))


def test_asked_for_model_wins() -> None:
    remember_model("/some/recent")
    assert initial_model("/asked") == "/asked"


def test_then_the_last_used_then_a_local_one_then_none_for_the_first_run_chooser(tmp_path: Path) -> None:
    assert initial_model(None) == ""  # the first start asks instead of downloading unasked
    local = tmp_path / "models" / "mine"
    local.mkdir(parents=True)
    (local / "config.json").write_text("{}", encoding="utf-8")
    assert initial_model(None) == str(local)
    remember_model("/recent/one")
    assert initial_model(None) == "/recent/one"
