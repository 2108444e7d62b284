"""The livekr.json model card (livekr.card)."""

from __future__ import annotations

import errno
import json
import subprocess
import sys
from pathlib import Path

import pytest

from livekr.card import CARD_NAME, read_card


def test_read_card_tolerates_missing_and_broken_cards(tmp_path: Path) -> None:
    assert read_card(tmp_path) == {}
    (tmp_path / "livekr.json").write_text("{not json", encoding="utf-8")
    assert read_card(tmp_path) == {}
    (tmp_path / "livekr.json").write_text(json.dumps({"cer": 3.4}), encoding="utf-8")
    assert read_card(tmp_path) == {"cer": 3.4}


WRITE_UNDER_A_FILE_SIZE_LIMIT = """
import resource, signal, sys
from pathlib import Path
from trainer.data import SkipReport
from trainer.finetune import DataArguments, ModelArguments, write_card

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (64, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
try:
    write_card(Path(sys.argv[1]), ModelArguments(), DataArguments(), 3, SkipReport(), None)
except OSError as e:
    print("failed", e.errno)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="uses RLIMIT_FSIZE to make a real write fail")
def test_a_failed_card_write_leaves_the_old_card(tmp_path: Path) -> None:
    old = {"base_model": "x", "cer": 12.5}
    (tmp_path / CARD_NAME).write_text(json.dumps(old), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-c", WRITE_UNDER_A_FILE_SIZE_LIMIT, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.split() == ["failed", str(errno.EFBIG)]  # the new card did not fit
    assert read_card(tmp_path) == old
    assert [p.name for p in tmp_path.iterdir()] == [CARD_NAME]  # no temporary file left
