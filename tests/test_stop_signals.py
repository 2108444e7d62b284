"""StopSignals: Ctrl-C, SIGTERM and SIGHUP recorded as stop requests, handlers restored."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator

import pytest

from livekr.stop_signals import StopSignals

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")


@pytest.fixture(autouse=True)
def restore_handlers() -> Iterator[None]:
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


def test_signals_are_recorded_in_order_instead_of_raising_or_killing() -> None:
    with StopSignals() as stops:
        signal.raise_signal(signal.SIGINT)  # no KeyboardInterrupt
        signal.raise_signal(signal.SIGTERM)  # no death
        assert stops.take() == ["SIGINT", "SIGTERM"]
        signal.raise_signal(signal.SIGHUP)
        assert stops.take() == ["SIGHUP"]
        assert stops.take() == []
    assert stops.received == ["SIGINT", "SIGTERM", "SIGHUP"]


def test_handlers_come_back_when_no_signal_came() -> None:
    before = signal.getsignal(signal.SIGINT)
    with StopSignals():
        assert signal.getsignal(signal.SIGINT) is not before
    assert signal.getsignal(signal.SIGINT) is before


def test_after_a_signal_stop_signals_stay_ignored_while_the_caller_saves() -> None:
    with StopSignals():
        signal.raise_signal(signal.SIGINT)
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        assert signal.getsignal(s) == signal.SIG_IGN
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with StopSignals(ignore_after_signal=False):
        signal.raise_signal(signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_inherited_ignored_sigint_is_taken_and_nohup_is_respected() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as `livekr listen &` from a script starts
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    with StopSignals() as stops:
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGHUP)
    assert stops.received == ["SIGINT"]


def test_outside_the_main_thread_nothing_is_installed() -> None:
    before = signal.getsignal(signal.SIGINT)
    seen: list[object] = []

    def enter() -> None:
        with StopSignals():
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=enter)
    thread.start()
    thread.join()
    assert seen == [before]
