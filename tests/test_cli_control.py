"""Session control on the command line: options declared once, stop signals, several inputs,
listen's autosave journal and ``livekr recover``."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile

from livekr.audio import ArraySource
from livekr.cli import build_parser, cmd_listen, main
from livekr.config import PipelineOptions, RecognizerOptions, SegmenterOptions
from livekr.console import Interrupt, drive
from livekr.journal import Journal, find_abandoned, list_discarded
from livekr.options import add_arguments, declared, from_arguments, from_store, option, to_store
from livekr.transcript import Utterance
from tests.conftest import REPO, silence

SIGNAL_TIMEOUT_S = 120


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LIVEKR_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state" / "journal"


@pytest.fixture(scope="module")
def long_speech(tmp_path_factory: pytest.TempPathFactory, speak) -> Path:  # type: ignore[no-untyped-def]
    """About 20 s of Korean sentences with pauses: long enough to interrupt in real time."""
    parts = [silence(0.5)]
    for text in ("안녕하세요 반갑습니다", "오늘 날씨가 좋습니다", "대한민국은 민주공화국이다") * 2:
        parts += [speak(text), silence(1.2)]
    path = tmp_path_factory.mktemp("long") / "long.wav"
    soundfile.write(path, np.concatenate(parts), 16000)
    return path


# -- options declared once ------------------------------------------------------------------


def test_options_before_the_command_apply_to_it_unless_repeated() -> None:
    parser = build_parser()
    args = parser.parse_args(["--model", "m1", "--device", "cpu", "transcribe", "a.wav"])
    assert args.model == "m1" and from_arguments(RecognizerOptions, args).device == "cpu"
    args = parser.parse_args(["--device", "cpu", "transcribe", "a.wav", "--device", "cuda:1", "-m", "m2"])
    assert args.model == "m2" and from_arguments(RecognizerOptions, args).device == "cuda:1"
    args = parser.parse_args(["listen", "--end-silence-ms", "900", "--no-partials"])
    assert from_arguments(SegmenterOptions, args).end_silence_ms == 900
    assert not from_arguments(PipelineOptions, args).partials


def test_every_command_line_option_is_offered_with_its_range(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["transcribe", "--help"])
    text = capsys.readouterr().out
    for cls in (SegmenterOptions, PipelineOptions, RecognizerOptions):
        for opt in declared(cls):
            assert (opt.flag in text) == opt.spec.cli, opt.name
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["transcribe", "a.wav", "--vad-aggressiveness", "5"])
    assert exit_info.value.code == 2
    assert "aggressiveness must be at most 3" in capsys.readouterr().err


@dataclass(frozen=True)
class _NewOptions:
    """An option group a future feature might add."""

    beam_size: int = option(8, "hypotheses kept by the beam decoder", minimum=1, maximum=256)


def test_a_new_option_is_one_declaration() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser, _NewOptions)
    assert from_arguments(_NewOptions, parser.parse_args(["--beam-size", "32"])).beam_size == 32
    with pytest.raises(SystemExit):
        parser.parse_args(["--beam-size", "0"])
    stored = to_store(_NewOptions(beam_size=16), "decoder")
    assert stored == {"decoder/beam_size": 16}
    assert from_store(_NewOptions, {"decoder/beam_size": "16"}, "decoder").beam_size == 16
    assert from_store(_NewOptions, {"decoder/beam_size": "999"}, "decoder").beam_size == 8


# -- stop signals ----------------------------------------------------------------------------


class _EndlessTranscriber:
    """Stands in for a StreamingTranscriber whose source never ends on its own; ``stop`` and
    ``abandon`` are recorded, and only ``abandon`` lets it finish."""

    def __init__(self) -> None:
        self.stopped = threading.Event()
        self.abandoned = threading.Event()
        self.finished = threading.Event()

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self.stopped.set()

    def abandon(self) -> None:
        self.abandoned.set()
        self.finished.set()

    def wait(self, timeout_s: float | None = None) -> bool:
        return self.finished.wait(timeout_s)


def test_first_signal_stops_and_drains_second_abandons_the_queue() -> None:
    interrupt = Interrupt()  # not installed: this process's own signal handling stays as it is
    session = _EndlessTranscriber()
    interrupt._handle(signal.SIGTERM, None)
    waiter = threading.Thread(target=drive, args=(session, interrupt))
    waiter.start()
    assert session.stopped.wait(10) and not session.abandoned.is_set()
    interrupt._handle(signal.SIGINT, None)  # the second signal: give up what is queued
    waiter.join(10)
    assert session.abandoned.is_set() and not waiter.is_alive()
    assert interrupt.exit_code == 128 + signal.SIGTERM  # the first signal names the exit


def _start(args: list[str]) -> subprocess.Popen[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "livekr", *args], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_finishes_writes_and_exits_nonzero(
        signum: int, long_speech: Path, tiny_wav2vec2: Path, tmp_path: Path) -> None:
    out = tmp_path / "partial.json"
    proc = _start(["transcribe", str(long_speech), "-m", str(tiny_wav2vec2), "--realtime", "--events",
                   "-o", str(out)])
    assert proc.stdout is not None
    first = proc.stdout.readline()  # the first partial or final: the session is running
    assert first.startswith("{"), proc.stderr.read() if proc.stderr else ""
    proc.send_signal(signum)
    rest, err = proc.communicate(timeout=SIGNAL_TIMEOUT_S)
    events = [json.loads(line) for line in [first, *rest.splitlines()]]
    assert proc.returncode == 128 + signum, err
    assert events[-1]["type"] == "finished" and events[-1]["audio"] < 20.0
    assert "Traceback" not in err
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert [u["text"] for u in saved["utterances"]] == [e["text"] for e in events if e["type"] == "final"]


@pytest.mark.slow
def test_ctrl_c_stops_every_input_and_a_second_one_prints_no_traceback(
        long_speech: Path, tiny_wav2vec2: Path, tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    second = tmp_path / "second.wav"
    second.write_bytes(long_speech.read_bytes())
    proc = _start(["transcribe", str(long_speech), str(second), "-m", str(tiny_wav2vec2), "--realtime",
                   "--events", "-o", f"{outdir}/"])
    assert proc.stdout is not None and proc.stdout.readline().startswith("{")
    proc.send_signal(signal.SIGINT)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=SIGNAL_TIMEOUT_S)
    assert proc.returncode == 130 and "Traceback" not in err and "KeyboardInterrupt" not in err
    assert (outdir / "long.txt").exists() and not (outdir / "second.txt").exists()
    assert f"not transcribed: {second}" in err


@pytest.mark.slow
def test_unopenable_inputs_get_an_error_event(tmp_path: Path, long_speech: Path, tiny_wav2vec2: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.wav"
    code = main(["transcribe", str(missing), str(long_speech), "-m", str(tiny_wav2vec2), "--events",
                 "--no-partials"])
    out = capsys.readouterr().out
    events = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert events[0]["type"] == "error" and events[0]["kind"] == "input"
    assert events[0]["source"] == str(missing) and "no such file" in events[0]["message"]
    assert events[-1]["type"] == "finished" and events[-1]["source"] == str(long_speech)


# -- listen: autosave journal and recovery ----------------------------------------------------


@pytest.mark.slow
def test_listen_saves_and_ends_its_journal(long_speech: Path, tiny_wav2vec2: Path, tmp_path: Path,
                                           state_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    audio, _ = soundfile.read(long_speech, dtype="float32")
    out = tmp_path / "dictation.txt"
    args = build_parser().parse_args(["listen", "-m", str(tiny_wav2vec2), "--events", "-o", str(out),
                                      "--keep-audio"])
    assert cmd_listen(args, lambda device: ArraySource(audio)) == 0
    finals = [json.loads(line)["text"] for line in capsys.readouterr().out.splitlines() if '"final"' in line]
    assert finals and out.read_text(encoding="utf-8").splitlines() == finals
    assert soundfile.info(str(out.with_suffix(".flac"))).frames == len(audio)
    assert find_abandoned(state_dir) == [] and list_discarded(state_dir) == []  # saved: journal done
    args = build_parser().parse_args(["listen", "-m", str(tiny_wav2vec2), "--events"])
    assert cmd_listen(args, lambda device: ArraySource(audio)) == 0
    [kept] = list_discarded(state_dir)  # not saved to a file: kept aside, recoverable
    assert [u.text for u in kept.transcript.utterances] == finals


LISTEN_KILLED = """
import sys
import soundfile
from livekr.audio import ArraySource
from livekr.cli import build_parser, cmd_listen
audio, _ = soundfile.read(sys.argv[2], dtype="float32")
args = build_parser().parse_args(["listen", "-m", sys.argv[1], "--events"])
cmd_listen(args, lambda device: ArraySource(audio, realtime=True))
"""


@pytest.mark.slow
def test_listen_killed_mid_dictation_is_recovered(
        long_speech: Path, tiny_wav2vec2: Path, tmp_path: Path, state_dir: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    with subprocess.Popen([sys.executable, "-c", LISTEN_KILLED, str(tiny_wav2vec2), str(long_speech)],
                          cwd=REPO, env=env, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL) as proc:
        assert proc.stdout is not None
        finals = []
        for line in proc.stdout:
            if '"final"' in line:
                finals.append(json.loads(line)["text"])
                break
        proc.kill()
    assert finals, "no final before the kill"
    assert main(["recover"]) == 0
    listing = capsys.readouterr().out
    assert listing.startswith("1  ") and "  1 utterance  " in listing
    out = tmp_path / "recovered.txt"
    assert main(["recover", "1", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").splitlines() == finals
    assert find_abandoned(state_dir) == []


def test_recover_discards_into_the_recoverable_folder(state_dir: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    journal = Journal.open_new(state_dir, model="m")
    journal.append(Utterance(0, 0.0, 1.0, "남겨 둔 말", 0.9))
    journal.close(clean=False)
    assert main(["recover", "1"]) == 0
    assert capsys.readouterr().out == "남겨 둔 말\n"  # shown, still there
    assert main(["recover", "2"]) == 1 and "no unfinished session 2" in capsys.readouterr().err
    assert main(["recover", "1", "--discard"]) == 0
    assert find_abandoned(state_dir) == [] and len(list_discarded(state_dir)) == 1
