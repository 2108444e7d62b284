"""Dictation into other programs on Windows: typing and shortcuts through pynput (SendInput
with KEYEVENTF_UNICODE), the clipboard, focus and idle time through user32 and kernel32.

Imports on every platform: ctypes' Windows libraries are loaded only when an inserter is made
without fakes of them (``user32``, ``kernel32``: objects with the same functions).
"""

from __future__ import annotations

import ctypes
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

from livekr.insert.base import InsertError, Method, Target
from livekr.insert.pynput_keys import KeyboardHotkeyListener, KeyboardInserter

log = logging.getLogger(__name__)

CF_UNICODETEXT = 13
"""Clipboard format of UTF-16 text ending in a NUL."""
GMEM_MOVEABLE = 0x0002
OPEN_CLIPBOARD_TRIES = 10
OPEN_CLIPBOARD_RETRY_S = 0.02
"""Another program may hold the clipboard for a moment: how often and how long apart to try."""
TICKS_WRAP = 1 << 32
"""``GetTickCount`` and ``LASTINPUTINFO.dwTime`` are milliseconds modulo 2**32."""


class LASTINPUTINFO(ctypes.Structure):
    _fields_ = [("cbSize", ctypes.c_uint32), ("dwTime", ctypes.c_uint32)]


def load_win32() -> tuple[Any, Any]:
    """user32 and kernel32 with the signatures this module uses."""
    if sys.platform != "win32":
        raise InsertError("insert.unsupported", platform=sys.platform)
    user32 = ctypes.WinDLL("user32", use_last_error=True)
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    handle, uint, dword_p = ctypes.c_void_p, ctypes.c_uint, ctypes.POINTER(ctypes.c_uint32)
    for name, restype, argtypes in [
        ("GetForegroundWindow", handle, []),
        ("GetWindowThreadProcessId", ctypes.c_uint32, [handle, dword_p]),
        ("GetWindowTextLengthW", ctypes.c_int, [handle]),
        ("GetWindowTextW", ctypes.c_int, [handle, ctypes.c_wchar_p, ctypes.c_int]),
        ("GetLastInputInfo", ctypes.c_bool, [ctypes.POINTER(LASTINPUTINFO)]),
        ("OpenClipboard", ctypes.c_bool, [handle]),
        ("CloseClipboard", ctypes.c_bool, []),
        ("EmptyClipboard", ctypes.c_bool, []),
        ("GetClipboardData", handle, [uint]),
        ("SetClipboardData", handle, [uint, handle]),
        ("CountClipboardFormats", ctypes.c_int, []),
    ]:
        function = getattr(user32, name)
        function.restype, function.argtypes = restype, argtypes
    for name, restype, argtypes in [
        ("GlobalAlloc", handle, [uint, ctypes.c_size_t]),
        ("GlobalLock", handle, [handle]),
        ("GlobalUnlock", ctypes.c_bool, [handle]),
        ("GlobalSize", ctypes.c_size_t, [handle]),
        ("GlobalFree", handle, [handle]),
        ("GetTickCount", ctypes.c_uint32, []),
    ]:
        function = getattr(kernel32, name)
        function.restype, function.argtypes = restype, argtypes
    return user32, kernel32


def last_error() -> str:
    """The Windows error code of the last failed call, for the log and messages."""
    code = getattr(ctypes, "get_last_error", lambda: 0)()
    return f"Windows error {code}"


