"""Audio sources: microphone, file and array, all delivering mono float32 at 16 kHz.

Every source has the same small interface (``AudioSource``); the pipeline reads blocks
from it on its own thread. ``sounddevice`` is imported only inside the microphone source,
so everything else works on machines without PortAudio.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import soundfile
import soxr

from livekr.config import SAMPLE_RATE, AudioOptions

log = logging.getLogger(__name__)

PORTAUDIO_HINT = (
    "install the PortAudio library (Debian/Ubuntu: sudo apt install libportaudio2; "
    "Fedora: sudo dnf install portaudio; macOS and Windows: it comes with the sounddevice wheel)"
)
FILE_BLOCK_S = 0.5
"""How much of a file is read at once when transcribing as fast as possible."""


class AudioError(Exception):
    """A source cannot deliver audio; the message says why and what to do."""


class AudioSource(Protocol):
    """Where the pipeline's audio comes from.

    ``read`` is called from one thread (the pipeline's reader); ``stop`` may be called
    from any thread.
    """

    live: bool
    """True for sources that must never be paused (a microphone, real-time playback)."""
    description: str

    def start(self) -> None: ...

    def read(self, timeout_s: float) -> np.ndarray | None:
        """The next block (1-D float32, 16 kHz), an empty array if none came within
        ``timeout_s``, or None once the stream has ended (after ``stop`` or the file's end)."""
        ...

    def stop(self) -> None: ...

    @property
    def dropped_blocks(self) -> int: ...

    @property
    def status_errors(self) -> int: ...


class StreamResampler:
    """Streaming conversion of one channel to 16 kHz (soxr, high quality)."""

    def __init__(self, in_rate: float) -> None:
        self.in_rate = in_rate
        self._stream = (
            None
            if in_rate == SAMPLE_RATE
            else soxr.ResampleStream(in_rate, SAMPLE_RATE, 1, dtype="float32", quality="HQ")
        )

    def __call__(self, block: np.ndarray, last: bool = False) -> np.ndarray:
        block = np.ascontiguousarray(block, dtype=np.float32)
        if self._stream is None:
            return block
        return self._stream.resample_chunk(block, last=last)


class _Pacer:
    """Holds delivery back to real time: stream time never runs ahead of the wall clock."""

    def __init__(self, stopped: threading.Event) -> None:
        self._t0: float | None = None
        self._stopped = stopped

    def wait_for(self, stream_s: float) -> None:
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = now
        delay = self._t0 + stream_s - now
        if delay > 0:
            self._stopped.wait(delay)


class _BlockSource:
    """Shared reading logic for sources that produce blocks from a generator."""

    live = False
    description = ""

    def __init__(self, realtime: bool) -> None:
        self.realtime = realtime
        self.live = realtime
        self._stopped = threading.Event()
        self._pacer = _Pacer(self._stopped)
        self._blocks: Iterator[np.ndarray] | None = None
        self._delivered = 0

    def _generate(self) -> Iterator[np.ndarray]:
        raise NotImplementedError

    def start(self) -> None:
        self._blocks = self._generate()

    def read(self, timeout_s: float) -> np.ndarray | None:
        if self._blocks is None:
            raise RuntimeError("read() before start()")
        if self._stopped.is_set():
            return None
        block = next(self._blocks, None)
        if block is None:
            return None
        if self.realtime:
            self._pacer.wait_for((self._delivered + block.size) / SAMPLE_RATE)
        self._delivered += block.size
        return block

    def stop(self) -> None:
        self._stopped.set()

    @property
    def dropped_blocks(self) -> int:
        return 0

    @property
    def status_errors(self) -> int:
        return 0


class ArraySource(_BlockSource):
    """Plays samples held in memory, as fast as possible or at real-time pace."""

    def __init__(
        self,
        samples: np.ndarray,
        sample_rate: int = SAMPLE_RATE,
        block_ms: int = AudioOptions.block_ms,
        realtime: bool = False,
    ) -> None:
        super().__init__(realtime)
        mono = np.asarray(samples, dtype=np.float32)
        if mono.ndim == 2:
            mono = mono.mean(axis=1)
        self.samples = StreamResampler(sample_rate)(mono, last=True)
        self.block_samples = SAMPLE_RATE * block_ms // 1000
        self.description = f"{self.samples.size / SAMPLE_RATE:.1f} s of audio"

    def _generate(self) -> Iterator[np.ndarray]:
        for i in range(0, self.samples.size, self.block_samples):
            yield self.samples[i : i + self.block_samples].copy()


def open_sound_file(path: str | os.PathLike[str]) -> soundfile.SoundFile:
    """Open ``path`` for reading, or raise ``AudioError`` saying what is wrong with it."""
    p = Path(path)
    if not p.exists():
        raise AudioError(f"{p}: no such file")
    if p.is_dir():
        raise AudioError(f"{p} is a folder; give an audio file (WAV, FLAC, OGG or MP3)")
    if p.stat().st_size == 0:
        raise AudioError(f"{p} is empty (0 bytes); record or export the audio again")
    try:
        f = soundfile.SoundFile(str(p))
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as e:
        raise AudioError(
            f"{p} is not audio that livekr can read ({e}); "
            "convert it to WAV, FLAC, OGG or MP3, e.g. with: ffmpeg -i INPUT -ar 16000 OUT.wav"
        ) from e
    if f.frames == 0:
        f.close()
        raise AudioError(f"{p} contains no audio samples; record or export the audio again")
    return f


class FileSource(_BlockSource):
    """Streams any file libsndfile reads (WAV, FLAC, OGG, MP3), a block at a time.

    Channels are averaged to mono and any sample rate is resampled to 16 kHz; the file is
    never held in memory whole. Opening checks the file and raises ``AudioError``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        realtime: bool = False,
        block_ms: int = AudioOptions.block_ms,
    ) -> None:
        super().__init__(realtime)
        self.path = Path(path)
        self._file = open_sound_file(self.path)
        self.native_rate = self._file.samplerate
        self.channels = self._file.channels
        self.duration_s = self._file.frames / self._file.samplerate
        block_s = block_ms / 1000 if realtime else FILE_BLOCK_S
        self._native_block = max(1, int(block_s * self.native_rate))
        self.description = str(self.path)

    def _generate(self) -> Iterator[np.ndarray]:
        resample = StreamResampler(self.native_rate)
        read_frames = 0
        with self._file:
            while True:
                try:
                    data = self._file.read(self._native_block, dtype="float32", always_2d=True)
                except (soundfile.LibsndfileError, RuntimeError) as e:
                    raise AudioError(
                        f"{self.path}: reading stopped after {read_frames / self.native_rate:.1f} s "
                        f"({e}); the file may be truncated or damaged"
                    ) from e
                last = data.shape[0] < self._native_block
                read_frames += data.shape[0]
                out = resample(data.mean(axis=1), last=last)
                if out.size:
                    yield out
                if last:
                    return


@dataclass(frozen=True)
class InputDevice:
    """A capture device as PortAudio lists it."""

    index: int
    name: str
    channels: int
    default_rate: float
    host_api: str
    is_default: bool


def _import_sounddevice() -> Any:
    try:
        import sounddevice
    except ImportError as e:
        raise AudioError("the microphone needs the sounddevice package: pip install sounddevice") from e
    except OSError as e:
        raise AudioError(f"the microphone needs PortAudio, which is missing: {PORTAUDIO_HINT}") from e
    return sounddevice


_open_streams = 0
"""Microphone streams open in this process; PortAudio is only restarted when there are none."""
_streams_lock = threading.Lock()


def list_input_devices(refresh: bool = False) -> list[InputDevice]:
    """Capture devices PortAudio can see (empty when there is no sound card).

    PortAudio reads the device list once, when it starts; ``refresh`` restarts it so that
    microphones plugged in since then appear (skipped while a stream is open, since the
    restart would cut it).
    """
    sd = _import_sounddevice()
    with _streams_lock:
        if refresh and _open_streams == 0:
            sd._terminate()
            sd._initialize()
    try:
        default_in = sd.default.device[0]
        host_apis = sd.query_hostapis()
        devices = sd.query_devices()
    except sd.PortAudioError as e:
        raise AudioError(f"cannot list audio devices: {e}") from e
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
        raise AudioError(
            "no microphone found: connect one and check that the system sees it "
            "(`livekr devices` lists what livekr can use), or try `livekr --demo FILE`"
        )
    names = ", ".join(f"{d.index}: {d.name}" for d in devices)
    if spec is None or spec == "":
        return next((d for d in devices if d.is_default), devices[0])
    if isinstance(spec, int) or str(spec).isdigit():
        for d in devices:
            if d.index == int(spec):
                return d
        raise AudioError(f"no input device with index {spec}; available: {names}")
    matches = [d for d in devices if str(spec).lower() in d.name.lower()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise AudioError(f"no input device named like {spec!r}; available: {names}")
    raise AudioError(
        f"{spec!r} matches several input devices ({', '.join(d.name for d in matches)}); "
        "give its index instead"
    )


class MicrophoneSource:
    """Captures a microphone through sounddevice.

    The PortAudio callback only copies the block and puts it on a bounded queue; when the
    queue is full the block is counted as dropped. 16 kHz mono is asked of the device; if
    it refuses, its native rate is captured and resampled on the reading thread.
    """

    live = True

    def __init__(self, device: str | int | None = None, options: AudioOptions | None = None) -> None:
        self.options = options or AudioOptions()
        self.device_spec = device
        self.description = "microphone"
        self.rate = float(SAMPLE_RATE)
        blocks = int(self.options.queue_s * 1000 / self.options.block_ms)
        self._queue: queue.Queue[np.ndarray] = queue.Queue(maxsize=max(1, blocks))
        self._stopped = threading.Event()
        self._stream: Any = None
        self._resample = StreamResampler(SAMPLE_RATE)
        self._dropped = 0
        self._status_errors = 0

    def start(self) -> None:
        sd = _import_sounddevice()
        device = resolve_input_device(self.device_spec, list_input_devices())
        self.description = device.name
        try:
            sd.check_input_settings(device.index, channels=1, dtype="float32", samplerate=SAMPLE_RATE)
            self.rate = float(SAMPLE_RATE)
        except (sd.PortAudioError, ValueError):
            self.rate = device.default_rate
            log.info("%s does not capture at 16 kHz; resampling from %.0f Hz", device.name, self.rate)
        self._resample = StreamResampler(self.rate)
        try:
            self._stream = sd.InputStream(
                device=device.index,
                channels=1,
                samplerate=self.rate,
                dtype="float32",
                blocksize=int(self.rate * self.options.block_ms / 1000),
                callback=self._callback,
            )
            self._stream.start()
        except sd.PortAudioError as e:
            raise AudioError(f"cannot open {device.name!r} for recording: {e}") from e
        global _open_streams
        with _streams_lock:
            _open_streams += 1

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if status:
            self._status_errors += 1
        try:
            self._queue.put_nowait(indata[:, 0].copy())
        except queue.Full:
            self._dropped += 1

    def read(self, timeout_s: float) -> np.ndarray | None:
        try:
            block = self._queue.get(timeout=timeout_s)
        except queue.Empty:
            if self._stopped.is_set():
                return None
            if self._stream is not None and not self._stream.active:
                raise AudioError(
                    f"the input device {self.description!r} stopped delivering audio "
                    "(unplugged or taken by another program?); the transcript so far is kept"
                ) from None
            return np.zeros(0, dtype=np.float32)
        return self._resample(block)

    def stop(self) -> None:
        global _open_streams
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception:  # the device may already be gone; nothing more to release
                log.debug("closing the input stream failed", exc_info=True)
            with _streams_lock:
                _open_streams -= 1
        self._stopped.set()

    @property
    def dropped_blocks(self) -> int:
        return self._dropped

    @property
    def status_errors(self) -> int:
        return self._status_errors
