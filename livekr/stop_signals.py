"""Stop signals (Ctrl-C, SIGTERM, SIGHUP) as requests a command can act on.

Python's default turns SIGINT into ``KeyboardInterrupt`` in whatever the main thread is
doing, and leaves SIGTERM and SIGHUP to kill the process with nothing saved. A command
that must finish what it captured instead counts the signals and acts on them at a safe
point.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any

STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")
"""Signals taken as a request to stop, where the platform has them."""


class StopSignals:
    """Context manager: while it is active, stop signals are recorded instead of acted on.

    Only the main thread can install signal handlers; elsewhere it records nothing and
    changes nothing. SIGINT and SIGTERM are taken even when they were inherited as ignored
    (a shell script's ``cmd &`` starts with SIGINT ignored, and a signal is the only way to
    end a dictation); an ignored SIGHUP (nohup) stays ignored. On exit the previous
    handlers are restored, except that when a signal was received and
    ``ignore_after_signal`` is set, the stop signals stay ignored: the caller is saving
    what it has and exiting, and another Ctrl-C must not cut that short (nor interrupt the
    interpreter's shutdown with a traceback).
    """

    def __init__(self, ignore_after_signal: bool = True) -> None:
        self.ignore_after_signal = ignore_after_signal
        self.received: list[str] = []
        """Names of the signals received, in order (e.g. "SIGINT")."""
        self._taken = 0
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is not threading.main_thread():
            return self
        for name in STOP_SIGNALS:
            signum = getattr(signal, name, None)
            if signum is None:
                continue
            handler = signal.getsignal(signum)
            if handler is None or (name == "SIGHUP" and handler == signal.SIG_IGN):
                continue  # a handler installed outside Python, or nohup: leave it alone
            self._previous[signum] = handler
            signal.signal(signum, self._on_signal)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        keep_ignoring = self.ignore_after_signal and bool(self.received)
        for signum, handler in self._previous.items():
            signal.signal(signum, signal.SIG_IGN if keep_ignoring else handler)
        self._previous.clear()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signal.Signals(signum).name)

    def take(self) -> list[str]:
        """The signals received since the last call (main thread)."""
        new = self.received[self._taken :]
        self._taken += len(new)
        return new
