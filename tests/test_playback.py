"""Playing back an utterance's kept audio: the span read from the spool, and the player's
errors (no PortAudio, no output device) as clear messages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from livekr.audio import AudioError
from livekr.config import SAMPLE_RATE
from livekr.playback import Player, read_span


def spool(tmp_path: Path, seconds: float) -> tuple[Path, np.ndarray]:
    samples = (np.arange(int(seconds * SAMPLE_RATE)) % 1000).astype("<i2")
    path = tmp_path / "session.pcm"
    path.write_bytes(samples.tobytes())
    return path, samples.astype(np.float32) / 32768.0


def test_the_span_is_the_utterance_with_a_pad_clipped_to_the_file(tmp_path: Path) -> None:
    path, audio = spool(tmp_path, 3.0)
    middle = read_span(path, 1.0, 2.0, pad_s=0.1)
    start = round(0.9 * SAMPLE_RATE)
    assert np.array_equal(middle, audio[start:start + round(1.2 * SAMPLE_RATE)])
    assert read_span(path, 0.0, 0.5, pad_s=0.2).size == round(0.7 * SAMPLE_RATE)  # clipped at 0
    assert read_span(path, 2.9, 4.0, pad_s=0.0).size == round(0.1 * SAMPLE_RATE)  # and at the end
    assert read_span(path, 5.0, 6.0).size == 0


def test_an_unreadable_spool_is_an_audio_error(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="cannot read the kept audio"):
        read_span(tmp_path / "gone.pcm", 0.0, 1.0)


class FailingDevice:
    def stop(self) -> None:
        pass

    def play(self, audio: np.ndarray, rate: int) -> None:
        raise RuntimeError("Error querying device -1")


class RecordingDevice:
    def __init__(self) -> None:
        self.played: list[tuple[int, int]] = []
        self.stops = 0

    def stop(self) -> None:
        self.stops += 1

    def play(self, audio: np.ndarray, rate: int) -> None:
        self.played.append((audio.size, rate))


def test_the_player_stops_the_last_sound_and_plays_at_16_khz() -> None:
    device = RecordingDevice()
    player = Player(device)
    player.play(np.zeros(800, np.float32))
    player.play(np.zeros(1600, np.float32))
    assert device.played == [(800, SAMPLE_RATE), (1600, SAMPLE_RATE)] and device.stops == 2


def test_no_output_device_says_what_to_check() -> None:
    with pytest.raises(AudioError, match="check that a speaker or headphones are connected"):
        Player(FailingDevice()).play(np.zeros(10, np.float32))
