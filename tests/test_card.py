"""The livekr.json model card (livekr.card)."""

from __future__ import annotations

import json
from pathlib import Path

from livekr.card import read_card


def test_read_card_tolerates_missing_and_broken_cards(tmp_path: Path) -> None:
    assert read_card(tmp_path) == {}
    (tmp_path / "livekr.json").write_text("{not json", encoding="utf-8")
    assert read_card(tmp_path) == {}
    (tmp_path / "livekr.json").write_text(json.dumps({"cer": 3.4}), encoding="utf-8")
    assert read_card(tmp_path) == {"cer": 3.4}
