"""Work-around for a PySide6 reference-count defect; livekr emits every signal through ``emit``.

PySide6 6.12 returns ``True`` from ``SignalInstance.emit()`` and ``disconnect()`` without
owning a reference to it. On CPython before 3.12 (where ``True`` is not immortal) each call
therefore drops ``True``'s reference count by one, and after a few hundred emits the process
dies with "Fatal Python error: bool_dealloc". ``emit`` and ``disconnect`` here give the
missing reference back, but only when the running PySide6 is found to have the defect.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

PROBE_CALLS = 64


class _Probe(QObject):
    ping = Signal()


def _measure_leak() -> bool:
    """Emit a private signal a few times and see whether ``True`` lost references."""
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(PROBE_CALLS):
        probe.ping.emit()
    lost = before - sys.getrefcount(True)
    for _ in range(max(0, lost)):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
    return lost >= PROBE_CALLS // 2


BOOL_RETURN_LEAKS = sys.version_info < (3, 12) and _measure_leak()
"""True when this PySide6 returns borrowed bools from emit()/disconnect()."""


def _give_back(result: object) -> None:
    if BOOL_RETURN_LEAKS and isinstance(result, bool):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(result))


def emit(signal: SignalInstance, *args: Any) -> None:
    """``signal.emit(*args)``, safe from any thread and on any PySide6 version."""
    result: object = signal.emit(*args)  # type: ignore[func-returns-value]
    _give_back(result)


def disconnect(signal: SignalInstance, slot: Callable[..., Any]) -> None:
    """``signal.disconnect(slot)`` without the reference-count defect."""
    result: object = signal.disconnect(slot)
    _give_back(result)
