"""The livekr command line, on tiny real checkpoints and synthetic speech."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from livekr.cli import main
from livekr.export import from_json
from tests.conftest import silence

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two_sentences(tmp_path_factory: pytest.TempPathFactory, speak) -> Path:
    audio = np.concatenate(
        [
            silence(0.8),
            speak("안녕하세요 반갑습니다"),
            silence(1.5),
            speak("오늘 날씨가 좋습니다", "ko+f3"),
            silence(1.0),
        ]
    )
    path = tmp_path_factory.mktemp("audio") / "two.wav"
    soundfile.write(path, audio, 16000)
    return path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_events_are_json_lines_in_stream_order(two_sentences: Path, tiny_wav2vec2: Path, capsys) -> None:
    code, out, _ = run(["transcribe", str(two_sentences), "--model", str(tiny_wav2vec2), "--events"], capsys)
    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    finals = [e for e in events if e["type"] == "final"]
    assert len(finals) == 2
    assert finals[0]["end"] < finals[1]["start"]
    assert all(set(e) >= {"type", "start", "end", "text"} for e in events if e["type"] != "finished")
    assert events[-1]["type"] == "finished"
    for e in events:
        if e["type"] == "partial":  # partials of an utterance come before its final
            final_pos = next(
                i for i, f in enumerate(events) if f["type"] == "final" and f["utterance"] == e["utterance"]
            )
            assert events.index(e) < final_pos


def test_output_formats(two_sentences: Path, tiny_hubert: Path, tmp_path: Path, capsys) -> None:
    out_json = tmp_path / "t.json"
    code, _, _ = run(["transcribe", str(two_sentences), "-m", str(tiny_hubert), "-o", str(out_json)], capsys)
    assert code == 0
    transcript = from_json(out_json.read_text(encoding="utf-8"))
    assert len(transcript.utterances) == 2 and transcript.model == str(tiny_hubert)
    code, out, _ = run(["transcribe", str(two_sentences), "-m", str(tiny_hubert), "-f", "srt"], capsys)
    assert code == 0 and out.startswith("1\n00:00:0") and "\n2\n" in out
    code, out, _ = run(["transcribe", str(two_sentences), "-m", str(tiny_hubert), "-f", "vtt"], capsys)
    assert out.startswith("WEBVTT")


@pytest.mark.parametrize(("rate", "channels"), [(8000, 1), (48000, 2)])
def test_other_rates_and_stereo(
    tmp_path: Path, rate: int, channels: int, speak, tiny_wav2vec2: Path, capsys
) -> None:
    import soxr

    mono = soxr.resample(np.concatenate([silence(0.5), speak("대한민국"), silence(1.0)]), 16000, rate)
    audio = mono if channels == 1 else np.stack([mono, mono], axis=1)
    path = tmp_path / f"in_{rate}.wav"
    soundfile.write(path, audio, rate)
    code, out, _ = run(["transcribe", str(path), "-m", str(tiny_wav2vec2), "--events"], capsys)
    assert code == 0
    assert sum(json.loads(line)["type"] == "final" for line in out.splitlines()) == 1


def test_bad_file_among_good_ones_keeps_the_good_results(
    two_sentences: Path, tiny_wav2vec2: Path, tmp_path: Path, capsys
) -> None:
    text = tmp_path / "notes.wav"
    text.write_text("not audio", encoding="utf-8")
    outdir = tmp_path / "out"
    code, _, err = run(
        [
            "transcribe",
            str(two_sentences),
            str(text),
            "-m",
            str(tiny_wav2vec2),
            "-o",
            str(outdir),
            "-f",
            "txt",
        ],
        capsys,
    )
    assert code == 1
    assert "notes.wav is not audio that livekr can read" in err
    assert len((outdir / "two.txt").read_text(encoding="utf-8").splitlines()) == 2


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("empty", "is empty"),
        ("noconfig", "no config.json"),
        ("hub", "unreachable"),
    ],
)
def test_one_line_errors_and_nonzero_exit(
    setup: str, message: str, tmp_path: Path, two_sentences: Path, tiny_wav2vec2: Path, capsys
) -> None:
    audio, model = str(two_sentences), str(tiny_wav2vec2)
    if setup == "empty":
        (tmp_path / "e.wav").write_bytes(b"")
        audio = str(tmp_path / "e.wav")
    elif setup == "noconfig":
        model = str(tmp_path)
    else:
        model = "nobody-livekr/not-a-model"
    code, out, err = run(["transcribe", audio, "-m", model], capsys)
    assert code == 1
    errors = [line for line in err.splitlines() if line.startswith("livekr: error:")]
    assert len(errors) == 1 and message in errors[0]
    assert out == ""


def test_entry_point_runs_as_a_program(two_sentences: Path, tiny_wav2vec2: Path, capsys) -> None:
    # torch fp32 for both: with --events (partials) the forward passes run one at a time on all
    # cores, without it side by side on one thread each, and "auto" measures a backend per
    # thread count; random weights make any other backend's text differ a little
    reference = ["--backend", "torch", "--dtype", "fp32"]
    code, out, _ = run(["transcribe", str(two_sentences), "-m", str(tiny_wav2vec2), "--events", *reference],
                       capsys)
    assert code == 0
    texts = [json.loads(line)["text"] for line in out.splitlines() if '"final"' in line]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "livekr", "transcribe", str(two_sentences), "-m", str(tiny_wav2vec2),
         *reference],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == texts  # the TXT transcript: one final a line


def test_two_hour_file_through_the_command(two_hour_noise: Path, tiny_wav2vec2: Path, capsys) -> None:
    path = two_hour_noise
    code, out, err = run(["transcribe", str(path), "-m", str(tiny_wav2vec2), "--events"], capsys)
    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    assert events[-1] == {"type": "finished", "utterances": 0, "audio": 7200.0, "source": str(path)}
    assert "%" in err  # progress lines for a long file


def test_devices_lists_explains_an_empty_list_and_a_missing_portaudio(capsys) -> None:
    from argparse import Namespace

    from livekr.audio import AudioError
    from livekr.cli import cmd_devices
    from livekr.microphone import InputDevice

    mic = InputDevice(3, "USB Mic", 1, 48000.0, "ALSA", True)
    assert cmd_devices(Namespace(), lambda: [mic]) == 0
    assert "*   3  USB Mic  (1 ch, 48000 Hz, ALSA)" in capsys.readouterr().out
    assert cmd_devices(Namespace(), lambda: []) == 0
    assert "no input devices found" in capsys.readouterr().err

    def no_portaudio() -> list[InputDevice]:
        raise AudioError("the microphone needs PortAudio, which is missing")

    with pytest.raises(AudioError, match="PortAudio"):  # main() turns it into one line and exit 1
        cmd_devices(Namespace(), no_portaudio)


def test_listen_without_microphone_fails_clearly(tiny_wav2vec2: Path, capsys) -> None:
    from livekr.audio import AudioError
    from livekr.microphone import list_input_devices

    try:
        if list_input_devices():
            pytest.skip("this machine has a microphone")
    except AudioError:
        pass
    code, _, err = run(["listen", "-m", str(tiny_wav2vec2), "--events"], capsys)
    assert code == 1
    assert "no microphone found" in err or "PortAudio" in err
