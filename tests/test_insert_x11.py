"""X11 dictation into another program: a Tk text field in its own process on a private Xvfb
display receives typed and pasted finals; undo, refusals, the global shortcut; the pure
planning of key codes and the Wayland advice.

No sleeping: the inserter returns once the target confirmed, subprocesses are waited on
through their pipes, xdotool with --sync, the shortcut's callbacks through events.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from livekr.insert.base import Hotkey, InsertError
from livekr.insert.x11_display import wayland_problem
from livekr.insert.x11_keys import Stroke, keysym_for, layout_strokes, plan_batches, spare_keycodes

TARGET = Path(__file__).with_name("insert_target.py")
KO_TEXT = (
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ko_text" / "constitution_phrases.txt"
)
FINALS = (
    "안녕하세요 반갑습니다",
    " Korean 한국어 2026년, 테스트!",
    "\n",
    '둘째 줄: ABC xyz ~!@#$%^&*()_+{}|"<>?',
)
LONG_SYLLABLES = 320


# -- a private X display and a program to type into -------------------------------------------


@contextlib.contextmanager
def xvfb_display() -> Iterator[str]:
    """An Xvfb of its own: ":N", read from -displayfd once the server is ready. -noreset: the
    server keeps running as it is when its last client leaves (a reset refuses connections)."""
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1024x768x24", "-nolisten", "tcp", "-noreset"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    try:
        if not number:
            pytest.skip("Xvfb did not start")
        yield f":{number}"
    finally:
        server.terminate()
        server.wait()


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    missing = [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (scripts/setup --dev installs them)")
    pytest.importorskip("Xlib", reason="python-xlib is not installed")
    pytest.importorskip("tkinter", reason="the target window needs tkinter")
    with xvfb_display() as name:
        yield name


def x_env(display: str) -> dict[str, str]:
    return {**os.environ, "DISPLAY": display}


def xdotool(display: str, *args: str) -> None:
    subprocess.run(["xdotool", *args], env=x_env(display), check=True)


class TargetProgram:
    """The text field of ``insert_target.py`` in its own process: Tk, or Qt (``toolkit="qt"``)."""

    def __init__(self, display: str, toolkit: str = "tk") -> None:
        self.display = display
        self.process = subprocess.Popen(
            [sys.executable, str(TARGET), *(["qt"] if toolkit == "qt" else [])],
            env={**x_env(display), "QT_QPA_PLATFORM": "xcb"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        assert self.process.stdout is not None
        ready = self.process.stdout.readline().split()
        assert ready[:1] == ["ready"], ready
        self.window = int(ready[1])

    def focus(self) -> None:
        xdotool(self.display, "windowfocus", "--sync", str(self.window))

    def command(self, line: str) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline()

    def text(self) -> str:
        text: str = json.loads(self.command("dump"))
        return text

    def close(self) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        self.process.wait()
        self.process.stdout.close()


@pytest.fixture
def target(display: str) -> Iterator[TargetProgram]:
    """A Tk field, focused."""
    program = TargetProgram(display)
    program.focus()
    yield program
    program.close()


@pytest.fixture(params=["tk", "qt"])
def any_target(request: pytest.FixtureRequest, display: str) -> Iterator[TargetProgram]:
    """A Tk field (libX11 reads the keymap lazily) or a Qt one (xcb, xkbcommon), focused."""
    if request.param == "qt":
        pytest.importorskip("PySide6", reason="the Qt target needs PySide6")
    program = TargetProgram(display, request.param)
    program.focus()
    yield program
    program.close()


@pytest.fixture
def inserter(display: str) -> Iterator:
    from livekr.insert.x11 import X11Inserter

    typing = X11Inserter("type", display=display)
    yield typing
    typing.close()


def long_text() -> str:
    """Lines of the constitution up to ``LONG_SYLLABLES`` Hangul syllables, newlines between."""
    lines, count = [], 0
    for line in KO_TEXT.read_text(encoding="utf-8").splitlines():
        lines.append(line)
        count += len(re.findall("[가-힣]", line))
        if count >= LONG_SYLLABLES:
            return "\n".join(lines)
    pytest.skip(f"{KO_TEXT} holds fewer than {LONG_SYLLABLES} syllables")


def spare_count(display: str) -> int:
    from Xlib import display as xdisplay

    connection = xdisplay.Display(display)
    try:
        info = connection.display.info
        rows = connection.get_keyboard_mapping(info.min_keycode, info.max_keycode - info.min_keycode + 1)
        return len(spare_keycodes([list(r) for r in rows], info.min_keycode))
    finally:
        connection.close()


@contextlib.contextmanager
def busy_cores(count: int) -> Iterator[None]:
    """``count`` processes spinning on the CPU, stopped at the end."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


