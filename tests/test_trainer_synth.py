"""``livekr-train synth`` and the tiny-synthetic preset work from any folder: the sentences
come with the package, and the corpus lives where the preset looks for it."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import pytest

from livekr.text import is_korean, normalize
from trainer.cli import main
from trainer.synth import (
    CORPUS_DIR_ENV,
    DEFAULT_SENTENCES,
    SynthError,
    corpus_dir,
    read_sentences,
    require_tools,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A current folder with nothing of livekr's in reach, and a corpus folder in tmp_path."""
    cwd = tmp_path / "some" / "other" / "folder"
    cwd.mkdir(parents=True)
    monkeypatch.chdir(cwd)
    monkeypatch.setenv(CORPUS_DIR_ENV, str(tmp_path / "corpus"))
    monkeypatch.setenv("LIVEKR_MODELS_DIR", str(tmp_path / "models"))
    return tmp_path


def test_the_shipped_sentences_are_korean_and_have_their_provenance() -> None:
    sentences = read_sentences(DEFAULT_SENTENCES)
    assert len(sentences) >= 300 and len(set(sentences)) == len(sentences)
    normalised = [normalize(s) for s in sentences]
    assert all(is_korean(s) and s.replace(" ", "").isalpha() for s in normalised)  # no digits, no Latin
    assert len(set("".join(normalised).replace(" ", ""))) >= 400  # varied: many distinct syllables
    note = (DEFAULT_SENTENCES.parent / "README.md").read_text(encoding="utf-8")
    assert "written for livekr" in note and "Apache-2.0" in note


def test_the_sentences_are_package_data() -> None:
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["trainer"]
    for shipped in (DEFAULT_SENTENCES, DEFAULT_SENTENCES.parent / "README.md"):
        relative = shipped.relative_to(REPO / "trainer").as_posix()
        assert any(fnmatch.fnmatch(relative, p) for p in patterns), relative


def test_the_corpus_folder_is_absolute_and_follows_the_environment(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert corpus_dir() == elsewhere / "corpus"
    monkeypatch.delenv(CORPUS_DIR_ENV)
    assert corpus_dir().is_absolute() and corpus_dir().parts[-2:] == ("livekr", "synth")


def test_the_preset_reads_the_corpus_folder_from_any_folder(elsewhere: Path, capsys) -> None:
    assert main(["--preset", "tiny-synthetic", "--dry-run"]) == 0
    data = json.loads(capsys.readouterr().out)["data"]
    assert data["train_data"] == str(elsewhere / "corpus" / "train.jsonl")
    assert data["eval_data"] == str(elsewhere / "corpus" / "eval.jsonl")


def test_training_without_the_corpus_says_how_to_make_it(elsewhere: Path, capsys) -> None:
    out = elsewhere / "run"
    assert main(["--preset", "tiny-synthetic", "--output_dir", str(out), "--max_steps", "1"]) == 1
    err = capsys.readouterr().err
    assert str(elsewhere / "corpus" / "train.jsonl") in err and "livekr-train synth" in err


@pytest.mark.slow
def test_synth_then_the_preset_from_another_folder(elsewhere: Path, capsys) -> None:
    try:
        require_tools()
    except SynthError as e:
        pytest.skip(str(e))
    small = ["--max-sentences", "2", "--voices", "ko", "--heldout-voice", "", "--speeds", "170"]
    assert main(["synth", *small, "--pitches", "50", "--eval-share", "0.5"]) == 0
    capsys.readouterr()
    first_two = {normalize(s) for s in read_sentences(DEFAULT_SENTENCES)[:2]}
    assert main(["--preset", "tiny-synthetic", "--dry-run"]) == 0
    data = json.loads(capsys.readouterr().out)["data"]
    texts = set()
    for manifest in (data["train_data"], data["eval_data"]):
        rows = [json.loads(line) for line in Path(manifest).read_text(encoding="utf-8").splitlines()]
        texts |= {normalize(row["text"]) for row in rows}
    assert texts == first_two  # the shipped sentences, spoken into the preset's folder
