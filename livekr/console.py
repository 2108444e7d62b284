"""The terminal end of a session: JSON lines, messages and progress on stderr, and signals.

Used by ``livekr transcribe`` and ``livekr listen``; the window has its own end in ``gui/``.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

from livekr.events import EventSink, Failure, Final, Finished, Partial, PipelineEvent, Stats
from livekr.pipeline import StreamingTranscriber
from livekr.session import TranscriptSession

PROGRESS_EVERY_S = 5.0
"""Wall time between progress lines on stderr for long files."""
LONG_FILE_S = 60.0
"""Files longer than this get progress lines."""
POLL_S = 0.1
"""How often the main thread looks for a stop request while a session runs."""
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""Signals that end a session the way Ctrl-C does: finish what was captured, write, exit."""


def say(message: str) -> None:
    """One line for the user on stderr."""
    print(f"livekr: {message}", file=sys.stderr, flush=True)


class EventPrinter:
    """Writes pipeline events as JSON lines, one flushed line each; safe from any thread."""

    TYPES = (Partial, Final, Failure, Finished)

    def __init__(self, stream: IO[str], source: str | None = None) -> None:
        self.stream = stream
        self.source = source
        self._lock = threading.Lock()
        self.broken = False

    def __call__(self, event: PipelineEvent) -> None:
        if isinstance(event, self.TYPES):
            self.write(event.to_dict())

    def write(self, data: dict[str, Any]) -> None:
        """One JSON line (with ``source`` when set), unless the reader has gone away."""
        if self.broken:
            return
        if self.source is not None:
            data = {**data, "source": self.source}
        line = json.dumps(data, ensure_ascii=False)
        with self._lock:
            try:
                self.stream.write(line + "\n")
                self.stream.flush()
            except BrokenPipeError:
                self.broken = True


class ConsoleReporter:
    """Failures as lines on stderr, progress of long files, and (for ``listen`` without
    ``--events``) each final's text on stdout; an event sink, safe from any thread."""

    def __init__(self, name: str, duration_s: float | None = None, print_finals: bool = False) -> None:
        self.name = name
        self.duration_s = duration_s
        self.print_finals = print_finals
        self._next_progress = time.monotonic()  # a long file shows its first line at once

    def __call__(self, event: PipelineEvent) -> None:
        if isinstance(event, Failure):
            say(f"{self.name}: {event.message}")
        elif isinstance(event, Stats):
            self._progress(event.time_s)
        elif isinstance(event, Final) and self.print_finals:
            print(event.utterance.text, flush=True)

    def _progress(self, stream_s: float) -> None:
        if not self.duration_s or self.duration_s < LONG_FILE_S or time.monotonic() < self._next_progress:
            return
        self._next_progress = time.monotonic() + PROGRESS_EVERY_S
        share = min(1.0, stream_s / self.duration_s)
        say(f"{self.name}: {share:4.0%} ({stream_s:.0f}/{self.duration_s:.0f} s)")


def session_sink(session: TranscriptSession, *outputs: EventSink | None) -> EventSink:
    """The pipeline's sink: ``session`` keeps each event, ``outputs`` get what it returns."""
    targets = [o for o in outputs if o is not None]

    def sink(event: PipelineEvent) -> None:
        for shown in session.handle(event):
            for target in targets:
                target(shown)

    return sink


class Interrupt:
    """Turns SIGINT, SIGTERM and SIGHUP into a stop request.

    The first signal asks the running session to stop capturing and finish what it has; a
    second one asks to leave at once with what is transcribed so far. The handlers only set
    flags, so no signal ever surfaces as a traceback; the main thread polls them.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        """The first stop signal received, or None."""
        self.forced = False
        """A second stop signal came: leave without waiting for the session."""
        self._previous: dict[int, Any] = {}

    @property
    def requested(self) -> bool:
        return self.signum is not None

    @property
    def exit_code(self) -> int:
        """128 + the signal number, the shell's convention for a command ended by a signal."""
        return 128 + (self.signum or 0)

    def _handle(self, signum: int, frame: object) -> None:
        if self.signum is None:
            self.signum = signum
        else:
            self.forced = True

    def install(self) -> Interrupt:
        """Take over the stop signals (main thread only); ``restore`` gives them back."""
        for sig in STOP_SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def restore(self) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()

    def __enter__(self) -> Interrupt:
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.restore()


def drive(transcriber: StreamingTranscriber, interrupt: Interrupt,
          on_stop: Callable[[], None] | None = None) -> bool:
    """Run ``transcriber`` until its source ends; a stop request stops capture and drains.

    Returns True when the session finished, False when a second signal asked to leave
    before it did (what was transcribed so far is in its sink). Main thread only.
    """
    transcriber.start()
    stopping = False
    while not transcriber.wait(POLL_S):
        if interrupt.forced:
            return False
        if interrupt.requested and not stopping:
            stopping = True
            if on_stop is not None:
                on_stop()
            # Off the main thread: closing a device may block in C, where no signal handler
            # runs, and a second Ctrl-C must still be able to end the process.
            threading.Thread(target=transcriber.stop, name="livekr-stop", daemon=True).start()
    return True
