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
from types import FrameType, TracebackType
from typing import IO, Any

from livekr.events import EventSink, Failure, Final, Finished, Partial, PipelineEvent, Stats
from livekr.hub_api import DownloadCancelled
from livekr.hub_transfer import DownloadProgress, ProgressLines, describe
from livekr.pipeline import StreamingTranscriber
from livekr.session import TranscriptSession
from livekr.stop_signals import StopSignals

PROGRESS_EVERY_S = 5.0
"""Wall time between progress lines on stderr for long files."""
LONG_FILE_S = 60.0
"""Files longer than this get progress lines."""
EXIT_OK, EXIT_FAILED = 0, 1
"""Exit statuses of the commands (a stop by signal exits 128 + its number: ``Interrupt``)."""
POLL_S = 0.1
"""How often the main thread looks for a stop request while a session runs."""


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
    """Turns SIGINT, SIGTERM and SIGHUP into a stop request (through ``StopSignals``: taken
    even when inherited as ignored, SIGHUP left alone under nohup, and ignored once one came
    while the caller saves and exits).

    The first signal asks the running session to stop capturing and finish what it has; a
    second one to give up what is still queued. The handlers only record, so no signal ever
    surfaces as a traceback; the main thread polls them.
    """

    def __init__(self) -> None:
        self._signals = StopSignals()

    @property
    def signum(self) -> int | None:
        """The first stop signal received, or None."""
        received = self._signals.received
        return int(getattr(signal, received[0])) if received else None

    @property
    def requested(self) -> bool:
        return bool(self._signals.received)

    @property
    def forced(self) -> bool:
        """A second stop signal came: give up the utterances still queued."""
        return len(self._signals.received) > 1

    @property
    def exit_code(self) -> int:
        """128 + the signal number, the shell's convention for a command ended by a signal."""
        return 128 + (self.signum or 0)

    def _handle(self, signum: int, frame: object) -> None:
        self._signals._on_signal(signum, None)

    def __enter__(self) -> Interrupt:
        self._signals.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._signals.__exit__(None, None, None)


def drive(transcriber: StreamingTranscriber, interrupt: Interrupt,
          on_stop: Callable[[], None] | None = None) -> None:
    """Run ``transcriber`` until it has finished (main thread only).

    A first stop signal stops capture and lets everything captured be decoded; a second one
    gives up the utterances still queued (``abandon``: a ``Failure`` says how much speech
    that was) and the session finishes after the forward pass in progress. ``on_stop`` is
    called on the main thread when the first signal is acted on (it must return at once).
    """
    transcriber.start()
    acted_on = 0
    while not transcriber.wait(POLL_S):
        wanted = 2 if interrupt.forced else 1 if interrupt.requested else 0
        if wanted > acted_on:
            if acted_on == 0 and on_stop is not None:
                on_stop()
            acted_on = wanted
            # Off the main thread: closing a device may block in C, where no signal handler
            # runs, and the main thread must go on watching for the next signal.
            action = transcriber.abandon if wanted == 2 else transcriber.stop
            threading.Thread(target=action, name="livekr-stop", daemon=True).start()


class DownloadConsole:
    """A model download on the terminal: its progress on stderr (one line rewritten in place
    on a terminal, else a line every ``PROGRESS_EVERY_S``), and Ctrl-C while it runs as a
    request to cancel it.

    Pass the instance as ``load_recognizer``'s ``download_progress`` and ``cancel`` as its
    ``cancel``, inside ``with`` in the main thread. The first Ctrl-C during the download sets
    ``cancel`` (the download stops at its next read, within its read timeout if the hub is
    silent), and the ``DownloadCancelled`` that follows is said on stderr and leaves ``with``
    as ``KeyboardInterrupt``, so the command ends as if interrupted while loading. A second
    Ctrl-C, or one before or after the download, interrupts at once as usual. Where SIGINT has
    a handler other than Python's default, or is ignored, it is left alone.
    """

    def __init__(self, stream: IO[str] | None = None, tty: bool | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.cancel = threading.Event()
        self.downloading = False
        """Between the first progress report and the last."""
        self._lines = ProgressLines(self._say, PROGRESS_EVERY_S, clock)
        self._line_open = False
        self._installed = False

    def __call__(self, progress: DownloadProgress) -> None:
        self.downloading = progress.done_bytes < progress.total_bytes
        if not self.tty:
            self._lines(progress)
            return
        self.stream.write(f"\rlivekr: downloading {progress.ref}: {describe(progress)}\x1b[K")
        self._line_open = self.downloading
        if not self.downloading:
            self.stream.write("\n")
        self.stream.flush()

    def __enter__(self) -> DownloadConsole:
        main = threading.current_thread() is threading.main_thread()
        if main and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, self._on_sigint)
            self._installed = True
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            self._installed = False
        self.end_line()
        if isinstance(exc, DownloadCancelled) and self.cancel.is_set():
            self._say(str(exc))
            raise KeyboardInterrupt from exc

    def end_line(self) -> None:
        """End a progress line left open on the terminal (before another message)."""
        if self._line_open:
            self.stream.write("\n")
            self.stream.flush()
            self._line_open = False

    def _say(self, message: str) -> None:
        print(f"livekr: {message}", file=self.stream, flush=True)

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        if not self.downloading or self.cancel.is_set():
            raise KeyboardInterrupt
        self.cancel.set()
        self.end_line()
        self._say("cancelling the download (Ctrl-C again stops at once)")
