"""The Windows and macOS inserters and hotkey listeners, on Linux, with fakes of pynput,
user32/kernel32 and the macOS tools and frameworks; and the choice of platform."""

from __future__ import annotations

import ctypes
import importlib.util
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest

from livekr.insert.base import Hotkey, InsertError, Target
from livekr.insert.macos import MacHotkeyListener, MacInserter
from livekr.insert.platform import insertion_problem, make_hotkey_listener, make_inserter
from livekr.insert.pynput_keys import INPUT_SETTLE_S, PASTE_SETTLE_S, Chord, KeyboardHotkeyListener
from livekr.insert.windows import CF_UNICODETEXT, OPEN_CLIPBOARD_TRIES, WindowsInserter

# -- fakes ----------------------------------------------------------------------------------------


class KeyCode:
    """pynput's KeyCode as far as livekr uses it: a character or a virtual key code."""

    def __init__(self, char: str | None = None, vk: int | None = None) -> None:
        self.char, self.vk = char, vk

    @classmethod
    def from_char(cls, char: str) -> KeyCode:
        return cls(char=char)

    @classmethod
    def from_vk(cls, vk: int) -> KeyCode:
        return cls(vk=vk)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KeyCode) and (self.char, self.vk) == (other.char, other.vk)

    def __hash__(self) -> int:
        return hash((self.char, self.vk))

    def __repr__(self) -> str:
        return f"vk{self.vk:#x}" if self.vk is not None else repr(self.char)


KEY_NAMES = ("enter", "backspace", "space", "f9", "esc", "ctrl", "ctrl_l", "ctrl_r", "alt", "alt_l", "alt_r",
             "alt_gr", "shift", "shift_l", "shift_r", "cmd", "cmd_l", "cmd_r")


class Controller:
    def __init__(self, log: list[tuple[Any, ...]], fail_on: object = None) -> None:
        self.log = log
        self.fail_on = fail_on

    def press(self, key: object) -> None:
        if key == self.fail_on:
            raise OSError("SendInput failed")
        self.log.append(("press", key))

    def release(self, key: object) -> None:
        self.log.append(("release", key))

    def type(self, text: str) -> None:
        self.log.append(("type", text))

    @contextmanager
    def pressed(self, *keys: object) -> Iterator[None]:
        for key in keys:
            self.press(key)
        try:
            yield
        finally:
            for key in reversed(keys):
                self.release(key)


class Listener:
    """pynput's keyboard Listener: the test calls ``on_press``/``on_release`` itself."""

    made: ClassVar[list[Listener]] = []

    def __init__(self, on_press: Any, on_release: Any) -> None:
        self.on_press, self.on_release = on_press, on_release
        self.started = self.stopped = self.joined = False
        Listener.made.append(self)

    def canonical(self, key: object) -> object:  # left and right modifiers are one key
        return key.removesuffix("_l").removesuffix("_r") if isinstance(key, str) else key

    def start(self) -> None:
        self.started = True

    def wait(self) -> None:
        pass

    def stop(self) -> None:
        self.stopped = True

    def join(self) -> None:
        self.joined = True


def fake_pynput(log: list[tuple[Any, ...]], fail_on: object = None) -> SimpleNamespace:
    return SimpleNamespace(Controller=lambda: Controller(log, fail_on), KeyCode=KeyCode, Listener=Listener,
                           Key=SimpleNamespace(**{name: name for name in KEY_NAMES}))


class Kernel32:
    """Global memory blocks as real ctypes buffers, so the clipboard code reads and writes them."""

    def __init__(self) -> None:
        self.blocks: dict[int, Any] = {}
        self.freed: list[int] = []
        self.ticks = 100_000

    def GlobalAlloc(self, flags: int, size: int) -> int:
        handle = len(self.blocks) + 1
        self.blocks[handle] = ctypes.create_string_buffer(size)
        return handle

    def GlobalLock(self, handle: int) -> int:
        return ctypes.addressof(self.blocks[handle])

    def GlobalUnlock(self, handle: int) -> bool:
        return True

    def GlobalSize(self, handle: int) -> int:
        return ctypes.sizeof(self.blocks[handle])

    def GlobalFree(self, handle: int) -> None:
        self.freed.append(handle)

    def GetTickCount(self) -> int:
        return self.ticks

    def text(self, handle: int) -> str:
        return self.blocks[handle].raw.decode("utf-16-le").split("\0")[0]


