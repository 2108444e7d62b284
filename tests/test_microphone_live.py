"""A real PortAudio stream without a sound card: PulseAudio's null sink as the microphone.

Each test starts its own PulseAudio daemon (private runtime folder, so nothing is shared
with a desktop session or another test run), loads a null sink named ``vmic`` and makes
its monitor the default source. PortAudio then lists ALSA's ``pulse`` and ``default``
devices, and ``paplay --device=vmic FILE`` speaks into livekr's default microphone at
real-time pace. Skips with the reason where PulseAudio or its ALSA plugin is missing
(scripts/setup installs pulseaudio, pulseaudio-utils and libasound2-plugins).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pytest
import soundfile

from livekr.audio import AudioError
from livekr.config import SAMPLE_RATE
from livekr.events import Failure, Final, Finished, LevelChanged, Partial
from livekr.microphone import MicrophoneSource, list_input_devices
from livekr.pipeline import StreamingTranscriber
from tests.conftest import ScriptedRecognizer, silence
from tests.fake_sounddevice import HeldDeviceQuery, OnlyNativeRate
from tests.test_pipeline import WAIT_S, Recorder

SINK = "vmic"
TOOL_TIMEOUT_S = 30
IDLE_EXIT_S = 120
"""A test's daemon is never idle that long (the longest pause is a model load)."""
PULSE_PACKAGES = "pulseaudio, pulseaudio-utils and libasound2-plugins"


