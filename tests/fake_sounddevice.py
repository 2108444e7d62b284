"""A stand-in for the sounddevice module: one input device whose stream calls back from
its own thread, paced like a device, until it is stopped; and a wrapper that holds any
sounddevice-like object's device query until the test lets it go."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np


class FakePortAudioError(Exception):
    pass


class FakeStream:
    """An input stream that delivers blocks of a quiet 440 Hz tone every ``blocksize`` frames of
    its rate while started; ``active`` and the closed state are those PortAudio reports."""

    def __init__(
        self,
        device: int,
        channels: int,
        samplerate: float,
        dtype: str,
        blocksize: int,
        callback: Callable[..., None],
    ) -> None:
        self.samplerate = samplerate
        self.blocksize = blocksize
        self.callback = callback
        self.active = False
        self.closed = False
        self.blocks_delivered = 0
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.closed:
            raise FakePortAudioError("the stream is closed")
        self.active = True
        self._thread = threading.Thread(target=self._deliver, name="fake-portaudio", daemon=True)
        self._thread.start()

    def _deliver(self) -> None:
        frames = np.arange(self.blocksize)
        while not self._halt.is_set():
            t = (self.blocks_delivered * self.blocksize + frames) / self.samplerate
            block = (0.01 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[:, None]
            self.callback(block, self.blocksize, None, None)
            self.blocks_delivered += 1
            self._halt.wait(self.blocksize / self.samplerate)  # the device's pace

    def stop(self) -> None:
        self._halt.set()
        if self._thread is not None:
            self._thread.join()
        self.active = False

    def close(self) -> None:
        self.stop()
        self.closed = True


class FakeSounddevice:
    """The names of sounddevice that livekr.microphone uses, over one fake input device."""

    PortAudioError = FakePortAudioError

    def __init__(
        self, native_rate: float = 48_000.0, rates: tuple[float, ...] = (16_000.0, 48_000.0)
    ) -> None:
        self.default = SimpleNamespace(device=(0, 0))
        self.native_rate = native_rate
        self.rates = rates
        self.streams: list[FakeStream] = []

    def query_hostapis(self) -> list[dict[str, Any]]:
        return [{"name": "Fake API"}]

    def query_devices(self) -> list[dict[str, Any]]:
        return [
            {
                "name": "fake microphone",
                "max_input_channels": 1,
                "default_samplerate": self.native_rate,
                "hostapi": 0,
            }
        ]

    def check_input_settings(self, device: int, channels: int, dtype: str, samplerate: float) -> None:
        if samplerate not in self.rates:
            raise FakePortAudioError(f"Invalid sample rate {samplerate}")

    def InputStream(self, **kwargs: Any) -> FakeStream:
        stream = FakeStream(**kwargs)
        self.streams.append(stream)
        return stream

    def _terminate(self) -> None:
        pass

    def _initialize(self) -> None:
        pass


class HeldDeviceQuery:
    """Wraps a sounddevice-like object; ``query_devices`` waits until ``release`` is set,
    after setting ``entered``: a device query that is slow exactly when the test wants."""

    def __init__(self, sounddevice: Any) -> None:
        self._sd = sounddevice
        self.entered = threading.Event()
        self.release = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sd, name)

    def query_devices(self, *args: Any, **kwargs: Any) -> Any:
        self.entered.set()
        self.release.wait()
        return self._sd.query_devices(*args, **kwargs)


class OnlyNativeRate:
    """Wraps a sounddevice-like object so that every device refuses any rate but its own
    default, as many USB microphones do."""

    def __init__(self, sounddevice: Any) -> None:
        self._sd = sounddevice

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sd, name)

    def check_input_settings(self, device: int, channels: int, dtype: str, samplerate: float) -> None:
        native = self._sd.query_devices(device)["default_samplerate"]
        if samplerate != native:
            raise self._sd.PortAudioError(f"Invalid sample rate {samplerate} (only {native})")
        self._sd.check_input_settings(device, channels=channels, dtype=dtype, samplerate=samplerate)
