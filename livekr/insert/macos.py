"""Dictation into other programs on macOS: typing and shortcuts through pynput (Quartz events
with CGEventKeyboardSetUnicodeString), the clipboard through ``pbpaste``/``pbcopy``, the
frontmost app from the window list (Quartz, which pynput brings) or ``lsappinfo``, and the
Accessibility permission and idle time through ctypes.

Imports on every platform: nothing of macOS is loaded until an inserter or a listener is made
without fakes (``frameworks``: an object with ``AXIsProcessTrusted`` and
``CGEventSourceSecondsSinceLastEventType``; ``run``: runs a tool; ``quartz``: pyobjc's Quartz,
for the window list). ``NSWorkspace.frontmostApplication`` is not used: without a running
main run loop (the command line has none) it keeps answering the app that was in front first.
"""

from __future__ import annotations

import ctypes
import importlib
import logging
import os
import re
import subprocess
import time
from collections.abc import Callable
from typing import Any

from livekr.insert.base import Hotkey, InsertError, Method, Target
from livekr.insert.pynput_keys import KeyboardHotkeyListener, KeyboardInserter
from livekr.messages import first_line

log = logging.getLogger(__name__)

APPLICATION_SERVICES = "/System/Library/Frameworks/ApplicationServices.framework/ApplicationServices"
CORE_GRAPHICS = "/System/Library/Frameworks/CoreGraphics.framework/CoreGraphics"
COMBINED_SESSION_STATE = 0
"""``kCGEventSourceStateCombinedSessionState``: input from every source of the session."""
ANY_INPUT_EVENT = 0xFFFFFFFF
"""``kCGAnyInputEventType``."""
TOOL_TIMEOUT_S = 5.0
"""Longest wait for ``pbpaste``, ``pbcopy`` or ``lsappinfo``."""
UTF8_ENV = {"LANG": "en_US.UTF-8", "LC_ALL": "en_US.UTF-8"}
"""pbcopy and pbpaste read and write the locale's encoding: UTF-8 for Hangul."""


class Frameworks:
    """AXIsProcessTrusted (ApplicationServices) and CGEventSourceSecondsSinceLastEventType
    (CoreGraphics) through ctypes."""

    def __init__(self) -> None:
        try:
            services = ctypes.CDLL(APPLICATION_SERVICES)
            graphics = ctypes.CDLL(CORE_GRAPHICS)
        except OSError as e:
            raise InsertError("insert.unsupported", platform="this system (no macOS frameworks)") from e
        self.AXIsProcessTrusted = services.AXIsProcessTrusted
        self.AXIsProcessTrusted.restype, self.AXIsProcessTrusted.argtypes = ctypes.c_bool, []
        self.CGEventSourceSecondsSinceLastEventType = graphics.CGEventSourceSecondsSinceLastEventType
        self.CGEventSourceSecondsSinceLastEventType.restype = ctypes.c_double
        self.CGEventSourceSecondsSinceLastEventType.argtypes = [ctypes.c_int32, ctypes.c_uint32]


def run_tool(args: list[str], text: str | None = None) -> str:
    """Run a macOS tool with ``text`` on its stdin; its stdout. Raises ``OSError`` or
    ``subprocess.SubprocessError``."""
    done = subprocess.run(args, input=text, capture_output=True, check=True, timeout=TOOL_TIMEOUT_S,
                          encoding="utf-8", env={**os.environ, **UTF8_ENV})
    return done.stdout


def import_quartz() -> Any:
    """pyobjc's Quartz (a dependency of pynput on macOS), or None."""
    try:
        return importlib.import_module("Quartz")
    except ImportError:
        return None


def check_accessibility(frameworks: Any) -> None:
    """``InsertError`` telling how to allow livekr when macOS does not let it send or watch
    keys (System Settings ▸ Privacy & Security ▸ Accessibility)."""
    if not frameworks.AXIsProcessTrusted():
        raise InsertError("insert.mac_accessibility")


