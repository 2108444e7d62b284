"""The microphone: device listing and choice, and a capture source on sounddevice.

``sounddevice`` (and with it PortAudio) is imported only when a device is listed or
opened, so the rest of livekr works on machines without it. Where a ``sounddevice``
argument is taken, any object with the same names (``query_devices``, ``InputStream``,
``PortAudioError``, ...) can stand in for the module, e.g. in tests.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from livekr.audio import AudioError, StreamResampler
from livekr.config import SAMPLE_RATE, AudioOptions

log = logging.getLogger(__name__)

PORTAUDIO_HINT = (
    "install the PortAudio library (Debian/Ubuntu: sudo apt install libportaudio2; "
    "Fedora: sudo dnf install portaudio; macOS and Windows: it comes with the sounddevice wheel, "
    "pip install --force-reinstall sounddevice)"
)
SOUNDDEVICE_HINT = "pip install sounddevice"

@dataclass(frozen=True)
class InputDevice:
    """A capture device as PortAudio lists it."""

    index: int
    name: str
    channels: int
    default_rate: float
    host_api: str
    is_default: bool


def import_sounddevice() -> Any:
    """The sounddevice module; AudioError saying what to install when it or PortAudio is
    missing (the cause is the ImportError, or the OSError of the missing library)."""
    try:
        import sounddevice
    except ImportError as e:
        raise AudioError("mic.no_sounddevice") from e
    except OSError as e:
        raise AudioError("mic.no_portaudio", hint=PORTAUDIO_HINT) from e
    return sounddevice


_open_streams = 0
"""Microphone streams open in this process; PortAudio is only restarted when there are none."""
_streams_lock = threading.Lock()


def list_input_devices(refresh: bool = False, sounddevice: Any = None) -> list[InputDevice]:
    """Capture devices PortAudio can see (empty when there is no sound card).

    PortAudio reads the device list once, when it starts; ``refresh`` restarts it so that
    microphones plugged in since then appear (skipped while a stream is open, since the
    restart would cut it).
    """
    sd = sounddevice or import_sounddevice()
    with _streams_lock:
        if refresh and _open_streams == 0:
            sd._terminate()
            sd._initialize()
    try:
        default_in = sd.default.device[0]
        host_apis = sd.query_hostapis()
        devices = sd.query_devices()
    except sd.PortAudioError as e:
        raise AudioError("mic.list_failed", detail=str(e)) from e
    out = []
    for index, dev in enumerate(devices):
        if dev["max_input_channels"] > 0:
            out.append(
                InputDevice(
                    index=index,
                    name=dev["name"],
                    channels=dev["max_input_channels"],
                    default_rate=float(dev["default_samplerate"]),
                    host_api=host_apis[dev["hostapi"]]["name"],
                    is_default=index == default_in,
                )
            )
    return out


def refresh_input_devices() -> list[InputDevice]:
    """``list_input_devices(refresh=True)``: for a "refresh" command in a device menu."""
    return list_input_devices(refresh=True)


def resolve_input_device(spec: str | int | None, devices: list[InputDevice]) -> InputDevice:
    """Pick a device by index, by (part of) its name, or the default when ``spec`` is None."""
    if not devices:
        raise AudioError("mic.none")
    names = ", ".join(f"{d.index}: {d.name}" for d in devices)
    if spec is None or spec == "":
        return next((d for d in devices if d.is_default), devices[0])
    if isinstance(spec, int) or str(spec).isdigit():
        for d in devices:
            if d.index == int(spec):
                return d
        raise AudioError("mic.no_index", spec=spec, names=names)
    matches = [d for d in devices if str(spec).lower() in d.name.lower()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise AudioError("mic.no_name", spec=spec, names=names)
    raise AudioError("mic.ambiguous", spec=spec, matches=", ".join(d.name for d in matches))


class MicrophoneSource:
    """Captures a microphone through sounddevice.

    The PortAudio callback only copies the block and puts it on a bounded queue; when the
    queue is full the block is counted as dropped. 16 kHz mono is asked of the device; if
    it refuses, its native rate is captured and resampled on the reading thread.

    ``stop()`` may come from any thread at any time, also before or while ``start()``
    opens the device: the device is then not opened, or closed at once. Audio arriving
    after ``stop()`` is not kept; ``read()`` then returns what was queued before, then None.
    """

    live = True

    def __init__(
        self,
        device: str | int | None = None,
        options: AudioOptions | None = None,
        sounddevice: Any = None,
    ) -> None:
        self.options = options or AudioOptions()
        self.device_spec = device
        self.description = "microphone"
        self.rate = float(SAMPLE_RATE)
        blocks = int(self.options.queue_s * 1000 / self.options.block_ms)
        self._queue: queue.Queue[np.ndarray] = queue.Queue(maxsize=max(1, blocks))
        self._sd = sounddevice
        self._lock = threading.Lock()  # orders start()'s opening against stop()
        self._stopped = threading.Event()
        self._stream: Any = None
        self._resample = StreamResampler(SAMPLE_RATE)
        self._flushed = False
        self._dropped = 0
        self._status_errors = 0

    def start(self) -> None:
        """Open the device and start capturing; nothing is opened after ``stop()``."""
        if self._stopped.is_set():
            return
        sd = self._sd or import_sounddevice()
        device = resolve_input_device(self.device_spec, list_input_devices(sounddevice=sd))
        self.description = device.name
        try:
            sd.check_input_settings(device.index, channels=1, dtype="float32", samplerate=SAMPLE_RATE)
            rate = float(SAMPLE_RATE)
        except (sd.PortAudioError, ValueError):
            rate = device.default_rate
            log.info("%s does not capture at 16 kHz; resampling from %.0f Hz", device.name, rate)
        if self._stopped.is_set():
            return
        self.rate = rate
        self._resample = StreamResampler(rate)
        with self._lock:
            if self._stopped.is_set():
                return
            self._stream = self._open(sd, device, rate)

    def _open(self, sd: Any, device: InputDevice, rate: float) -> Any:
        """Open and start the stream (under ``_lock``, so ``stop()`` waits for it)."""
        global _open_streams
        try:
            stream = sd.InputStream(
                device=device.index,
                channels=1,
                samplerate=rate,
                dtype="float32",
                blocksize=int(rate * self.options.block_ms / 1000),
                callback=self._callback,
            )
        except sd.PortAudioError as e:
            raise AudioError("mic.open_failed", name=device.name, detail=str(e)) from e
        try:
            stream.start()
        except sd.PortAudioError as e:
            _close(stream)
            raise AudioError("mic.start_failed", name=device.name, detail=str(e)) from e
        with _streams_lock:
            _open_streams += 1
        return stream

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if self._stopped.is_set():
            return
        if status:
            self._status_errors += 1
        try:
            self._queue.put_nowait(indata[:, 0].copy())
        except queue.Full:
            self._dropped += 1

    def read(self, timeout_s: float) -> np.ndarray | None:
        """The next block; after ``stop()`` only what was queued before it, then None."""
        if self._stopped.is_set():
            return self._read_after_stop()
        try:
            block = self._queue.get(timeout=timeout_s)
        except queue.Empty:
            if self._stopped.is_set():
                return self._read_after_stop()
            stream = self._stream  # stop() may clear it meanwhile
            if stream is not None and not stream.active:
                raise AudioError("mic.stopped", name=self.description) from None
            return np.zeros(0, dtype=np.float32)
        return self._resample(block)

    def _read_after_stop(self) -> np.ndarray | None:
        try:
            return self._resample(self._queue.get_nowait())
        except queue.Empty:
            pass
        if self._flushed:
            return None
        self._flushed = True  # the resampler's last samples
        tail = self._resample(np.zeros(0, dtype=np.float32), last=True)
        return tail if tail.size else None

    def stop(self) -> None:
        """Stop capturing and close the device (any thread; waits while it is being opened)."""
        global _open_streams
        with self._lock:
            self._stopped.set()
            stream, self._stream = self._stream, None
        if stream is not None:
            _close(stream)
            with _streams_lock:
                _open_streams -= 1

    @property
    def dropped_blocks(self) -> int:
        return self._dropped

    @property
    def status_errors(self) -> int:
        return self._status_errors


def _close(stream: Any) -> None:
    """Stop and close ``stream``; a device that is already gone may fail either step."""
    for step in (stream.stop, stream.close):
        try:
            step()
        except Exception:  # nothing more can be released
            log.debug("closing the input stream failed at %s", step.__name__, exc_info=True)
