"""Which inserter and hotkey listener this system gets, and why insertion cannot work here.

The one place that chooses between the platform modules (``x11``, ``windows``, ``macos``);
each is imported only when chosen.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Mapping

from livekr.insert.base import Hotkey, HotkeyListener, Inserter, InsertError, Method
from livekr.messages import Message

X11_PLATFORMS = ("linux",)
"""``sys.platform`` prefixes where insertion goes through X11."""
PYNPUT_PLATFORMS = ("win32", "darwin")


def _is_x11(platform: str) -> bool:
    return platform.startswith(X11_PLATFORMS)


def insertion_problem(env: Mapping[str, str] = os.environ, platform: str = sys.platform) -> Message | None:
    """Why text cannot be inserted into other programs here (a Wayland session, no display,
    a missing package, another system), or None when nothing stands in the way."""
    if _is_x11(platform):
        from livekr.insert.x11 import wayland_problem

        problem = wayland_problem(env)
        if problem is not None:
            return problem
        if not env.get("DISPLAY"):
            return Message("insert.no_display")
        return None
    if platform in PYNPUT_PLATFORMS:
        return None if importlib.util.find_spec("pynput") is not None else Message("insert.no_pynput")
    return Message("insert.unsupported", platform=platform)


def make_inserter(method: Method, platform: str = sys.platform, display: str | None = None) -> Inserter:
    """The inserter of this system (``display``: the X11 display, default ``$DISPLAY``).
    Raises ``InsertError`` when there is none or it cannot start (a missing package, macOS
    without the Accessibility permission)."""
    if _is_x11(platform):
        from livekr.insert.x11 import X11Inserter

        return X11Inserter(method, display=display)
    if platform == "win32":
        from livekr.insert.windows import WindowsInserter

        return WindowsInserter(method)
    if platform == "darwin":
        from livekr.insert.macos import MacInserter

        return MacInserter(method)
    raise InsertError("insert.unsupported", platform=platform)


def make_hotkey_listener(hotkey: Hotkey, platform: str = sys.platform) -> HotkeyListener:
    """The global-shortcut listener of this system; ``InsertError`` when there is none."""
    if _is_x11(platform):
        from livekr.insert.x11_hotkey import X11HotkeyListener

        return X11HotkeyListener(hotkey)
    if platform == "win32":
        from livekr.insert.windows import WindowsHotkeyListener

        return WindowsHotkeyListener(hotkey)
    if platform == "darwin":
        from livekr.insert.macos import MacHotkeyListener

        return MacHotkeyListener(hotkey)
    raise InsertError("insert.unsupported", platform=platform)
