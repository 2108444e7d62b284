"""Dictation into another program end to end, on a private Xvfb with a real target window
in another process: the window (real X11 inserter, global shortcut and indicator, a scripted
recognizer) and ``livekr transcribe --realtime --insert`` (a tiny real checkpoint)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import soundfile

from livekr.config import SAMPLE_RATE
from livekr.insert.text import Shaper
from tests.conftest import REPO, silence
from tests.test_insert_x11 import TargetProgram, display, target, x_env, xdotool  # noqa: F401  (fixtures)

DRIVER = Path(__file__).with_name("insert_app_driver.py")
STEP_TIMEOUT_S = 120


def focused_window(display: str) -> int:
    out = subprocess.run(["xdotool", "getwindowfocus"], env=x_env(display), check=True,
                         capture_output=True, text=True).stdout
    return int(out.strip())


@pytest.fixture
def app(display: str, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """The window on the Xvfb display, insert mode on, waiting for its shortcut."""
    env = {**x_env(display), "QT_QPA_PLATFORM": "xcb", "PYTHONPATH": str(REPO),
           **{v: str(tmp_path / v.lower()) for v in ("LIVEKR_CONFIG_DIR", "LIVEKR_MODELS_DIR",
                                                      "LIVEKR_STATE_DIR", "LIVEKR_CACHE_DIR")}}
    process = subprocess.Popen([sys.executable, str(DRIVER), str(tmp_path)], env=env, cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    assert process.stdout is not None
    line = process.stdout.readline()
    if line.strip() != "ready":
        process.kill()
        pytest.fail(f"the window did not start: {line} {process.stderr.read() if process.stderr else ''}")
    yield process
    if process.poll() is None:
        process.kill()
    process.communicate()  # also closes its pipes


@pytest.mark.slow
def test_the_shortcut_in_another_program_dictates_into_it_and_the_indicator_takes_no_focus(
        display: str, target: TargetProgram, app: subprocess.Popen[str]) -> None:
    target.focus()
    before = focused_window(display)
    assert before == target.window
    xdotool(display, "key", "ctrl+shift+F9")  # livekr's shortcut, sent to the X server
    assert app.stdout is not None
    result = json.loads(app.stdout.readline() or "{}")
    assert app.wait(timeout=STEP_TIMEOUT_S) == 0
    assert result["finals"] == ["안녕하세요 반갑습니다", "오늘 날씨가 좋습니다"]
    assert result["indicator_shown"]  # it was up while the finals came ...
    assert focused_window(display) == before  # ... and never took the focus
    shaper = Shaper()
    expected = [shaper.shape(text) for text in result["finals"]]
    assert result["inserted"] == expected
    assert target.text() == "".join(expected) == "안녕하세요 반갑습니다 오늘 날씨가 좋습니다"


@pytest.mark.slow
def test_transcribe_realtime_insert_types_the_finals_into_the_focused_program(
        display: str, target: TargetProgram, tiny_wav2vec2: Path, speak, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    audio = np.concatenate([silence(0.3), speak("안녕하세요 반갑습니다"), silence(1.2),
                            speak("오늘 날씨가 좋습니다"), silence(1.2)])
    wav = tmp_path / "speech.wav"
    soundfile.write(str(wav), audio, SAMPLE_RATE)
    target.focus()
    env = {**x_env(display), "PYTHONPATH": str(REPO), "LIVEKR_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "livekr", "transcribe", str(wav), "--model", str(tiny_wav2vec2),
               "--realtime", "--events", "--insert", "type", "--backend", "torch", "--dtype", "fp32"]
    proc = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, encoding="utf-8",
                          timeout=STEP_TIMEOUT_S)
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    finals = [e["text"] for e in events if e.get("type") == "final"]
    assert finals, proc.stderr  # the random tiny model still says something for each utterance
    shaper = Shaper()
    assert target.text() == "".join(shaper.shape(text) for text in finals)
    assert os.environ.get("DISPLAY") != display  # the test's own process never touched the display
