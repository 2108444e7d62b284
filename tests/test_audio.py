"""Audio sources: files of any rate and layout, bad files, long files, the microphone edge."""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile

from livekr.audio import ArraySource, AudioError, FileSource
from livekr.config import SAMPLE_RATE, AudioOptions
from livekr.microphone import InputDevice, MicrophoneSource, list_input_devices, resolve_input_device


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


def test_truncated_wav_yields_what_is_there(tmp_path: Path) -> None:
    path = tmp_path / "full.wav"
    soundfile.write(path, tone(16000, 2.0), 16000, subtype="PCM_16")
    data = path.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: 44 + 16000 * 2])  # header + 1 s of samples, header still says 2 s
    out = read_all(FileSource(cut))
    assert out.size == pytest.approx(SAMPLE_RATE, abs=10)


def test_truncated_flac_is_read_or_reported(tmp_path: Path) -> None:
    path = tmp_path / "full.flac"
    rng = np.random.default_rng(0)
    soundfile.write(path, (rng.standard_normal(SAMPLE_RATE * 4) * 0.1).astype(np.float32), 16000)
    cut = tmp_path / "cut.flac"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    source = FileSource(cut)
    try:
        out = read_all(source)
    except AudioError as e:
        assert "truncated or damaged" in str(e)
    else:
        assert 0 < out.size < SAMPLE_RATE * 4


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