class User32:
    def __init__(self, log: list[tuple[Any, ...]], kernel32: Kernel32, clipboard: str | None = None) -> None:
        self.log = log
        self.kernel32 = kernel32
        self.window, self.pid, self.title = 0x1234, 777, "메모장"
        self.last_input = kernel32.ticks
        self.open_ok = True
        self.set_ok = True
        self.handle = 0
        if clipboard is not None:
            data = clipboard.encode("utf-16-le") + b"\0\0"
            self.handle = kernel32.GlobalAlloc(0, len(data))
            ctypes.memmove(kernel32.GlobalLock(self.handle), data, len(data))

    def OpenClipboard(self, owner: object) -> bool:
        self.log.append(("open",))
        return self.open_ok

    def CloseClipboard(self) -> bool:
        self.log.append(("close",))
        return True

    def EmptyClipboard(self) -> bool:
        self.log.append(("empty",))
        self.handle = 0
        return True

    def GetClipboardData(self, fmt: int) -> int:
        assert fmt == CF_UNICODETEXT
        self.log.append(("get",))
        return self.handle

    def SetClipboardData(self, fmt: int, handle: int) -> int:
        if not self.set_ok:
            return 0
        self.handle = handle
        self.log.append(("set", self.kernel32.text(handle)))
        return handle

    def CountClipboardFormats(self) -> int:
        return 1 if self.handle else 0

    def GetForegroundWindow(self) -> int:
        return self.window

    def GetWindowThreadProcessId(self, window: int, pid: Any) -> int:
        pid.contents.value = self.pid
        return 1

    def GetWindowTextLengthW(self, window: int) -> int:
        return len(self.title)

    def GetWindowTextW(self, window: int, buffer: Any, size: int) -> int:
        buffer.value = self.title[: size - 1]
        return len(buffer.value)

    def GetLastInputInfo(self, info: Any) -> bool:
        info.contents.dwTime = self.last_input
        return True


class Clock:
    def __init__(self) -> None:
        self.now_s = 50.0

    def __call__(self) -> float:
        return self.now_s


@pytest.fixture
def log() -> list[tuple[Any, ...]]:
    return []


def windows(log: list[tuple[Any, ...]], method: str = "type", clipboard: str | None = "이전 내용",
            fail_on: object = None) -> tuple[WindowsInserter, User32, Kernel32, Clock]:
    kernel32 = Kernel32()
    user32 = User32(log, kernel32, clipboard)
    clock = Clock()
    inserter = WindowsInserter(method, keyboard=fake_pynput(log, fail_on), user32=user32,
                               kernel32=kernel32, sleep=lambda s: log.append(("sleep", s)), clock=clock)
    return inserter, user32, kernel32, clock


