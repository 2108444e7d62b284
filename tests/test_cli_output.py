"""Where ``livekr transcribe`` puts transcripts when ``-o`` cannot be written, and the warnings
it passes on about damaged inputs. Nothing finished is ever lost."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile

from livekr.cli import main
from tests.conftest import silence

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sentence(tmp_path_factory: pytest.TempPathFactory, speak) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("audio") / "sentence.wav"
    soundfile.write(path, np.concatenate([silence(0.5), speak("오늘 날씨가 좋습니다"), silence(1.0)]), 16000)
    return path


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LIVEKR_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


def transcribe(args: list[str], model: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["transcribe", *args, "-m", str(model)])
    out, err = capsys.readouterr()
    return code, out, err


def reference_text(sentence: Path, model: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code, out, _ = transcribe([str(sentence)], model, capsys)
    assert code == 0
    return out


def test_output_into_a_missing_folder_goes_to_a_fallback_file(
        sentence: Path, tiny_wav2vec2: Path, tmp_path: Path, state: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    expected = reference_text(sentence, tiny_wav2vec2, capsys)
    target = tmp_path / "no" / "such" / "folder" / "out.txt"
    code, out, err = transcribe([str(sentence), "-o", str(target)], tiny_wav2vec2, capsys)
    assert code == 1 and out == "" and "Traceback" not in err
    [line] = [x for x in err.splitlines() if "error" in x]
    assert f"cannot write {target}" in line and "does not exist" in line
    [fallback] = (state / "unsaved").iterdir()
    assert str(fallback) in line
    assert fallback.read_text(encoding="utf-8") == expected


def test_an_unwritable_output_does_not_stop_the_other_inputs(
        sentence: Path, tiny_wav2vec2: Path, tmp_path: Path, state: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    expected = reference_text(sentence, tiny_wav2vec2, capsys)
    second = tmp_path / "second.wav"
    second.write_bytes(sentence.read_bytes())
    outdir = tmp_path / "out"
    (outdir / "sentence.txt").mkdir(parents=True)  # its transcript cannot be written there
    code, _, err = transcribe([str(sentence), str(second), "-o", f"{outdir}/"], tiny_wav2vec2, capsys)
    assert code == 1 and "Traceback" not in err
    assert (outdir / "second.txt").read_text(encoding="utf-8") == expected
    [fallback] = (state / "unsaved").iterdir()
    assert fallback.name.startswith("sentence-") and fallback.read_text(encoding="utf-8") == expected


def test_a_fifo_is_never_replaced(sentence: Path, tiny_wav2vec2: Path, tmp_path: Path, state: Path,
                                  capsys) -> None:  # type: ignore[no-untyped-def]
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    code, _, err = transcribe([str(sentence), "-o", str(fifo)], tiny_wav2vec2, capsys)
    assert code == 1 and "named pipe" in err
    assert fifo.is_fifo() and len(list((state / "unsaved").iterdir())) == 1


def test_a_trailing_separator_makes_a_folder(sentence: Path, tiny_wav2vec2: Path, tmp_path: Path,
                                             capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = transcribe([str(sentence), "-o", f"{tmp_path / 'newdir'}/"], tiny_wav2vec2, capsys)
    assert code == 0, err
    assert (tmp_path / "newdir" / "sentence.txt").is_file()


def test_a_truncated_file_is_transcribed_with_a_warning(sentence: Path, tiny_wav2vec2: Path, tmp_path: Path,
                                                        capsys) -> None:  # type: ignore[no-untyped-def]
    data = sentence.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 2])
    code, out, err = transcribe([str(cut), "--events"], tiny_wav2vec2, capsys)
    events = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert "warning:" in err and "truncated" in err
    warnings = [e for e in events if e["type"] == "warning"]
    assert len(warnings) == 1 and "truncated" in warnings[0]["message"]