def frontmost_from_windows(quartz: Any) -> Target | None:
    """The app owning the frontmost normal window (layer 0) in the on-screen window list,
    which is front to back; None when there is none."""
    options = quartz.kCGWindowListOptionOnScreenOnly | quartz.kCGWindowListExcludeDesktopElements
    for window in quartz.CGWindowListCopyWindowInfo(options, quartz.kCGNullWindowID) or []:
        if window.get("kCGWindowLayer", -1) == 0:
            return Target(int(window.get("kCGWindowNumber", 0)), int(window.get("kCGWindowOwnerPID", 0)),
                          str(window.get("kCGWindowOwnerName", "")))
    return None


def frontmost_from_lsappinfo(run: Callable[..., str]) -> Target:
    """The frontmost app's pid from ``lsappinfo`` (window unknown: 0)."""
    asn = run(["lsappinfo", "front"]).strip()
    info = run(["lsappinfo", "info", "-only", "pid", asn])
    found = re.search(r'"pid"\s*=\s*(\d+)', info)
    if found is None:
        raise ValueError(f"no pid in lsappinfo's answer {info.strip()!r}")
    return Target(0, int(found.group(1)))


def frontmost_from_osascript(run: Callable[..., str]) -> Target:
    """The frontmost app's pid from System Events (asks for the Automation permission)."""
    script = 'tell application "System Events" to unix id of first process whose frontmost is true'
    return Target(0, int(run(["osascript", "-e", script]).strip()))


class MacInserter(KeyboardInserter):
    """Text into the frontmost app; ``insert.mac_accessibility`` at once when macOS does not
    allow livekr to send keys."""

    paste_modifier = "cmd"
    paste_vk = 0x09  # kVK_ANSI_V

    def __init__(self, method: Method, keyboard: Any = None, frameworks: Any = None,
                 run: Callable[..., str] = run_tool, quartz: Any = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.frameworks = frameworks if frameworks is not None else Frameworks()
        check_accessibility(self.frameworks)
        super().__init__(method, keyboard, sleep, clock)
        self.run = run
        self.quartz = quartz if quartz is not None else import_quartz()

    def focused(self) -> Target:
        if self.quartz is not None:
            try:
                found = frontmost_from_windows(self.quartz)
            except Exception:  # pyobjc's own errors: fall back on the tools
                log.debug("the window list failed", exc_info=True)
            else:
                if found is not None:
                    return found
        for way in (frontmost_from_lsappinfo, frontmost_from_osascript):
            try:
                return way(self.run)
            except (OSError, ValueError, subprocess.SubprocessError) as e:
                log.debug("%s failed: %s", way.__name__, e)
        return Target(0, 0)

    def seconds_since_input(self) -> float:
        return float(self.frameworks.CGEventSourceSecondsSinceLastEventType(COMBINED_SESSION_STATE,
                                                                             ANY_INPUT_EVENT))

    def read_clipboard(self) -> str | None:
        """The clipboard's text ("" when it holds none: ``pbpaste`` cannot tell)."""
        return self._tool(["pbpaste"])

    def write_clipboard(self, text: str | None) -> None:
        self._tool(["pbcopy"], text or "")

    def _tool(self, args: list[str], text: str | None = None) -> str:
        try:
            return self.run(args, text)
        except (OSError, subprocess.SubprocessError) as e:
            raise InsertError("insert.clipboard_failed", detail=f"{args[0]}: {first_line(e)}") from e


class MacHotkeyListener(KeyboardHotkeyListener):
    """A global shortcut on macOS (a Quartz event tap, which needs the Accessibility
    permission)."""

    def __init__(self, hotkey: Hotkey, keyboard: Any = None, frameworks: Any = None) -> None:
        super().__init__(hotkey, keyboard)
        self.frameworks = frameworks

    def before_start(self) -> None:
        check_accessibility(self.frameworks if self.frameworks is not None else Frameworks())