@dataclass
class VirtualMic:
    """A running PulseAudio daemon with a null sink whose monitor is the default source."""

    runtime: Path
    env: dict[str, str]
    sink_module: str | None = None
    players: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def pactl(self, *args: str) -> str:
        done = subprocess.run(
            ["pactl", *args], env=self.env, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S
        )
        if done.returncode != 0:
            raise RuntimeError(f"pactl {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def load_sink(self, rate: int | None = None) -> None:
        """(Re)create the null sink ``vmic``, at ``rate`` Hz if given (PulseAudio's default: 44100)."""
        if self.sink_module is not None:
            self.unload_sink()
        options = [f"sink_name={SINK}"] + ([f"rate={rate}"] if rate else [])
        self.sink_module = self.pactl("load-module", "module-null-sink", *options)
        self.pactl("set-default-source", f"{SINK}.monitor")

    def unload_sink(self) -> None:
        """Remove the sink: for a recording client, the microphone is unplugged."""
        assert self.sink_module is not None
        self.pactl("unload-module", self.sink_module)
        self.sink_module = None

    def recording_streams(self) -> list[str]:
        """PulseAudio's source outputs: one per open capture stream."""
        return [line for line in self.pactl("list", "short", "source-outputs").splitlines() if line]

    def play(self, path: Path) -> subprocess.Popen[bytes]:
        """Play ``path`` into the sink at real-time pace (returns at once)."""
        player = subprocess.Popen(["paplay", f"--device={SINK}", str(path)], env=self.env)
        self.players.append(player)
        return player


def _start_daemon(env: dict[str, str], runtime: Path) -> str | None:
    """Start PulseAudio; None on success, else why it cannot run here."""
    command = [
        "pulseaudio",
        "--daemonize=yes",
        f"--exit-idle-time={IDLE_EXIT_S}",  # a daemon left behind by a killed run goes away
        "-n",  # no default.pa: only what is loaded here
        "--use-pid-file=yes",
        "--load=module-native-protocol-unix auth-anonymous=1",
        f"--log-target=file:{runtime / 'pulse.log'}",
    ]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return "pulseaudio did not start within 30 s"
    if done.returncode == 0:
        return None
    log = runtime / "pulse.log"
    detail = (log.read_text(errors="replace") if log.exists() else done.stderr).strip().splitlines()
    return f"PulseAudio cannot start here: {detail[-1] if detail else f'exit {done.returncode}'}"


def _stop_daemon(mic: VirtualMic) -> None:
    import psutil

    for player in mic.players:
        if player.poll() is None:
            player.kill()
        player.wait()
    pid_file = mic.runtime / "pid"
    pid = int(pid_file.read_text().split()[0]) if pid_file.exists() else None
    subprocess.run(["pulseaudio", "--kill"], env=mic.env, capture_output=True, timeout=TOOL_TIMEOUT_S)
    if pid is not None:
        with contextlib.suppress(psutil.NoSuchProcess):
            psutil.Process(pid).wait(TOOL_TIMEOUT_S)


@pytest.fixture
def virtual_mic(monkeypatch: pytest.MonkeyPatch) -> Iterator[VirtualMic]:
    """A PulseAudio null sink as the default microphone, for this test only."""
    missing = [tool for tool in ("pulseaudio", "pactl", "paplay") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (apt: {PULSE_PACKAGES})")
    runtime = Path(tempfile.mkdtemp(prefix="livekr-pulse-"))  # short: a socket path has a limit
    monkeypatch.delenv("PULSE_SERVER", raising=False)
    monkeypatch.setenv("PULSE_RUNTIME_PATH", str(runtime))
    monkeypatch.setenv("PULSE_STATE_PATH", str(runtime / "state"))
    env = dict(os.environ)
    why = _start_daemon(env, runtime)
    if why is not None:
        shutil.rmtree(runtime, ignore_errors=True)
        pytest.skip(why)
    mic = VirtualMic(runtime, env)
    try:
        mic.load_sink()
        names = [d.name for d in list_input_devices(refresh=True)]  # PortAudio sees PulseAudio now
        if "default" not in names:
            pytest.skip(f"PortAudio does not reach PulseAudio through ALSA (apt: {PULSE_PACKAGES})")
        yield mic
    finally:
        _stop_daemon(mic)
        with contextlib.suppress(AudioError):
            list_input_devices(refresh=True)  # back to the devices this machine has
        shutil.rmtree(runtime, ignore_errors=True)  # after the refresh: a client recreates it


def write_wav(path: Path, *parts: np.ndarray) -> Path:
    soundfile.write(path, np.concatenate(parts), SAMPLE_RATE, subtype="FLOAT")
    return path


def tone(seconds: float, hz: float = 1000.0, amplitude: float = 0.25) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_pulseaudio_s_devices_are_listed_and_the_default_is_the_virtual_microphone(virtual_mic) -> None:
    devices = {d.name: d for d in list_input_devices()}
    assert {"pulse", "default"} <= set(devices)
    assert devices["default"].is_default


def read_until_played(source: MicrophoneSource, player: subprocess.Popen[bytes], tail_s: float) -> np.ndarray:
    """Blocks from ``source`` until ``player`` has finished and ``tail_s`` of quiet follows
    the last loud sample (at most 60 s of audio)."""
    blocks: list[np.ndarray] = []
    captured = 0
    while captured < 60 * SAMPLE_RATE:
        block = source.read(WAIT_S)
        assert block is not None, "the stream ended"
        blocks.append(block)
        captured += block.size
        if block.size and player.poll() is not None:
            audio = np.concatenate(blocks)
            loud = np.flatnonzero(np.abs(audio) > 0.1)
            if loud.size and audio.size - loud[-1] >= tail_s * SAMPLE_RATE:
                return audio
    raise AssertionError("the played audio did not come through within 60 s of capture")


@pytest.mark.parametrize("livekr_resamples", [False, True], ids=["pulse-resamples", "livekr-resamples"])
def test_a_microphone_at_48_khz_is_captured_at_the_right_speed(
    virtual_mic, tmp_path, livekr_resamples
) -> None:
    import sounddevice

    virtual_mic.load_sink(rate=48_000)
    source = MicrophoneSource(sounddevice=OnlyNativeRate(sounddevice) if livekr_resamples else sounddevice)
    source.start()
    try:
        assert source.rate != SAMPLE_RATE if livekr_resamples else source.rate == SAMPLE_RATE
        block = source.read(WAIT_S)
        while block is not None and not block.size:  # until the stream runs: then all played is heard
            block = source.read(WAIT_S)
        played = write_wav(tmp_path / "tone.wav", silence(0.5), tone(2.0, 1000.0), silence(0.5))
        audio = read_until_played(source, virtual_mic.play(played), tail_s=0.3)
    finally:
        source.stop()
    loud = np.flatnonzero(np.abs(audio) > 0.1)
    duration_s = (loud[-1] - loud[0]) / SAMPLE_RATE
    assert duration_s == pytest.approx(2.0, abs=0.01)  # 1.84 or 2.18 s at a wrong rate
    middle = audio[loud[0] + SAMPLE_RATE // 2 : loud[0] + 3 * SAMPLE_RATE // 2]
    spectrum = np.abs(np.fft.rfft(middle * np.hanning(middle.size)))
    assert np.argmax(spectrum) * SAMPLE_RATE / middle.size == pytest.approx(1000.0, abs=2.0)
    assert source.dropped_blocks == 0


def test_stop_right_after_record_ends_the_session_and_leaves_the_microphone_closed(virtual_mic) -> None:
    import sounddevice

    held = HeldDeviceQuery(sounddevice)
    rec = Recorder()
    transcriber = StreamingTranscriber(MicrophoneSource(sounddevice=held), ScriptedRecognizer(), rec)
    transcriber.start()
    assert held.entered.wait(WAIT_S)  # the reader is opening the microphone
    transcriber.stop()
    held.release.set()
    assert transcriber.wait(WAIT_S), "the session did not finish after Stop"
    assert virtual_mic.recording_streams() == []
    assert isinstance(rec.events[-1], Finished)

    # the same check sees a microphone that is open, and closed by a later stop
    rec = Recorder()
    transcriber = StreamingTranscriber(MicrophoneSource(), ScriptedRecognizer(), rec)
    transcriber.start()
    rec.wait_for(lambda e: isinstance(e, LevelChanged))
    assert len(virtual_mic.recording_streams()) == 1
    transcriber.stop()
    assert transcriber.wait(WAIT_S)
    assert virtual_mic.recording_streams() == []


def test_a_microphone_that_disappears_mid_stream_ends_the_session_keeping_the_transcript(
    virtual_mic, tmp_path, speak
) -> None:
    first, second = speak("첫 번째 문장입니다"), speak("두 번째 문장은 길게 이어지고 있습니다")
    speech = write_wav(tmp_path / "speech.wav", first, silence(1.5), second, second, silence(1.0))
    rec = Recorder()
    transcriber = StreamingTranscriber(MicrophoneSource(), ScriptedRecognizer(["가"]), rec)
    transcriber.start()
    rec.wait_for(lambda e: isinstance(e, LevelChanged))  # capturing
    virtual_mic.play(speech)
    rec.wait_for(lambda e: isinstance(e, Final))
    rec.wait_for(lambda e: isinstance(e, Partial) and e.utterance == 1)  # the second is being spoken
    virtual_mic.unload_sink()
    assert transcriber.wait(WAIT_S), "the session hung when the microphone disappeared"
    (failure,) = rec.of(Failure)
    assert "stopped delivering audio" in failure.message and "transcript so far is kept" in failure.message
    assert [f.utterance.index for f in rec.of(Final)] == [0, 1]  # the interrupted one included
    assert isinstance(rec.events[-1], Finished) and rec.events[-1].utterances == 2


# -- `livekr listen` end to end ------------------------------------------------------------

LISTEN_TIMEOUT_S = 180.0
"""Generous: loading torch and the model on a busy machine; a hang is what is caught."""


class SpeechLoop:
    """Plays a file into the virtual microphone again and again until the block ends."""

    def __init__(self, mic: VirtualMic, path: Path) -> None:
        self.mic, self.path = mic, path
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._done.is_set():
            self.mic.play(self.path).wait()

    def __enter__(self) -> SpeechLoop:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        for player in self.mic.players:
            if player.poll() is None:
                player.kill()
        self._thread.join()


class Lines:
    """The lines of a process's output, read on a thread as they come, each ``parse``d."""

    def __init__(self, stream: IO[str] | None, parse: Callable[[str], Any] = str.rstrip) -> None:
        assert stream is not None
        self.items: list[Any] = []
        self._queue: queue.Queue[Any] = queue.Queue()
        self._end = object()
        self._thread = threading.Thread(target=self._read, args=(stream, parse), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str], parse: Callable[[str], Any]) -> None:
        for line in stream:
            self._queue.put(parse(line))
        self._queue.put(self._end)

    def wait_for(self, predicate: Callable[[Any], bool]) -> Any:
        """The first new line matching ``predicate``; fails at the end of output, or when
        none came within ``LISTEN_TIMEOUT_S``."""
        deadline = time.monotonic() + LISTEN_TIMEOUT_S
        while (item := self._next(deadline)) is not self._end:
            if predicate(item):
                return item
        raise AssertionError(f"output ended; got {self.items[-5:]}")

    def until_end(self) -> list[Any]:
        """All lines up to the end of output (the process closed it); fails if that does
        not come within ``LISTEN_TIMEOUT_S``, e.g. while it goes on transcribing."""
        deadline = time.monotonic() + LISTEN_TIMEOUT_S
        while self._next(deadline) is not self._end:
            pass
        return self.items

    def _next(self, deadline: float) -> Any:
        try:
            item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            last = self.items[-3:]
            raise AssertionError(f"still running after {LISTEN_TIMEOUT_S:.0f} s; last: {last}") from None
        if item is not self._end:
            self.items.append(item)
        return item


@contextlib.contextmanager
def listen_process(  # type: ignore[no-untyped-def]
    model: Path, out: Path, env: dict[str, str], sigint_ignored: bool = False
):
    """``livekr listen --events -o OUT`` on the default microphone, as (process, its
    stdout events, its stderr lines); with ``sigint_ignored`` it starts as a shell
    script's ``livekr listen … &`` does, with SIGINT ignored. Killed on leaving the block
    if it is still running."""
    command = [sys.executable, "-m", "livekr", "listen", "--events", "--model", str(model), "-o", str(out)]
    previous = signal.getsignal(signal.SIGINT)
    if sigint_ignored:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited across exec
    try:
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**env, "OMP_NUM_THREADS": "1"},
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        yield proc, Lines(proc.stdout, json.loads), Lines(proc.stderr)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def hammer_ctrl_c(proc: subprocess.Popen[str]) -> None:
    """Ctrl-C, and again every 50 ms until the process has exited (at most 200 times)."""
    for _ in range(200):
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(0.05)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def korean_speech_wav(tmp_path: Path, speak) -> Path:
    first, second = speak("안녕하세요 반갑습니다"), speak("오늘 날씨가 좋습니다")
    return write_wav(tmp_path / "speech.wav", first, silence(1.2), second, silence(1.2))


def check_listen_ended_well(proc, events: list[dict], stderr: list[str], out: Path) -> None:  # type: ignore[no-untyped-def]
    """Exited after ``finished``, with every final in the output file and no traceback."""
    code = proc.wait(LISTEN_TIMEOUT_S)
    text = "\n".join(stderr)
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
    assert events and events[-1]["type"] == "finished", text
    finals = [e["text"] for e in events if e["type"] == "final"]
    assert events[-1]["utterances"] == len(finals)
    assert f"wrote {out}" in text
    assert out.read_text(encoding="utf-8") == "".join(f"{t}\n" for t in finals if t.strip())
    errors = [e for e in events if e["type"] == "error"]
    assert code == (1 if errors else 0), text


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "sigint_ignored"),
    [(signal.SIGINT, False), (signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["ctrl-c", "ctrl-c-inherited-as-ignored", "sigterm"],
)
def test_listen_ends_on_a_stop_signal_and_writes_the_transcript(
    virtual_mic, tiny_wav2vec2, korean_speech_wav, tmp_path, sig, sigint_ignored
) -> None:
    out = tmp_path / "out.txt"
    with listen_process(tiny_wav2vec2, out, virtual_mic.env, sigint_ignored) as (proc, events, stderr):
        with SpeechLoop(virtual_mic, korean_speech_wav):
            # a partial comes for every utterance, whatever text the random model makes
            events.wait_for(lambda e: e["type"] in ("partial", "final"))
            proc.send_signal(sig)
            events.until_end()
        check_listen_ended_well(proc, events.items, stderr.until_end(), out)
    assert [e for e in events.items if e["type"] == "error"] == []


@pytest.mark.slow
def test_ctrl_c_pressed_again_and_again_keeps_the_transcript_and_prints_no_traceback(
    virtual_mic, tiny_wav2vec2, korean_speech_wav, tmp_path
) -> None:
    out = tmp_path / "out.txt"
    with listen_process(tiny_wav2vec2, out, virtual_mic.env) as (proc, events, stderr):
        with SpeechLoop(virtual_mic, korean_speech_wav):
            events.wait_for(lambda e: e["type"] == "final")
            hammer_ctrl_c(proc)
            events.until_end()
        check_listen_ended_well(proc, events.items, stderr.until_end(), out)
    for error in (e for e in events.items if e["type"] == "error"):
        assert "were decoded; they are not in the transcript" in error["message"]


@pytest.mark.slow
def test_ctrl_c_pressed_again_and_again_while_the_model_loads_prints_no_traceback(
    virtual_mic, tiny_wav2vec2, tmp_path
) -> None:
    out = tmp_path / "out.txt"
    with listen_process(tiny_wav2vec2, out, virtual_mic.env) as (proc, events, stderr):
        stderr.wait_for(lambda line: "loading" in line)
        hammer_ctrl_c(proc)
        lines = stderr.until_end()
        events.until_end()
    text = "\n".join(lines)
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
    if any("listening" in line for line in lines):  # the model was loaded before the first Ctrl-C
        check_listen_ended_well(proc, events.items, lines, out)
    else:
        assert proc.returncode == 130, text
        assert not out.exists()