class Clipboard:
    """The Windows clipboard's text (``CF_UNICODETEXT``)."""

    def __init__(self, user32: Any, kernel32: Any, sleep: Callable[[float], None] = time.sleep) -> None:
        self.user32 = user32
        self.kernel32 = kernel32
        self._sleep = sleep

    def _open(self) -> None:
        for attempt in range(OPEN_CLIPBOARD_TRIES):
            if self.user32.OpenClipboard(None):
                return
            if attempt + 1 < OPEN_CLIPBOARD_TRIES:
                self._sleep(OPEN_CLIPBOARD_RETRY_S)
        raise InsertError("insert.clipboard_busy")

    def read(self) -> str | None:
        """The clipboard's text, or None when it holds none (anything else it holds is not
        kept: said in the log)."""
        self._open()
        try:
            handle = self.user32.GetClipboardData(CF_UNICODETEXT)
            if not handle:
                if self.user32.CountClipboardFormats() > 0:
                    log.warning("the clipboard holds something other than text; pasting replaces it")
                return None
            pointer = self.kernel32.GlobalLock(handle)
            if not pointer:
                return None
            try:
                data = ctypes.string_at(pointer, self.kernel32.GlobalSize(handle))
            finally:
                self.kernel32.GlobalUnlock(handle)
        finally:
            self.user32.CloseClipboard()
        return data.decode("utf-16-le", errors="replace").split("\0", 1)[0]

    def write(self, text: str | None) -> None:
        """Put ``text`` on the clipboard, or empty it for None."""
        self._open()
        try:
            if not self.user32.EmptyClipboard():
                raise InsertError("insert.clipboard_failed", detail=f"EmptyClipboard: {last_error()}")
            if text is None:
                return
            data = text.encode("utf-16-le") + b"\0\0"
            handle = self.kernel32.GlobalAlloc(GMEM_MOVEABLE, len(data))
            pointer = self.kernel32.GlobalLock(handle) if handle else None
            if not pointer:
                raise InsertError("insert.clipboard_failed", detail="out of memory")
            ctypes.memmove(pointer, data, len(data))
            self.kernel32.GlobalUnlock(handle)
            if not self.user32.SetClipboardData(CF_UNICODETEXT, handle):  # else the system owns it
                self.kernel32.GlobalFree(handle)
                raise InsertError("insert.clipboard_failed",
                                  detail=f"SetClipboardData: {last_error()}")
        finally:
            self.user32.CloseClipboard()


class WindowsInserter(KeyboardInserter):
    """Text into the foreground window; ``insert.no_focus`` when there is none."""

    paste_modifier = "ctrl"
    paste_vk = 0x56  # VK_V
    clipboard_newline = "\r\n"

    def __init__(self, method: Method, keyboard: Any = None, user32: Any = None, kernel32: Any = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if user32 is None or kernel32 is None:
            user32, kernel32 = load_win32()
        super().__init__(method, keyboard, sleep, clock)
        self.user32 = user32
        self.kernel32 = kernel32
        self.clipboard = Clipboard(user32, kernel32, sleep)

    def focused(self) -> Target:
        window = self.user32.GetForegroundWindow() or 0
        if not window:
            return Target(0, 0)
        pid = ctypes.c_uint32(0)
        self.user32.GetWindowThreadProcessId(window, ctypes.pointer(pid))
        length = max(0, self.user32.GetWindowTextLengthW(window))
        title = ctypes.create_unicode_buffer(length + 1)
        self.user32.GetWindowTextW(window, title, length + 1)
        return Target(int(window), int(pid.value), title.value)

    def check_target(self, target: Target) -> None:
        if not target.window:
            raise InsertError("insert.no_focus")

    def seconds_since_input(self) -> float:
        info = LASTINPUTINFO(ctypes.sizeof(LASTINPUTINFO), 0)
        if not self.user32.GetLastInputInfo(ctypes.pointer(info)):
            return 0.0  # unknown: as if there was input just now, so nothing is undone blindly
        return ((self.kernel32.GetTickCount() - info.dwTime) % TICKS_WRAP) / 1000.0

    def read_clipboard(self) -> str | None:
        return self.clipboard.read()

    def write_clipboard(self, text: str | None) -> None:
        self.clipboard.write(text)


class WindowsHotkeyListener(KeyboardHotkeyListener):
    """A global shortcut on Windows (pynput's low-level keyboard hook)."""
