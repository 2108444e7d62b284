"""Audio sources: files of any rate and layout, bad files, long files, the microphone edge."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile

from livekr.audio import ArraySource, AudioError, FileSource
from livekr.config import SAMPLE_RATE, AudioOptions
from livekr.events import Final, Finished, PipelineEvent
from livekr.microphone import InputDevice, MicrophoneSource, list_input_devices, resolve_input_device
from livekr.pipeline import StreamingTranscriber
from livekr.recognizer import Recognition
from tests.conftest import ScriptedRecognizer, silence

REPO = Path(__file__).resolve().parents[1]


def _env_with_repo() -> dict[str, str]:
    """The environment for a probe subprocess that imports this checkout's livekr."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def read_all(source) -> np.ndarray:
    source.start()
    blocks = []
    while (block := source.read(0.1)) is not None:
        blocks.append(block)
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)


def dominant_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.argmax(spectrum) * SAMPLE_RATE / samples.size)


def tone(rate: int, seconds: float, hz: float = 440.0, channels: int = 1) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    mono = (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    return mono if channels == 1 else np.stack([mono] * channels, axis=1)


@pytest.mark.parametrize(
    ("fmt", "subtype", "rate", "channels"),
    [
        ("WAV", "PCM_16", 16000, 1),
        ("WAV", "PCM_16", 8000, 1),
        ("WAV", "FLOAT", 48000, 2),
        ("FLAC", "PCM_24", 44100, 2),
        ("OGG", "VORBIS", 22050, 1),
        ("MP3", "MPEG_LAYER_III", 48000, 2),
    ],
)
def test_file_source_downmixes_and_resamples_to_16k(tmp_path: Path, fmt, subtype, rate, channels) -> None:
    path = tmp_path / f"tone.{fmt.lower()}"
    soundfile.write(path, tone(rate, 2.0, channels=channels), rate, format=fmt, subtype=subtype)
    source = FileSource(path)
    assert source.native_rate == rate and source.channels == channels
    out = read_all(source)
    assert out.dtype == np.float32 and out.ndim == 1
    # MP3 encoders add up to a frame or two of padding
    assert out.size == pytest.approx(2.0 * SAMPLE_RATE, abs=0.08 * SAMPLE_RATE)
    assert dominant_hz(out[4000:-4000]) == pytest.approx(440, abs=5)
    assert 0.15 < float(np.max(np.abs(out))) < 0.4
    assert source.warnings == []


def test_opposite_channels_cancel_when_downmixed(tmp_path: Path) -> None:
    stereo = tone(16000, 1.0, channels=2)
    stereo[:, 1] *= -1
    path = tmp_path / "phase.wav"
    soundfile.write(path, stereo, 16000, subtype="FLOAT")
    assert float(np.max(np.abs(read_all(FileSource(path))))) < 1e-6


def test_realtime_file_source_is_live(tmp_path: Path) -> None:
    path = tmp_path / "t.wav"
    soundfile.write(path, tone(16000, 0.2), 16000)
    source = FileSource(path, realtime=True, block_ms=30)
    assert source.live
    blocks = []
    source.start()
    while (b := source.read(0.1)) is not None:
        blocks.append(b.size)
    assert set(blocks[:-1]) == {480}
    assert sum(blocks) == 3200


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"hello, this is text, not audio\n" * 20, "not audio that livekr can read"),
    ],
)
def test_bad_files_are_refused_with_a_reason(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(AudioError, match=message):
        FileSource(path)


def test_missing_file_folder_and_header_only(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="no such file"):
        FileSource(tmp_path / "nope.wav")
    with pytest.raises(AudioError, match="is a folder"):
        FileSource(tmp_path)
    path = tmp_path / "header.wav"
    soundfile.write(path, np.zeros(0, dtype=np.float32), 16000)
    with pytest.raises(AudioError, match="contains no audio"):
        FileSource(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_fifo_is_refused_as_a_fifo_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "stream.wav"
    os.mkfifo(fifo)  # opening it for reading would block until a writer came
    with pytest.raises(AudioError, match=r"stream\.wav is a named pipe \(FIFO\), not a regular file; save"):
        FileSource(fifo)


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_device_node_is_refused_as_a_device() -> None:
    with pytest.raises(AudioError, match=r"^/dev/null is a character device, not a regular file"):
        FileSource("/dev/null")


@pytest.mark.skipif(os.name != "posix", reason="symbolic links need privileges on Windows")
def test_dangling_link_is_named(tmp_path: Path) -> None:
    link = tmp_path / "talk.wav"
    link.symlink_to(tmp_path / "moved.wav")
    with pytest.raises(AudioError, match=r"talk\.wav is a link to .*moved\.wav, which does not exist"):
        FileSource(link)


PERMISSION_PROBE = """
import sys
from livekr.audio import AudioError, FileSource
try:
    FileSource(sys.argv[1])
except AudioError as e:
    print(e)
"""


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_unreadable_file_says_permission_denied(tmp_path: Path) -> None:
    path = tmp_path / "locked.wav"
    soundfile.write(path, tone(16000, 0.5), 16000)
    path.chmod(0)
    command = [sys.executable, "-c", PERMISSION_PROBE, str(path)]
    if os.geteuid() == 0:
        # Root reads any file; the probe runs as root without the capabilities that let it.
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv(1)")
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", *command]
    env = _env_with_repo()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    assert proc.stdout.strip() == (
        f"{path}: permission denied; livekr may not read this file (check its permissions with ls -l)"
    )


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts open files in /proc")
def test_file_source_holds_its_file_only_while_reading(tmp_path: Path) -> None:
    path = tmp_path / "t.wav"
    soundfile.write(path, tone(16000, 3.0), 16000)
    before = _open_fds()
    sources = [FileSource(path) for _ in range(5)]
    assert _open_fds() == before  # checked, duration known, nothing held
    assert sources[0].duration_s == pytest.approx(3.0)
    sources[0].start()
    assert sources[0].read(0.1) is not None
    assert _open_fds() == before + 1
    sources[0].stop()
    assert _open_fds() == before  # stop releases it
    read_all(sources[1])
    assert _open_fds() == before  # so does reaching the end
    sources[2].start()
    sources[2].stop()  # stopped before the first read
    assert sources[2].read(0.1) is None
    assert _open_fds() == before


FD_LIMIT_PROBE = """
import resource, sys
from pathlib import Path
import numpy as np, soundfile
from livekr.audio import FileSource
folder = Path(sys.argv[1])
paths = []
for i in range(80):
    path = folder / f"f{i:02d}.wav"
    soundfile.write(path, np.full(1600, 0.1, dtype=np.float32), 16000)
    paths.append(path)
resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
sources = [FileSource(p) for p in paths]
for source in sources:
    source.start()
    samples = 0
    while (block := source.read(0.1)) is not None:
        samples += block.size
    assert samples == 1600, (source.path, samples)
print("read", len(sources))
"""


@pytest.mark.skipif(os.name != "posix", reason="RLIMIT_NOFILE")
def test_many_files_under_a_low_open_file_limit(tmp_path: Path) -> None:
    env = _env_with_repo()
    proc = subprocess.run(
        [sys.executable, "-c", FD_LIMIT_PROBE, str(tmp_path)], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "read 80"


def _cut(path: Path, keep_bytes: int, name: str) -> Path:
    cut = path.with_name(name)
    cut.write_bytes(path.read_bytes()[:keep_bytes])
    return cut


def test_truncated_wav_yields_what_is_there_and_warns(tmp_path: Path) -> None:
    path = tmp_path / "full.wav"
    soundfile.write(path, tone(16000, 2.0), 16000, subtype="PCM_16")
    cut = _cut(path, 44 + 16000 * 2, "cut.wav")  # header + 1 s of samples, header still says 2 s
    source = FileSource(cut)
    assert source.duration_s == pytest.approx(1.0)  # what can be read, for progress
    out = read_all(source)
    assert out.size == pytest.approx(SAMPLE_RATE, abs=10)
    assert source.warnings == [
        f"{cut}: the header says 2.0 s but only 1.0 s could be read; the file is truncated"
    ]


def test_truncated_mp3_warns(tmp_path: Path) -> None:
    path = tmp_path / "full.mp3"
    soundfile.write(path, tone(16000, 10.0), 16000, format="MP3", subtype="MPEG_LAYER_III")
    cut = _cut(path, path.stat().st_size // 2, "cut.mp3")
    source = FileSource(cut)
    out = read_all(source)
    assert 3.0 * SAMPLE_RATE < out.size < 6.0 * SAMPLE_RATE
    [warning] = source.warnings
    assert re.fullmatch(
        rf"{re.escape(str(cut))}: the header says 10\.0 s "
        r"but only [345]\.\d s could be read; the file is truncated",
        warning,
    )


def test_truncated_flac_yields_what_is_there_and_warns(tmp_path: Path) -> None:
    path = tmp_path / "full.flac"
    rng = np.random.default_rng(0)
    soundfile.write(path, (rng.standard_normal(SAMPLE_RATE * 4) * 0.1).astype(np.float32), 16000)
    cut = _cut(path, path.stat().st_size // 2, "cut.flac")
    source = FileSource(cut)
    out = read_all(source)  # the decoder's error ends the stream; it does not raise
    assert 0 < out.size < SAMPLE_RATE * 4
    [warning] = source.warnings
    read_s = out.size / SAMPLE_RATE
    assert warning.startswith(f"{cut}: the header says 4.0 s but only {read_s:.1f} s could be read")
    assert warning.endswith("; the file is truncated or damaged")


def test_flac_damaged_before_any_audio_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "full.flac"
    rng = np.random.default_rng(0)
    soundfile.write(path, (rng.standard_normal(SAMPLE_RATE * 4) * 0.1).astype(np.float32), 16000)
    cut = _cut(path, 400, "cut.flac")  # the header and a few bytes of the first frame
    source = FileSource(cut)
    source.start()
    with pytest.raises(AudioError, match=r"cut\.flac: no audio could be read \(.+\); the file is damaged$"):
        source.read(0.1)
    source.stop()


def test_complete_files_and_early_stops_give_no_warning(tmp_path: Path) -> None:
    path = tmp_path / "t.wav"
    soundfile.write(path, tone(16000, 3.0), 16000)
    whole = FileSource(path)
    read_all(whole)
    assert whole.warnings == []
    stopped = FileSource(path)  # stopped after one block: not a truncated file
    stopped.start()
    assert stopped.read(0.1) is not None
    stopped.stop()
    assert stopped.read(0.1) is None
    assert stopped.warnings == []


def _damaged(rate: int) -> tuple[np.ndarray, int]:
    samples = tone(rate, 1.0)
    samples[1000:1100] = np.nan
    samples[5000] = np.inf
    samples[9000] = -np.inf
    return samples, 102


def test_non_finite_samples_are_silenced_and_reported(tmp_path: Path) -> None:
    samples, bad = _damaged(16000)
    path = tmp_path / "nan.wav"
    soundfile.write(path, samples, 16000, subtype="FLOAT")
    source = FileSource(path)
    out = read_all(source)
    assert out.size == 16000 and np.all(np.isfinite(out))
    assert np.all(out[1000:1100] == 0) and out[5000] == 0 and out[9000] == 0
    good = np.isfinite(samples)
    assert np.array_equal(out[good], samples[good])  # nothing else touched
    assert source.warnings == [
        f"{path}: {bad} samples were NaN or infinite and were replaced with silence; the file is damaged"
    ]


def test_non_finite_samples_do_not_poison_the_resampler(tmp_path: Path) -> None:
    samples, bad = _damaged(48000)
    path = tmp_path / "nan48.wav"
    soundfile.write(path, np.stack([samples, samples], axis=1), 48000, subtype="FLOAT")
    source = FileSource(path)
    out = read_all(source)
    assert np.all(np.isfinite(out))
    assert dominant_hz(out[4000:-4000]) == pytest.approx(440, abs=5)
    assert source.warnings == [
        f"{path}: {2 * bad} samples were NaN or infinite and were replaced with silence; the file is damaged"
    ]


def test_array_source_silences_non_finite_samples_without_changing_the_input() -> None:
    samples, bad = _damaged(16000)
    source = ArraySource(samples)
    out = read_all(source)
    assert np.all(np.isfinite(out)) and out.size == 16000
    assert np.isnan(samples[1000])  # the caller's array is left as it was
    assert source.warnings == [f"{bad} samples were NaN or infinite and were replaced with silence"]


@pytest.mark.slow
def test_two_hour_file_is_streamed_not_loaded(two_hour_noise: Path) -> None:
    path = two_hour_noise
    source = FileSource(path)
    assert source.duration_s == pytest.approx(7200)
    source.start()
    total, largest = 0, 0
    tracemalloc.start()
    while (block := source.read(0.1)) is not None:
        total += block.size
        largest = max(largest, block.size)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert total == 7200 * SAMPLE_RATE
    assert largest <= SAMPLE_RATE
    assert peak < 20 * 1024 * 1024  # the whole file would be 460 MB as float32


def test_array_source_resamples_and_blocks() -> None:
    source = ArraySource(tone(48000, 1.0), sample_rate=48000, block_ms=20)
    out = read_all(source)
    assert out.size == pytest.approx(SAMPLE_RATE, abs=2)
    assert not source.live


def test_stop_ends_a_source_early() -> None:
    source = ArraySource(tone(16000, 5.0))
    source.start()
    assert source.read(0.1) is not None
    source.stop()
    assert source.read(0.1) is None


DEVICES = [
    InputDevice(0, "HDA Intel PCH: ALC3246 Analog", 2, 48000.0, "ALSA", False),
    InputDevice(3, "USB Headset Mic", 1, 44100.0, "ALSA", True),
    InputDevice(5, "USB Webcam Mic", 1, 16000.0, "ALSA", False),
]


def test_resolve_input_device() -> None:
    assert resolve_input_device(None, DEVICES).index == 3
    assert resolve_input_device("5", DEVICES).name == "USB Webcam Mic"
    assert resolve_input_device("headset", DEVICES).index == 3
    with pytest.raises(AudioError, match="several"):
        resolve_input_device("usb", DEVICES)
    with pytest.raises(AudioError, match="no input device with index 9"):
        resolve_input_device(9, DEVICES)
    with pytest.raises(AudioError, match="no input device named"):
        resolve_input_device("bluetooth", DEVICES)
    with pytest.raises(AudioError, match="no microphone found"):
        resolve_input_device(None, [])


def test_microphone_without_portaudio_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", None)
    with pytest.raises(AudioError, match="sounddevice"):
        MicrophoneSource().start()


def test_microphone_on_a_machine_without_sound_card() -> None:
    try:
        devices = list_input_devices()
    except AudioError as e:
        assert "PortAudio" in str(e)
        return
    if devices:
        pytest.skip("this machine has a microphone")
    with pytest.raises(AudioError, match="no microphone found"):
        MicrophoneSource().start()


def test_microphone_callback_only_enqueues_and_counts_drops() -> None:
    source = MicrophoneSource(options=AudioOptions(block_ms=30, queue_s=0.06))
    block = np.full((480, 1), 0.25, dtype=np.float32)
    for _ in range(3):
        source._callback(block, 480, None, None)
    source._callback(block, 480, None, "input overflow")
    assert source.dropped_blocks == 2
    assert source.status_errors == 1
    block[:] = 0  # the callback copied: later writes to PortAudio's buffer do not leak in
    first = source.read(0.1)
    assert first is not None and np.all(first == 0.25)
    source.stop()
    assert source.read(0.1) is not None
    assert source.read(0.1) is None


class FiniteCheckingRecognizer(ScriptedRecognizer):
    """Answers from its script and records whether every audio it was given was finite."""

    def __init__(self) -> None:
        super().__init__(["가나다"])
        self.all_finite = True

    def recognize(self, audio: np.ndarray) -> Recognition:
        self.all_finite &= bool(np.all(np.isfinite(audio)))
        return super().recognize(audio)


def test_utterance_with_nan_samples_is_still_transcribed(tmp_path: Path, speak) -> None:
    speech = speak("안녕하세요 오늘 날씨가 좋습니다")
    samples = np.concatenate([silence(0.5), speech, silence(1.5)])
    samples[8000 + speech.size // 2 : 8000 + speech.size // 2 + 400] = np.nan  # a damaged stretch
    path = tmp_path / "damaged.wav"  # at 44.1 kHz, so it goes through the resampler
    t_native = np.arange(int(samples.size * 44100 / SAMPLE_RATE)) * SAMPLE_RATE / 44100
    upsampled = np.interp(t_native, np.arange(samples.size), samples).astype(np.float32)
    soundfile.write(path, upsampled, 44100, subtype="FLOAT")
    events: list[PipelineEvent] = []
    recognizer = FiniteCheckingRecognizer()
    source = FileSource(path)
    StreamingTranscriber(source, recognizer, events.append).run()
    finals = [e for e in events if isinstance(e, Final)]
    assert [f.utterance.text for f in finals] == ["가나다"]
    assert recognizer.all_finite
    assert isinstance(events[-1], Finished)
    [warning] = source.warnings
    assert warning.startswith(f"{path}: ") and "samples were NaN or infinite" in warning