# -- typing ------------------------------------------------------------------------------------


def test_typed_finals_arrive_exactly_in_order(any_target: TargetProgram, inserter) -> None:
    for final in FINALS:
        insertion = inserter.insert(final)
        assert insertion.text == final and insertion.method == "type"
    assert any_target.text() == "".join(FINALS)
    assert insertion.target.window == any_target.window and insertion.target.pid == any_target.process.pid
    assert insertion.target.title == "livekr target" and insertion.target.password is False


def test_a_long_text_with_more_characters_than_spare_key_codes(
    display: str, target: TargetProgram, inserter
) -> None:
    text = long_text()
    assert len(set(text)) > spare_count(display) > 0  # the key codes must be reused, in batches
    inserter.insert(text)
    assert target.text() == text


def test_typing_stays_exact_while_both_cores_are_busy(any_target: TargetProgram, inserter) -> None:
    """The case ``xdotool type`` loses characters: the target lags behind the key events."""
    text = long_text()
    with busy_cores(os.cpu_count() or 2):
        for run in range(2):
            any_target.command("clear")
            inserter.insert(text)
            assert any_target.text() == text, f"run {run}"


def test_caps_lock_does_not_change_typed_letters_and_stays_on(
    display: str, target: TargetProgram, inserter
) -> None:
    from Xlib import X
    from Xlib import display as xdisplay

    xdotool(display, "key", "Caps_Lock")
    try:
        inserter.insert("abc XYZ é 한글")
        assert target.text() == "abc XYZ é 한글"
        connection = xdisplay.Display(display)
        assert connection.screen().root.query_pointer().mask & X.LockMask
        connection.close()
    finally:
        xdotool(display, "key", "Caps_Lock")


def test_held_modifier_keys_refuse_the_insertion(display: str, target: TargetProgram, inserter) -> None:
    xdotool(display, "keydown", "ctrl")
    try:
        with pytest.raises(InsertError) as refused:
            inserter.insert("안녕")
    finally:
        xdotool(display, "keyup", "ctrl")
    assert refused.value.message.key == "insert.modifiers_held" and "Ctrl" in str(refused.value)
    assert target.text() == ""


# -- pasting -----------------------------------------------------------------------------------


