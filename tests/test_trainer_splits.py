"""What a training run evaluates on, and which units its vocabulary spells."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
import soundfile

from livekr.text import build_vocab, to_units
from trainer.data import DataArguments, DataError, Example, hold_out, read_splits
from trainer.finetune import ModelArguments, make_vocab
from trainer.scratch import build_processor

SENTENCES = [
    "오늘은 날씨가 맑네요",
    "버스 정류장이 어디에 있나요",
    "김치찌개가 먹고 싶어요",
    "회의는 오후 세 시에 시작합니다",
    "도서관에서 책을 빌렸어요",
    "감기에 걸려서 목이 아파요",
    "주말에 가족들과 여행을 갔어요",
    "이 옷은 얼마예요",
    "전화번호를 알려 주시겠어요",
    "다음에 또 만나요",
]


def examples(texts: list[str], clips_each: int = 1) -> list[Example]:
    names = [(f"{i}-{k}.wav", t) for i, t in enumerate(texts) for k in range(clips_each)]
    return [Example(name, text, 1.0, name) for name, text in names]


def write_manifest(folder: Path, texts: list[str], clips_each: int) -> Path:
    rng = np.random.default_rng(0)
    rows = []
    for i, text in enumerate(texts):
        for k in range(clips_each):
            name = f"clip_{i:02d}_{k}.wav"
            soundfile.write(folder / name, (rng.standard_normal(8000) * 0.1).astype(np.float32), 16000)
            rows.append(json.dumps({"audio": name, "text": text}, ensure_ascii=False))
    manifest = folder / "train.jsonl"
    manifest.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return manifest


def test_a_manifest_alone_is_not_scored_on_its_own_training_clips(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, SENTENCES, clips_each=4)  # 40 clips
    splits = read_splits(DataArguments(train_data=str(manifest)))
    train_names = {ex.name for ex in splits.train}
    held_names = {ex.name for ex in splits.evaluation}
    assert held_names and not train_names & held_names and len(train_names | held_names) == 40
    assert not {ex.text for ex in splits.train} & {ex.text for ex in splits.evaluation}
    assert 2 <= len(held_names) <= 4  # 5 % of 40, whole sentences of 4 clips
    assert splits.eval_data == f"held-out 5% of train.jsonl ({len(held_names)} clips)"


def test_given_eval_data_is_used_and_named(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, SENTENCES[:3], clips_each=1)
    other = tmp_path / "eval"
    other.mkdir()
    eval_manifest = write_manifest(other, SENTENCES[3:5], clips_each=1)
    splits = read_splits(DataArguments(train_data=str(manifest), eval_data=str(eval_manifest)))
    assert len(splits.train) == 3 and len(splits.evaluation) == 2
    assert splits.eval_data == f"{eval_manifest} (2 clips)"


def test_holding_out_is_deterministic_whole_sentences_and_bounded() -> None:
    clips = examples(SENTENCES, clips_each=3)
    kept, held = hold_out(clips, 0.1)
    assert len(held) == 3 and len({ex.text for ex in held}) == 1  # one whole sentence
    assert not {ex.text for ex in kept} & {ex.text for ex in held}
    assert sorted(kept + held, key=clips.index) == clips  # every clip once
    assert kept == sorted(kept, key=clips.index) and held == sorted(held, key=clips.index)
    again_held = hold_out(list(reversed(clips)), 0.1)[1]
    assert {ex.name for ex in again_held} == {ex.name for ex in held}  # row order does not matter
    # a sentence too big to hold out whole is passed over for a smaller one
    lopsided = examples(["많은 문장"] * 1, clips_each=9) + examples(["적은 문장"])
    assert [ex.text for ex in hold_out(lopsided, 0.05)[1]] == ["적은 문장"]


def test_one_sentence_everywhere_is_split_by_clip() -> None:
    kept, held = hold_out(examples(["같은 문장"], clips_each=5), 0.05)
    assert (len(kept), len(held)) == (4, 1)
    with pytest.raises(DataError, match="eval_data"):
        hold_out(examples(["하나"]), 0.05)


def test_a_jamo_tokenizer_sets_the_units(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    vocab = build_vocab(SENTENCES, "jamo")
    build_processor(tmp_path, vocab, normalize_audio=True).save_pretrained(tmp_path)
    args = ModelArguments(tokenizer=str(tmp_path))  # vocab_kind left at its default, syllable
    with caplog.at_level(logging.WARNING):
        got, kind = make_vocab(args, examples(SENTENCES))
    assert kind == "jamo" and "jamo" in caplog.text and "[UNK]" not in caplog.text
    tokenizer = build_processor(tmp_path / "again", got, normalize_audio=True).tokenizer
    labels = tokenizer(to_units(SENTENCES[0], kind)).input_ids
    assert labels and vocab["[UNK]"] not in labels


def test_text_a_tokenizer_cannot_spell_is_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    build_processor(tmp_path, build_vocab(SENTENCES[:1], "syllable"), True).save_pretrained(tmp_path)
    with caplog.at_level(logging.WARNING):
        _, kind = make_vocab(ModelArguments(tokenizer=str(tmp_path)), examples(SENTENCES[:2]))
    assert kind == "syllable" and "are not in the vocabulary" in caplog.text
