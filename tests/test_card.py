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


def test_livekr_eval_warns_when_the_card_names_another_normaliser(tmp_path: Path) -> None:
    from livekr.card import write_card
    from livekr.text import NORMALISER_VERSION
    from trainer.evaluate import normaliser_mismatch

    assert normaliser_mismatch(str(tmp_path)) is None  # no card
    assert normaliser_mismatch("someone/model") is None  # a hub id
    write_card(tmp_path, {"normaliser_version": NORMALISER_VERSION})
    assert normaliser_mismatch(str(tmp_path)) is None
    write_card(tmp_path, {"normaliser_version": NORMALISER_VERSION + 1})
    assert f"normaliser version {NORMALISER_VERSION + 1}" in str(normaliser_mismatch(str(tmp_path)))


def test_training_card_stores_percent_and_is_described_for_people(tmp_path: Path) -> None:
    import datetime

    from livekr.card import describe_card, training_card, write_card

    card = training_card(
        base_model="scratch:tiny-wav2vec2",
        preset=None,
        vocab_kind="jamo",
        normaliser_version=1,
        train_data="train.jsonl",
        eval_data="held-out 5% of train.jsonl (2 clips)",
        train_utterances=6,
        skipped={"empty text": 1},
        cer=0.1234,
        wer=0.5,
        eval_utterances=2,
        date=datetime.date(2024, 5, 1),
    )
    write_card(tmp_path, card)
    assert read_card(tmp_path) == card
    assert (card["cer"], card["wer"]) == (12.34, 50.0)
    assert describe_card(card) == [
        "CER: 12.34 %",
        "WER: 50.00 %",
        "base model: scratch:tiny-wav2vec2",
        "vocabulary: jamo",
        "normaliser: 1",
        "evaluated on: held-out 5% of train.jsonl (2 clips)",
        "training utterances: 6",
        "date: 2024-05-01",
    ]


RICH_CARD = {
    "cer": 3.456, "base_model": "facebook/wav2vec2-base", "vocab_kind": "syllable", "normaliser_version": 1,
    "normalizer_version": 2, "size": "95 MB",
    "scores": [{"manifest": "/data/test.jsonl", "cer": 2.5,
                "decoder": {"kind": "beam", "beam_size": 16, "lm": "lm.arpa", "lm_order": 5, "lm_weight": 0.5,
                            "hotwords": 12}},
               {"manifest": "dev.jsonl", "cer": 4, "decoder": {"kind": "greedy"}}],
    "lm": {"file": "lm.arpa", "order": 5, "units": "syllable", "ngrams": [1000, 20000]},
}


def test_a_card_is_described_in_english_for_the_command_line_and_in_korean_for_the_window() -> None:
    from livekr.card import describe_card

    assert describe_card(RICH_CARD) == describe_card(RICH_CARD, "en") == [
        "CER: 3.46 %",
        "CER (beam 16 + 5-gram LM (0.5) + 12 custom words, test.jsonl): 2.50 %",
        "CER (greedy, dev.jsonl): 4.00 %",
        "base model: facebook/wav2vec2-base",
        "vocabulary: syllable",
        "normaliser: 1",
        "download: 95 MB",
        "language model: 5-gram over syllable units, 21,000 n-grams (lm.arpa)",
    ]
    assert describe_card(RICH_CARD, "ko") == [
        "글자 오류율(CER): 3.46 %",
        "글자 오류율(CER, 빔 16 + 5-gram 언어 모델(0.5) + 사용자 단어 12개, test.jsonl): 2.50 %",
        "글자 오류율(CER, 그리디, dev.jsonl): 4.00 %",
        "기반 모델: facebook/wav2vec2-base",
        "어휘: syllable",
        "정규화 버전: 1",
        "받을 크기: 95 MB",
        "언어 모델: syllable 단위 5-gram, n-gram 21,000개 (lm.arpa)",
    ]
    assert describe_card({}, "ko") == []