def xclip_copy(display: str, text: str) -> None:
    """Put ``text`` on the clipboard with xclip (which stays in the background to serve it)."""
    subprocess.run(
        ["xclip", "-selection", "clipboard", "-i"],
        env=x_env(display),
        input=text.encode("utf-8"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
        timeout=10,
    )


def xclip_paste(display: str) -> str | None:
    """The clipboard's text as xclip reads it; ``None`` when it holds none."""
    read = subprocess.run(
        ["xclip", "-selection", "clipboard", "-o"], env=x_env(display), capture_output=True, timeout=10
    )
    return read.stdout.decode("utf-8") if read.returncode == 0 else None


def test_paste_inserts_exactly_and_restores_the_clipboard(display: str, any_target: TargetProgram) -> None:
    from livekr.insert.x11 import X11Inserter

    if shutil.which("xclip") is None:
        pytest.skip("xclip not installed (scripts/setup --dev installs it)")
    xclip_copy(display, "이전 클립보드 previous")
    pasting = X11Inserter("paste", display=display)
    try:
        for final in FINALS:
            assert pasting.insert(final).method == "paste"
        assert any_target.text() == "".join(FINALS)
        assert xclip_paste(display) == "이전 클립보드 previous"
    finally:
        pasting.close()


def test_paste_leaves_an_empty_clipboard_empty(display: str, target: TargetProgram) -> None:
    from livekr.insert.x11 import X11Inserter

    if shutil.which("xclip") is None:
        pytest.skip("xclip not installed (scripts/setup --dev installs it)")
    pasting = X11Inserter("paste", display=display)
    try:
        pasting.insert("붙여넣기")
        assert target.text() == "붙여넣기"
        assert xclip_paste(display) is None  # nobody owns the clipboard
    finally:
        pasting.close()


# -- undo --------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["type", "paste"])
def test_undo_removes_exactly_the_last_insertion(display: str, target: TargetProgram, method: str) -> None:
    from livekr.insert.x11 import X11Inserter

    chosen = X11Inserter(method, display=display)  # type: ignore[arg-type]
    try:
        chosen.insert("첫째 문장. ")
        last = chosen.insert("둘째 줄\n끝!")
        assert target.text() == "첫째 문장. 둘째 줄\n끝!"
        chosen.undo(last)
        assert target.text() == "첫째 문장. "
    finally:
        chosen.close()


@pytest.mark.parametrize("user_input", [("key", "shift"), ("click", "1")])
def test_undo_after_user_input_changes_nothing(
    display: str, target: TargetProgram, inserter, user_input
) -> None:
    insertion = inserter.insert("지울 수 없는 글")
    xdotool(display, "sleep", "0.05", *user_input)  # a person acts a moment later, not within 2 ms
    with pytest.raises(InsertError) as refused:
        inserter.undo(insertion)
    assert refused.value.message.key == "insert.moved" and "nothing was changed" in str(refused.value)
    assert target.text() == "지울 수 없는 글"


def test_undo_elsewhere_changes_nothing(display: str, target: TargetProgram, inserter) -> None:
    insertion = inserter.insert("여기")
    other = TargetProgram(display)
    try:
        other.focus()
        with pytest.raises(InsertError, match="nothing was changed"):
            inserter.undo(insertion)
        assert target.text() == "여기" and other.text() == ""
    finally:
        other.close()


# -- refusals ----------------------------------------------------------------------------------


@pytest.fixture
def own_window(display: str) -> Iterator[int]:
    """A window of this very process, mapped and focused."""
    from Xlib import X
    from Xlib import display as xdisplay

    connection = xdisplay.Display(display)
    window = connection.screen().root.create_window(
        10, 10, 200, 100, 0, 0, event_mask=X.StructureNotifyMask, window_class=X.InputOutput
    )
    window.map()
    while connection.next_event().type != X.MapNotify:
        pass
    window.set_input_focus(X.RevertToParent, X.CurrentTime)
    connection.sync()
    yield window.id
    window.destroy()
    connection.close()


def test_livekr_never_types_into_its_own_windows(own_window: int, inserter) -> None:
    assert inserter.focused().window == own_window and inserter.focused().pid == os.getpid()
    with pytest.raises(InsertError) as refused:
        inserter.insert("안녕")
    assert refused.value.message.key == "insert.own_window"


def test_no_focus_window_is_refused(display: str, inserter) -> None:
    from Xlib import X
    from Xlib import display as xdisplay

    connection = xdisplay.Display(display)
    connection.set_input_focus(X.NONE, X.RevertToNone, X.CurrentTime)
    connection.close()
    assert inserter.focused().window == 0
    with pytest.raises(InsertError) as refused:
        inserter.insert("안녕")
    assert refused.value.message.key == "insert.no_focus"


def test_a_display_that_went_away_is_an_insert_error(display: str) -> None:
    from livekr.insert.x11 import X11Inserter

    with xvfb_display() as short_lived:
        gone = X11Inserter("type", display=short_lived)
    with pytest.raises(InsertError) as refused:
        gone.insert("안녕")
    assert refused.value.message.key == "insert.display_gone"
    gone.close()


def test_no_display_at_all_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("Xlib")
    from livekr.insert.x11 import X11Inserter

    for name in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(InsertError) as refused:
        X11Inserter("type")
    assert refused.value.message.key == "insert.no_display" and "DISPLAY is not set" in str(refused.value)


# -- the global shortcut -----------------------------------------------------------------------


class Presses:
    """Counts the callbacks; events to wait on."""

    def __init__(self) -> None:
        self.pressed, self.released = threading.Event(), threading.Event()
        self.counts = {"press": 0, "release": 0}

    def on_press(self) -> None:
        self.counts["press"] += 1
        self.pressed.set()

    def on_release(self) -> None:
        self.counts["release"] += 1
        self.released.set()


SHORTCUT = "Ctrl+Shift+F9"
"""Not Ctrl+Alt+F9: X keymaps bind Ctrl+Alt+F1..F12 to switching virtual terminals."""


def test_the_shortcut_calls_press_and_release_once(display: str, target: TargetProgram) -> None:
    from livekr.insert.x11_hotkey import X11HotkeyListener

    listener = X11HotkeyListener(Hotkey.parse(SHORTCUT), display=display)
    presses = Presses()
    listener.start(presses.on_press, presses.on_release)
    try:
        xdotool(display, "key", "ctrl+shift+F9")
        assert presses.pressed.wait(10) and presses.released.wait(10)
        assert target.text() == ""  # the shortcut went to livekr, not into the field
    finally:
        listener.stop()
    assert presses.counts == {"press": 1, "release": 1}


@pytest.mark.parametrize("ask_xkb", [True, False])
def test_a_held_shortcut_repeats_but_presses_once(display: str, ask_xkb: bool) -> None:
    """Held longer than the auto-repeat delay (660 ms): with XKB's detectable auto-repeat the
    server sends presses only, without it release+press pairs with one time; one of each."""
    from livekr.insert.x11_hotkey import X11HotkeyListener

    listener = X11HotkeyListener(Hotkey.parse(SHORTCUT), display=display, ask_xkb=ask_xkb)
    presses = Presses()
    listener.start(presses.on_press, presses.on_release)
    try:
        xdotool(
            display, "keydown", "ctrl+shift+F9", "sleep", "1", "keyup", "ctrl+shift+F9"
        )  # a person holds it
        assert presses.released.wait(10)
    finally:
        listener.stop()
    assert presses.counts == {"press": 1, "release": 1}


def test_a_taken_shortcut_is_refused_and_free_again_after_stop(display: str) -> None:
    from livekr.insert.x11_hotkey import X11HotkeyListener

    hotkey = Hotkey.parse(SHORTCUT)
    first = X11HotkeyListener(hotkey, display=display)
    first.start(lambda: None, lambda: None)
    try:
        with pytest.raises(InsertError) as refused:
            X11HotkeyListener(hotkey, display=display).start(lambda: None, lambda: None)
        assert refused.value.message.key == "insert.hotkey_taken" and SHORTCUT in str(refused.value)
    finally:
        first.stop()
    again = X11HotkeyListener(hotkey, display=display)
    again.start(lambda: None, lambda: None)
    again.stop()


@pytest.mark.parametrize(
    ("shortcut", "key"),
    [("Ctrl+Nosuchkey", "insert.hotkey_unknown_key"), ("Ctrl+Alt+F9", "insert.hotkey_vt")],
)
def test_a_shortcut_that_cannot_work_is_refused(display: str, shortcut: str, key: str) -> None:
    from livekr.insert.x11_hotkey import X11HotkeyListener

    with pytest.raises(InsertError) as refused:
        X11HotkeyListener(Hotkey.parse(shortcut), display=display).start(lambda: None, lambda: None)
    assert refused.value.message.key == key and shortcut in str(refused.value)


# -- pure: planning key codes, Wayland ---------------------------------------------------------


def replay(batches, layout_keycodes: dict[int, int]) -> str:
    """Type the plan on a simulated keyboard; each key is read with the mapping of its batch."""
    mapping = dict(layout_keycodes)
    typed = []
    for batch in batches:
        mapping.update(batch.remap)
        typed += [mapping[stroke.keycode] for stroke in batch.strokes]
    return "".join("\n" if ks == 0xFF0D else chr(ks & 0xFFFFFF if ks > 0xFFFF else ks) for ks in typed)


def test_plan_never_remaps_a_key_code_within_its_batch_and_reuses_held_ones() -> None:
    layout = {ord(c): Stroke(10 + i) for i, c in enumerate("abc ")} | {0xFF0D: Stroke(40)}
    spare = [100, 101, 102]
    text = "ab 가나다라 가마\nc 바사"
    batches = plan_batches(text, layout, spare)
    assert len(batches) > 1 and all(len(batch.remap) <= len(spare) for batch in batches)
    assert replay(batches, {s.keycode: ks for ks, s in layout.items()}) == text
    assert sum(b.chars for b in batches) == len(text)
    assert plan_batches("가가", layout, spare, {101: keysym_for("가") or 0})[0].remap == {}


def test_plan_refuses_what_it_cannot_type() -> None:
    with pytest.raises(ValueError):
        plan_batches("가", {}, [])
    assert keysym_for("\x07") is None and keysym_for("\n") == 0xFF0D and keysym_for("한") == 0x100D55C


def test_layout_keys_take_shift_for_the_second_level() -> None:
    rows = [[ord("a"), ord("A")], [ord("1"), ord("!")], [], [ord("b")]]
    layout = layout_strokes(rows, 8)
    assert layout[ord("a")] == Stroke(8) and layout[ord("A")] == Stroke(8, True)
    assert layout[ord("!")] == Stroke(9, True) and layout[ord("B")] == Stroke(11, True)
    assert spare_keycodes(rows, 8) == [10]


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"DISPLAY": ":0"}, None),
        ({"DISPLAY": ":0", "XDG_SESSION_TYPE": "x11"}, None),
        ({}, None),
        ({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}, "insert.wayland"),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "insert.wayland"),
        (
            {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"},
            "insert.wayland_xwayland",
        ),
    ],
)
def test_wayland_is_told_plainly(env: dict[str, str], key: str | None) -> None:
    problem = wayland_problem(env)
    assert (problem.key if problem else None) == key
    if problem is not None:
        assert "Wayland" in problem and "copy from livekr's window" in problem
