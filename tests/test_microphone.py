"""MicrophoneSource and a session over it, on a fake sounddevice module (no sound card):
stop before or while the device is opened, and a device that refuses 16 kHz."""

from __future__ import annotations

import numpy as np

from livekr.config import SAMPLE_RATE
from livekr.events import Finished, LevelChanged
from livekr.microphone import MicrophoneSource
from livekr.pipeline import StreamingTranscriber
from tests.conftest import ScriptedRecognizer
from tests.fake_sounddevice import FakeSounddevice, HeldDeviceQuery
from tests.test_pipeline import WAIT_S, Recorder


def test_stop_while_the_device_is_queried_ends_the_session_and_opens_nothing() -> None:
    sd = FakeSounddevice()
    held = HeldDeviceQuery(sd)
    rec = Recorder()
    transcriber = StreamingTranscriber(MicrophoneSource(sounddevice=held), ScriptedRecognizer(), rec)
    transcriber.start()
    assert held.entered.wait(WAIT_S)  # the reader is opening the device: Stop right after Record
    transcriber.stop()
    held.release.set()
    assert transcriber.wait(WAIT_S), "the session did not finish after stop()"
    assert sd.streams == []
    assert isinstance(rec.events[-1], Finished)


def test_a_source_started_after_stop_opens_nothing_and_reads_none() -> None:
    sd = FakeSounddevice()
    source = MicrophoneSource(sounddevice=sd)
    source.stop()
    source.start()
    assert sd.streams == []
    assert source.read(0.0) is None


def test_stop_closes_a_capturing_device_and_drains_what_was_queued() -> None:
    sd = FakeSounddevice()
    rec = Recorder()
    source = MicrophoneSource(sounddevice=sd)
    transcriber = StreamingTranscriber(source, ScriptedRecognizer(), rec)
    transcriber.start()
    rec.wait_for(lambda e: isinstance(e, LevelChanged))
    transcriber.stop()
    assert transcriber.wait(WAIT_S)
    (stream,) = sd.streams
    assert stream.closed and not stream.active
    delivered_s = stream.blocks_delivered * stream.blocksize / stream.samplerate
    finished = rec.of(Finished)[0]
    assert 0 < finished.audio_s <= delivered_s + 1 / SAMPLE_RATE


def dominant_hz(audio: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(audio.size)))
    return float(np.argmax(spectrum) * SAMPLE_RATE / audio.size)


def test_a_device_that_refuses_16_khz_is_captured_at_its_rate_and_resampled() -> None:
    sd = FakeSounddevice(native_rate=48_000.0, rates=(48_000.0,))  # delivers a 440 Hz tone
    source = MicrophoneSource(sounddevice=sd)
    source.start()
    (stream,) = sd.streams
    assert source.rate == stream.samplerate == 48_000.0
    blocks: list[np.ndarray] = []
    for _ in range(100):  # 30 ms blocks; the resampler holds back the first few samples
        block = source.read(WAIT_S)
        assert block is not None
        blocks.append(block)
        if sum(b.size for b in blocks) >= SAMPLE_RATE // 2:
            break
    source.stop()
    assert stream.closed
    assert abs(dominant_hz(np.concatenate(blocks)) - 440) <= 4  # 1320 Hz if not resampled