def keys_only(log: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [e for e in log if e[0] in ("press", "release", "type")]


# -- Windows --------------------------------------------------------------------------------------


def test_windows_types_lines_with_enter_between_and_names_the_target(log: list[tuple[Any, ...]]) -> None:
    inserter, _, _, clock = windows(log)
    insertion = inserter.insert("안녕 하세요\n\n다음 줄")
    assert keys_only(log) == [("type", "안녕 하세요"), ("press", "enter"), ("release", "enter"),
                              ("press", "enter"), ("release", "enter"), ("type", "다음 줄")]
    assert insertion.target == Target(0x1234, 777, "메모장")
    assert (insertion.method, insertion.at_s) == ("type", clock.now_s)


def test_windows_pastes_and_puts_the_clipboard_back_in_order(log: list[tuple[Any, ...]]) -> None:
    inserter, user32, kernel32, _ = windows(log, "paste")
    inserter.insert("안녕\n하세요")
    v = KeyCode(vk=0x56)
    ctrl_v = [("press", "ctrl"), ("press", v), ("release", v), ("release", "ctrl")]
    steps = [e for e in log if e[0] in ("get", "set", "press", "release", "sleep")]
    assert steps == [("get",), ("set", "안녕\r\n하세요"), *ctrl_v, ("sleep", PASTE_SETTLE_S),
                     ("set", "이전 내용")]
    assert kernel32.text(user32.handle) == "이전 내용"
    assert log.count(("open",)) == log.count(("close",)) == 3  # every opening closed


def test_windows_paste_over_an_empty_clipboard_leaves_it_empty(log: list[tuple[Any, ...]]) -> None:
    inserter, user32, _, _ = windows(log, "paste", clipboard=None)
    inserter.insert("네")
    assert [e for e in log if e[0] in ("set", "empty")] == [("empty",), ("set", "네"), ("empty",)]
    assert user32.handle == 0


def test_windows_paste_puts_the_clipboard_back_when_the_keys_fail(log: list[tuple[Any, ...]]) -> None:
    inserter, _, _, _ = windows(log, "paste", fail_on=KeyCode(vk=0x56))
    with pytest.raises(InsertError) as caught:
        inserter.insert("안녕")
    assert caught.value.message.key == "insert.typing_failed" and "SendInput failed" in str(caught.value)
    assert [e for e in log if e[0] == "set"] == [("set", "안녕"), ("set", "이전 내용")]


def test_windows_clipboard_held_by_another_program(log: list[tuple[Any, ...]]) -> None:
    inserter, user32, _, _ = windows(log, "paste")
    user32.open_ok = False
    with pytest.raises(InsertError) as caught:
        inserter.insert("안녕")
    assert caught.value.message.key == "insert.clipboard_busy"
    assert log.count(("open",)) == OPEN_CLIPBOARD_TRIES and keys_only(log) == []


def test_windows_a_refused_clipboard_frees_the_memory(log: list[tuple[Any, ...]]) -> None:
    inserter, user32, kernel32, _ = windows(log, "paste")
    user32.set_ok = False
    with pytest.raises(InsertError) as caught:
        inserter.insert("안녕")
    assert caught.value.message.key == "insert.clipboard_failed" and kernel32.freed and keys_only(log) == []


def test_windows_without_a_foreground_window_types_nothing(log: list[tuple[Any, ...]]) -> None:
    inserter, user32, _, _ = windows(log)
    user32.window = 0
    with pytest.raises(InsertError) as caught:
        inserter.insert("안녕")
    assert caught.value.message.key == "insert.no_focus" and keys_only(log) == []


def test_windows_undo_backspaces_only_when_nothing_moved(log: list[tuple[Any, ...]]) -> None:
    inserter, user32, kernel32, clock = windows(log)
    user32.last_input = kernel32.ticks  # our own keys, the last input
    insertion = inserter.insert("안녕\n네")
    clock.now_s += 2.0
    kernel32.ticks += 2000
    log.clear()
    inserter.undo(insertion)
    assert keys_only(log) == [("press", "backspace"), ("release", "backspace")] * 4

    again = inserter.insert("하나")
    with pytest.raises(InsertError) as caught:
        inserter.undo(insertion)  # not the last one any more
    assert caught.value.message.key == "insert.undo_not_last"

    clock.now_s += 2.0
    kernel32.ticks += 2000
    user32.last_input = kernel32.ticks - 1000  # a key pressed a second ago, after the insertion
    log.clear()
    with pytest.raises(InsertError) as caught:
        inserter.undo(again)
    assert caught.value.message.key == "insert.moved" and keys_only(log) == []

    user32.last_input = kernel32.ticks - 2000 + int(INPUT_SETTLE_S * 500)  # our keys, a little late
    user32.window = 0x9999  # but the focus moved
    with pytest.raises(InsertError) as caught:
        inserter.undo(again)
    assert caught.value.message.key == "insert.moved" and keys_only(log) == []


def test_windows_idle_time_across_the_tick_counter_wrapping(log: list[tuple[Any, ...]]) -> None:
    inserter, user32, kernel32, _ = windows(log)
    user32.last_input, kernel32.ticks = (1 << 32) - 500, 1500
    assert inserter.seconds_since_input() == 2.0


# -- macOS ----------------------------------------------------------------------------------------


class Frameworks:
    def __init__(self, trusted: bool = True) -> None:
        self.trusted = trusted
        self.idle_s = 0.0

    def AXIsProcessTrusted(self) -> bool:
        return self.trusted

    def CGEventSourceSecondsSinceLastEventType(self, state: int, kind: int) -> float:
        assert (state, kind) == (0, 0xFFFFFFFF)
        return self.idle_s


class Tools:
    """pbpaste, pbcopy, lsappinfo and osascript as the inserter runs them."""

    def __init__(self, log: list[tuple[Any, ...]], clipboard: str = "이전 내용") -> None:
        self.log = log
        self.clipboard = clipboard
        self.fail: str | None = None

    def __call__(self, args: list[str], text: str | None = None) -> str:
        self.log.append((args[0], text))
        if args[0] == self.fail:
            raise subprocess.CalledProcessError(1, args, stderr="no pasteboard")
        if args[0] == "pbpaste":
            return self.clipboard
        if args[0] == "pbcopy":
            self.clipboard = text or ""
            return ""
        if args[:2] == ["lsappinfo", "front"]:
            return "ASN:0x0-0x1d01d:\n"
        if args[:2] == ["lsappinfo", "info"]:
            assert args[-1] == "ASN:0x0-0x1d01d:"
            return '"pid"=4242\n'
        raise AssertionError(args)


class Quartz:
    kCGWindowListOptionOnScreenOnly = 1
    kCGWindowListExcludeDesktopElements = 16
    kCGNullWindowID = 0

    def __init__(self, windows: list[dict[str, Any]]) -> None:
        self.windows = windows

    def CGWindowListCopyWindowInfo(self, options: int, relative_to: int) -> list[dict[str, Any]]:
        assert options == 17
        return self.windows


MENU_BAR = {"kCGWindowLayer": 25, "kCGWindowNumber": 3, "kCGWindowOwnerPID": 90, "kCGWindowOwnerName": "메뉴"}
TEXT_EDIT = {"kCGWindowLayer": 0, "kCGWindowNumber": 812, "kCGWindowOwnerPID": 501,
             "kCGWindowOwnerName": "TextEdit"}


def mac(log: list[tuple[Any, ...]], method: str = "type",
        windows: list[dict[str, Any]] | None = None) -> tuple[MacInserter, Tools, Frameworks, Clock]:
    tools, frameworks, clock = Tools(log), Frameworks(), Clock()
    inserter = MacInserter(method, keyboard=fake_pynput(log), frameworks=frameworks, run=tools,
                           quartz=Quartz([MENU_BAR, TEXT_EDIT] if windows is None else windows),
                           sleep=lambda s: log.append(("sleep", s)), clock=clock)
    return inserter, tools, frameworks, clock


def test_mac_without_the_accessibility_permission_says_where_to_allow_it(log: list[tuple[Any, ...]]) -> None:
    listeners_before = len(Listener.made)
    with pytest.raises(InsertError) as caught:
        MacInserter("type", keyboard=fake_pynput(log), frameworks=Frameworks(trusted=False), run=Tools(log),
                    quartz=Quartz([]))
    assert caught.value.message.key == "insert.mac_accessibility"
    assert "Privacy & Security ▸ Accessibility" in str(caught.value)
    assert "손쉬운 사용" in caught.value.message.text("ko")
    with pytest.raises(InsertError):
        MacHotkeyListener(Hotkey.parse("F9"), keyboard=fake_pynput(log),
                          frameworks=Frameworks(trusted=False)).start(lambda: None, lambda: None)
    assert len(Listener.made) == listeners_before  # nothing watched


def test_mac_types_into_the_frontmost_window(log: list[tuple[Any, ...]]) -> None:
    inserter, _, _, _ = mac(log)
    insertion = inserter.insert("안녕\n네")
    assert keys_only(log) == [("type", "안녕"), ("press", "enter"), ("release", "enter"), ("type", "네")]
    assert insertion.target == Target(812, 501, "TextEdit")


def test_mac_pastes_with_cmd_v_and_puts_the_clipboard_back(log: list[tuple[Any, ...]]) -> None:
    inserter, tools, _, _ = mac(log, "paste")
    inserter.insert("안녕\n하세요")
    cmd_v = [("press", "cmd"), ("press", KeyCode(vk=0x09)), ("release", KeyCode(vk=0x09)), ("release", "cmd")]
    steps = [e for e in log if e[0] in ("pbpaste", "pbcopy", "press", "release", "sleep")]
    assert steps == [("pbpaste", None), ("pbcopy", "안녕\n하세요"), *cmd_v, ("sleep", PASTE_SETTLE_S),
                     ("pbcopy", "이전 내용")]
    assert tools.clipboard == "이전 내용"


def test_mac_clipboard_tool_failing_is_an_insert_error(log: list[tuple[Any, ...]]) -> None:
    inserter, tools, _, _ = mac(log, "paste")
    tools.fail = "pbcopy"
    with pytest.raises(InsertError) as caught:
        inserter.insert("안녕")
    assert caught.value.message.key == "insert.clipboard_failed" and "pbcopy" in str(caught.value)
    assert keys_only(log) == []


def test_mac_frontmost_app_from_lsappinfo_when_the_window_list_has_none(log: list[tuple[Any, ...]]) -> None:
    inserter, _, _, _ = mac(log, windows=[MENU_BAR])
    assert inserter.focused() == Target(0, 4242)


def test_mac_undo_guard(log: list[tuple[Any, ...]]) -> None:
    inserter, _, frameworks, clock = mac(log)
    insertion = inserter.insert("안녕")
    clock.now_s += 3.0
    frameworks.idle_s = 1.0  # input two seconds after the insertion
    with pytest.raises(InsertError) as caught:
        inserter.undo(insertion)
    assert caught.value.message.key == "insert.moved"
    frameworks.idle_s = 3.0
    log.clear()
    inserter.undo(insertion)
    assert keys_only(log) == [("press", "backspace"), ("release", "backspace")] * 2


# -- global shortcuts -----------------------------------------------------------------------------


def test_chord_goes_down_and_up_once_with_exactly_its_modifiers() -> None:
    chord = Chord("space", {"ctrl": ["ctrl"], "alt": ["alt"], "shift": ["shift"]}, {"ctrl", "alt"})
    assert not chord.press("space")  # no modifiers
    chord.release("space")
    presses = [chord.press(k) for k in ("ctrl", "alt", "space", "space", "space")]
    assert presses == [False, False, True, False, False]  # auto-repeat ignored
    assert chord.release("space") and not chord.release("alt")
    chord.press("alt")
    assert chord.press("space") and chord.release("ctrl")  # a modifier let go ends it
    assert not chord.release("space")
    chord.press("ctrl")
    chord.press("shift")
    assert not chord.press("space")  # one modifier too many


def test_hotkey_listener_reports_press_and_release(log: list[tuple[Any, ...]]) -> None:
    events: list[str] = []
    listener = KeyboardHotkeyListener(Hotkey.parse("Ctrl+F9"), keyboard=fake_pynput(log))
    listener.start(lambda: events.append("down"), lambda: events.append("up"))
    pynput_listener = Listener.made[-1]
    assert pynput_listener.started
    for key in ("ctrl_r", "f9", "f9"):
        pynput_listener.on_press(key)
    pynput_listener.on_release("f9")
    pynput_listener.on_release("ctrl_r")
    assert events == ["down", "up"]
    listener.stop()
    assert pynput_listener.stopped and pynput_listener.joined


def test_hotkey_with_a_key_the_system_does_not_know(log: list[tuple[Any, ...]]) -> None:
    with pytest.raises(InsertError) as caught:
        KeyboardHotkeyListener(Hotkey("scroll_wheel"), keyboard=fake_pynput(log)).start(lambda: None,
                                                                                         lambda: None)
    assert caught.value.message.key == "insert.hotkey_unknown_key"


# -- which platform -------------------------------------------------------------------------------


def test_platforms_without_insertion_are_refused() -> None:
    problem = insertion_problem({}, "sunos5")
    assert problem is not None and problem.key == "insert.unsupported" and "sunos5" in problem
    with pytest.raises(InsertError, match="not supported on sunos5"):
        make_inserter("type", platform="sunos5")
    with pytest.raises(InsertError, match="not supported on sunos5"):
        make_hotkey_listener(Hotkey.parse("F9"), platform="sunos5")


def test_windows_and_macos_need_pynput() -> None:
    expected = None if importlib.util.find_spec("pynput") is not None else "insert.no_pynput"
    for platform in ("win32", "darwin"):
        problem = insertion_problem({}, platform)
        assert (problem.key if problem is not None else None) == expected


def test_x11_needs_a_display() -> None:
    pytest.importorskip("livekr.insert.x11")
    problem = insertion_problem({}, "linux")
    assert problem is not None and problem.key == "insert.no_display"
