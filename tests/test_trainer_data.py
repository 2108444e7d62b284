"""Training data: manifests with bad rows, the Zeroth folder layout, encoding and padding."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

from livekr.text import build_vocab
from trainer.data import (
    DataError,
    Example,
    load_audio,
    read_examples,
    read_manifest,
    read_zeroth_folder,
)
from trainer.finetune import CTCCollator, encode_example
from trainer.metrics import error_rates
from trainer.scratch import build_processor
from trainer.synth import split_sentences


def write(path: Path, seconds: float, rate: int = 16000, channels: int = 1) -> Path:
    rng = np.random.default_rng(0)
    data = (rng.standard_normal((int(seconds * rate), channels)) * 0.1).astype(np.float32)
    soundfile.write(path, data, rate)
    return path


def test_manifest_skips_bad_rows_with_counts(tmp_path: Path) -> None:
    write(tmp_path / "ok.wav", 1.0)
    write(tmp_path / "stereo48k.wav", 1.0, rate=48000, channels=2)
    write(tmp_path / "long.wav", 30.0)
    (tmp_path / "text.wav").write_text("not audio", encoding="utf-8")
    rows = [
        {"audio": "ok.wav", "text": "안녕하세요."},
        {"audio": "stereo48k.wav", "text": "반갑습니다"},
        {"audio": "missing.wav", "text": "없는 파일"},
        {"audio": "ok.wav", "text": "  ...  "},
        {"audio": "ok.wav", "text": "hello world"},
        {"audio": "long.wav", "text": "너무 길어요"},
        {"audio": "text.wav", "text": "글자 파일"},
    ]
    manifest = tmp_path / "m.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in rows] + ["{broken", ""]
    manifest.write_text("\n".join(lines), encoding="utf-8")
    examples, report = read_manifest(manifest, 0.3, 20.0)
    assert [e.text for e in examples] == ["안녕하세요", "반갑습니다"]
    assert report.counts == {
        "missing audio file": 1,
        "empty text": 1,
        "text without Hangul": 1,
        "longer than 20 s": 1,
        "unreadable audio": 1,
        "malformed line": 1,
    }
    assert report.total == 6 and "1 missing audio file" in report.summary()
    audio = load_audio(examples[1].audio)
    assert audio.ndim == 1 and audio.size == pytest.approx(16000, abs=2)


def test_missing_manifest_and_empty_folder_raise(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such manifest"):
        read_examples(str(tmp_path / "x.jsonl"), "train", 0.3, 20)
    with pytest.raises(DataError, match="OpenSLR-40"):
        read_examples(str(tmp_path), "train", 0.3, 20)


def test_zeroth_openslr_layout(tmp_path: Path) -> None:
    chapter = tmp_path / "train_data_01" / "003" / "106"
    chapter.mkdir(parents=True)
    write(chapter / "106_003_0001.flac", 1.2)
    write(chapter / "106_003_0002.flac", 0.8)
    (chapter / "106_003.trans.txt").write_text(
        "106_003_0001 그는 괜찮은 척하려고 애쓰는 것 같았다\n106_003_0002 경찰은 사건을 조사했다\n"
        "106_003_0003 파일이 없는 문장\n",
        encoding="utf-8",
    )
    examples, report = read_zeroth_folder(tmp_path, "train", 0.3, 20)
    assert [e.name for e in examples] == ["106_003_0001", "106_003_0002"]
    assert examples[0].duration_s == pytest.approx(1.2)
    assert report.counts == {"missing audio file": 1}


def test_encoding_and_padding(tmp_path: Path) -> None:
    vocab = build_vocab(["안녕 하세요", "가"], "jamo")
    processor = build_processor(tmp_path, vocab, normalize_audio=True)
    short, long = write(tmp_path / "a.wav", 0.5), write(tmp_path / "b.wav", 1.0)
    features = [
        encode_example(Example(str(p), t, d), processor, "jamo")
        for p, t, d in ((short, "가", 0.5), (long, "안녕 하세요", 1.0))
    ]
    assert features[0]["labels"] == [vocab["ᄀ"], vocab["ᅡ"]]
    assert vocab["|"] in features[1]["labels"]
    batch = CTCCollator(processor)(features)
    assert tuple(batch["input_values"].shape) == (2, 16000)
    labels = batch["labels"]
    assert labels.shape[0] == 2 and (labels[0, 2:] == -100).all()
    assert (labels[1] != -100).all()


def test_error_rates_normalise_first() -> None:
    rates = error_rates(["대한민국은, 민주공화국이다."], ["대한민국은 민주공화국이다"])
    assert rates.cer == 0 and rates.wer == 0
    assert error_rates(["가나다"], ["가나"]).cer == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        error_rates(["가"], [])


def test_sentence_split_is_disjoint_and_seeded() -> None:
    sentences = [f"문장 {i}" for i in range(50)]
    train, held = split_sentences(sentences, 0.1, seed=1)
    assert len(held) == 5 and not set(train) & set(held)
    assert split_sentences(sentences, 0.1, seed=1) == (train, held)


def test_hub_style_parquet_dataset(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    from trainer.data import read_hub_dataset

    clip = write(tmp_path / "c.wav", 1.0, rate=22050, channels=2)
    rows = {
        "audio": [{"bytes": clip.read_bytes(), "path": None}] * 3,
        "text": ["안녕하세요", "", "반갑습니다"],
    }
    folder = tmp_path / "zeroth-like"
    (folder / "data").mkdir(parents=True)
    table = datasets.Dataset.from_dict(rows).cast_column("audio", datasets.Audio(decode=False))
    table.to_parquet(str(folder / "data" / "train-00000-of-00001.parquet"))
    examples, report = read_hub_dataset(str(folder), "train", 0.3, 20.0)
    assert [e.text for e in examples] == ["안녕하세요", "반갑습니다"]
    assert report.counts == {"empty text": 1}
    assert isinstance(examples[0].audio, bytes)
    assert load_audio(examples[0].audio).size == pytest.approx(16000, abs=2)


def test_ctc_metrics_decode_best_path_ids_in_order(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from livekr.ctc import TokenTable
    from trainer.finetune import CTCMetrics

    vocab = build_vocab(["가 나"], "jamo")
    tokens = TokenTable.from_tokenizer(build_processor(tmp_path, vocab, True).tokenizer)
    row = [vocab[t] for t in ["ᄀ", "ᄀ", "[PAD]", "ᅡ", "|", "ᄂ", "ᅡ"]]
    padded = row[:2] + [-100] * 5  # a shorter prediction padded by the Trainer: "ᄀ" alone
    metrics = CTCMetrics(tokens, ["가 나", "가"])
    result = metrics(SimpleNamespace(predictions=np.array([row, padded])))
    assert result["wer"] == pytest.approx(1 / 3)  # "ㄱ" for "가": one word of three wrong
    with pytest.raises(ValueError, match="predictions"):
        metrics(SimpleNamespace(predictions=np.array([row])))
