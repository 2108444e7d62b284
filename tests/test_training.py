"""End to end on the CPU: synthetic corpus → a few training steps → the app and livekr-eval
load the checkpoint; the same command under torchrun with two processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SENTENCES = [
    "대한민국은 민주공화국이다",
    "모든 국민은 법 앞에 평등하다",
    "국회는 법률을 만든다",
    "대통령은 국가의 원수이다",
    "오늘 날씨가 좋습니다",
    "안녕하세요 반갑습니다",
]


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two strings (insertions, deletions, substitutions)."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, start=1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from trainer.synth import CorpusPlan, SynthError, make_corpus

    plan = CorpusPlan(
        voices=("ko", "ko+f3"), heldout_voice="ko+m3", speeds_wpm=(170,), pitches=(50,), eval_share=0.34
    )
    try:
        return make_corpus(SENTENCES, tmp_path_factory.mktemp("corpus"), plan)
    except SynthError as e:
        pytest.skip(str(e))


def train_args(corpus: dict[str, Path], out: Path, steps: int) -> list[str]:
    return [
        "--preset",
        "tiny-synthetic",
        "--base_model",
        "scratch:tiny-wav2vec2",
        "--train_data",
        str(corpus["train"]),
        "--eval_data",
        str(corpus["eval"]),
        "--output_dir",
        str(out),
        "--max_steps",
        str(steps),
        "--per_device_train_batch_size",
        "4",
        "--save_strategy",
        "steps",
        "--save_steps",
        "2",
        "--eval_strategy",
        "no",
        "--logging_steps",
        "1",
        "--disable_tqdm",
        "true",
    ]


def test_corpus_holds_out_sentences_and_a_voice(corpus: dict[str, Path]) -> None:
    rows = {
        name: [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
        for name, path in corpus.items()
    }
    train_text = {r["text"] for r in rows["train"]}
    assert train_text and not train_text & {r["text"] for r in rows["eval"]}
    assert {r["voice"] for r in rows["train"]} == {"ko", "ko+f3"}
    assert {r["voice"] for r in rows["eval_voice"]} == {"ko+m3"}


def test_train_resume_then_load_in_the_app_and_evaluate(
    corpus: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from livekr.cli import main as livekr_main
    from livekr.models import list_checkpoints
    from trainer.cli import main as train_main
    from trainer.evaluate import main as eval_main

    monkeypatch.setenv("LIVEKR_MODELS_DIR", str(tmp_path))
    out = tmp_path / "tiny"
    assert train_main(train_args(corpus, out, 2)) == 0
    with caplog.at_level("INFO"):
        assert train_main(train_args(corpus, out, 4)) == 0
    assert "resuming from" in caplog.text
    state = json.loads((out / "checkpoint-4" / "trainer_state.json").read_text(encoding="utf-8"))
    assert state["global_step"] == 4
    card = json.loads((out / "livekr.json").read_text(encoding="utf-8"))
    assert card["vocab_kind"] == "jamo" and card["preset"] == "tiny-synthetic"
    assert card["normaliser_version"] >= 1 and card["train_utterances"] == 8
    assert (out / "model.safetensors").is_file() and not (out / "pytorch_model.bin").exists()
    assert str(out) in [str(c.path) for c in list_checkpoints()]
    capsys.readouterr()

    clip = corpus["eval"].parent / json.loads(corpus["eval"].read_text().splitlines()[0])["audio"]
    assert livekr_main(["transcribe", str(clip), "--model", str(out), "--events"]) == 0
    events = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert events[-1]["type"] == "finished"

    assert eval_main(["--model", str(out), "--manifest", str(corpus["eval"])]) == 0
    assert json.loads(capsys.readouterr().out)["cer"] == card["cer"]  # the card is livekr-eval's number
    assert eval_main(["--model", str(out), "--manifest", str(corpus["eval_voice"]), "--events"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    *utterances, summary = lines
    assert summary["type"] == "summary" and summary["utterances"] == 2 and len(utterances) == 2
    # The CER is character edits over reference characters, spaces included, counted here
    # apart from livekr's and jiwer's code, from what each utterance line reports.
    edits = [edit_distance(u["reference"], u["hypothesis"]) for u in utterances]
    for u, n in zip(utterances, edits, strict=True):
        assert u["cer"] == pytest.approx(n / len(u["reference"]), abs=1e-4)
    total = sum(len(u["reference"]) for u in utterances)
    assert summary["cer"] == pytest.approx(100 * sum(edits) / total, abs=0.006)


def test_a_manifest_alone_is_scored_on_held_out_sentences_in_the_tokenizers_units(
    corpus: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from livekr.text import build_vocab, normalize
    from trainer.cli import main as train_main
    from trainer.scratch import build_processor

    tokenizer = tmp_path / "jamo-tokenizer"
    vocab = build_vocab([normalize(s) for s in SENTENCES], "jamo")
    build_processor(tokenizer, vocab, normalize_audio=True).save_pretrained(tokenizer)
    monkeypatch.setenv("LIVEKR_MODELS_DIR", str(tmp_path))
    out = tmp_path / "run"
    args = [
        *("--base_model", "scratch:tiny-wav2vec2", "--tokenizer", str(tokenizer)),  # vocab_kind: default
        *("--train_data", str(corpus["train"]), "--output_dir", str(out)),  # no --eval_data
        *("--max_steps", "1", "--per_device_train_batch_size", "4", "--eval_strategy", "no"),
        *("--save_strategy", "no", "--report_to", "none", "--disable_tqdm", "true"),
    ]
    assert train_main(args) == 0
    card = json.loads((out / "livekr.json").read_text(encoding="utf-8"))
    assert card["vocab_kind"] == "jamo"  # the tokenizer's units, not the default syllables
    # 8 clips: 4 sentences in 2 voices; one whole sentence is held out and scored
    assert (card["train_utterances"], card["eval_utterances"]) == (6, 2)
    assert card["eval_data"] == "held-out 5% of train.jsonl (2 clips)"


def test_bad_training_data_stops_with_the_reason(tmp_path: Path, capsys) -> None:
    from trainer.cli import main as train_main

    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"audio": "gone.wav", "text": "없음"}) + "\n", encoding="utf-8")
    code = train_main(
        [
            "--preset",
            "tiny-synthetic",
            "--train_data",
            str(manifest),
            "--output_dir",
            str(tmp_path / "o"),
            "--max_steps",
            "1",
        ]
    )
    assert code == 1
    assert "no usable training utterances" in capsys.readouterr().err


def test_two_processes_under_torchrun(corpus: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "ddp"
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "trainer.cli",
        *train_args(corpus, out, 2),
        "--ddp_backend",
        "gloo",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "LIVEKR_MODELS_DIR": str(tmp_path)}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    state = json.loads((out / "checkpoint-2" / "trainer_state.json").read_text(encoding="utf-8"))
    assert state["global_step"] == 2
    # two processes of 4 utterances each: one step covers the 8 training utterances
    assert state["log_history"][0]["epoch"] == pytest.approx(1.0)
    assert (out / "livekr.json").is_file()


def test_evaluation_keeps_the_manifest_order(corpus: dict[str, Path], tmp_path: Path) -> None:
    from transformers import TrainingArguments

    from livekr.text import build_vocab
    from trainer.data import read_manifest
    from trainer.finetune import make_trainer
    from trainer.scratch import build_model, build_processor

    train, _ = read_manifest(corpus["train"], 0.3, 20)
    evaluation, _ = read_manifest(corpus["eval"], 0.3, 20)
    vocab = build_vocab([ex.text for ex in train], "jamo")
    processor = build_processor(tmp_path, vocab, normalize_audio=True)
    args = TrainingArguments(
        output_dir=str(tmp_path),
        train_sampling_strategy="group_by_length",
        per_device_eval_batch_size=2,
        report_to=[],
    )
    trainer = make_trainer(
        build_model("tiny-wav2vec2", vocab), args, processor, train, evaluation, "jamo", []
    )
    order = list(trainer.get_eval_dataloader().sampler)
    assert order == list(range(len(evaluation)))  # references are matched by position
