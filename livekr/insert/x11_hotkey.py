"""A global shortcut on X11: a passive grab of the key (with its modifiers) on the root window,
read by a thread with its own display connection.

The grab is repeated with Caps Lock, Num Lock and Scroll Lock on, so that the shortcut works
whatever the lock keys say. Key auto-repeat is reported by the server as detectable (XKB's
per-client flag: repeats come as presses without releases); where XKB refuses, a release
followed at once by a press of the same key with the same time is taken for a repeat.
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
import select
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from livekr.insert.base import Hotkey, InsertError
from livekr.insert.x11_display import open_display, x_errors

log = logging.getLogger(__name__)

KEY_NAMES = {
    "enter": "Return",
    "return": "Return",
    "esc": "Escape",
    "backspace": "BackSpace",
    "del": "Delete",
    "ins": "Insert",
    "pageup": "Prior",
    "pgup": "Prior",
    "pagedown": "Next",
    "pgdn": "Next",
    "break": "Pause",
    "scrolllock": "Scroll_Lock",
    "capslock": "Caps_Lock",
    "numlock": "Num_Lock",
    "printscreen": "Print",
}
"""Key names people write → X keysym names, where they differ by more than case."""
MODIFIER_KEYSYMS = {"alt": ("Alt_L", "Alt_R", "Meta_L"), "super": ("Super_L", "Super_R", "Hyper_L")}
LOCK_KEYSYM_NAMES = ("Num_Lock", "Scroll_Lock")
VT_SWITCH_KEYSYMS = range(0x1008FE01, 0x1008FE0D)
"""XF86Switch_VT_1..12: what Ctrl+Alt+F1..F12 do in the usual X keymaps (the server acts on
them itself; programs never see the key)."""
XKB_USE_CORE_KEYBOARD = 0x100
XKB_DETECTABLE_AUTOREPEAT = 1


class X11HotkeyListener:
    """``HotkeyListener`` for X11 (see the module). ``display``: a name such as ":0", default
    ``$DISPLAY``. ``on_press`` / ``on_release`` are called from the listener's thread.
    ``ask_xkb=False`` tells repeats by their times only, as where XKB refuses."""

    def __init__(self, hotkey: Hotkey, display: str | None = None, *, ask_xkb: bool = True) -> None:
        self.hotkey = hotkey
        self._ask_xkb = ask_xkb
        self._display_name = display
        self._name = display or os.environ.get("DISPLAY", "")
        self._display: Any = None
        self._grabs: list[tuple[int, int]] = []
        self._keycode = 0
        self._detectable = False
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = -1, -1

    def start(self, on_press: Callable[[], None], on_release: Callable[[], None]) -> None:
        """Grab the shortcut and start the thread. ``InsertError`` when the key is unknown or
        another program holds the shortcut."""
        if self._thread is not None:
            raise RuntimeError("the hotkey listener is already started")
        self._display = open_display(self._display_name, require_xtest=False)
        try:
            with x_errors(self._name):
                self._keycode = _keycode(self._display, self.hotkey)
                _check_not_vt_switch(self._display, self._keycode, self.hotkey)
                self._grab(_modifier_mask(self._display, self.hotkey.modifiers))
                self._detectable = self._ask_xkb and _detectable_autorepeat(self._display)
        except BaseException:
            self._display.close()
            raise
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(
            target=self._run, args=(on_press, on_release), name="livekr-hotkey", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Let the shortcut go; returns once the thread has ended. Idempotent."""
        if self._thread is None:
            return
        os.write(self._wake_w, b"x")
        self._thread.join()
        self._thread = None
        os.close(self._wake_r)
        os.close(self._wake_w)

    def _grab(self, modifiers: int) -> None:
        """Grab the key with ``modifiers`` and each combination of the lock modifiers."""
        from Xlib import X
        from Xlib import error as xerror

        root = self._display.screen().root
        caught = xerror.CatchError(xerror.BadAccess)
        locks = _lock_masks(self._display)
        for count in range(len(locks) + 1):
            for combination in itertools.combinations(locks, count):
                mask = modifiers | functools.reduce(lambda a, b: a | b, combination, 0)
                root.grab_key(self._keycode, mask, False, X.GrabModeAsync, X.GrabModeAsync, onerror=caught)
                self._grabs.append((self._keycode, mask))
        self._display.sync()
        if caught.get_error():
            self._ungrab()
            raise InsertError("insert.hotkey_taken", hotkey=str(self.hotkey))

    def _ungrab(self) -> None:
        root = self._display.screen().root
        for keycode, mask in self._grabs:
            root.ungrab_key(keycode, mask)
        self._grabs.clear()
        self._display.sync()

    def _run(self, on_press: Callable[[], None], on_release: Callable[[], None]) -> None:
        """The thread: key events of the grabbed key until woken through the pipe."""
        from Xlib import X

        ahead: deque[Any] = deque()
        down = False
        try:
            while True:
                event = ahead.popleft() if ahead else self._next_event()
                if event is None:
                    return
                if getattr(event, "detail", None) != self._keycode:
                    continue
                if event.type == X.KeyPress and not down:
                    down = True
                    _call(on_press)
                elif event.type == X.KeyRelease and down and not self._repeats(event, ahead):
                    down = False
                    _call(on_release)
        except Exception:  # the edge of the thread: the display went away
            log.exception("the shortcut %s stopped listening", self.hotkey)
        finally:
            try:
                self._ungrab()
                self._display.close()
            except Exception:
                log.debug("closing the hotkey's display connection failed", exc_info=True)

    def _next_event(self) -> Any | None:
        """The next event, or ``None`` when ``stop`` wrote to the pipe."""
        while not self._display.pending_events():
            readable, _, _ = select.select([self._display, self._wake_r], [], [])
            if self._wake_r in readable:
                return None
        return self._display.next_event()

    def _repeats(self, release: Any, ahead: deque[Any]) -> bool:
        """Whether ``release`` is half of an auto-repeat: without detectable auto-repeat, a
        press of the same key with the same time sent with it (already received)."""
        from Xlib import X

        if self._detectable or not self._display.pending_events():
            return False
        following = self._display.next_event()
        if (
            following.type == X.KeyPress
            and following.detail == release.detail
            and following.time == release.time
        ):
            return True
        ahead.append(following)
        return False


def _call(callback: Callable[[], None]) -> None:
    try:
        callback()
    except Exception:  # a failing callback must not end the listening
        log.exception("a shortcut callback failed")


def _keycode(display: Any, hotkey: Hotkey) -> int:
    """The key code of ``hotkey.key`` on this keyboard; ``InsertError`` when there is none."""
    from Xlib import XK

    name = KEY_NAMES.get(hotkey.key, hotkey.key)
    for candidate in (name, name.capitalize(), name.upper()):
        keysym = XK.string_to_keysym(candidate)
        if keysym:
            keycode = int(display.keysym_to_keycode(keysym))
            if keycode:
                return keycode
    raise InsertError("insert.hotkey_unknown_key", hotkey=str(hotkey), key=hotkey.key)


def chord_keycodes(display: Any, hotkey: Hotkey) -> frozenset[int]:
    """Every key code that pressing ``hotkey`` presses: its key's, and each key code bound to
    one of its modifiers (left and right Ctrl, …). ``InsertError`` when the key is unknown."""
    mask = _modifier_mask(display, hotkey.modifiers)
    codes = {_keycode(display, hotkey)}
    for index, keycodes in enumerate(display.get_modifier_mapping()):
        if mask & (1 << index):
            codes.update(code for code in keycodes if code)
    return frozenset(codes)


def _check_not_vt_switch(display: Any, keycode: int, hotkey: Hotkey) -> None:
    """``InsertError`` for Ctrl+Alt with a key that switches virtual terminals here: the grab
    would succeed and never fire."""
    if {"ctrl", "alt"} <= hotkey.modifiers:
        row = display.get_keyboard_mapping(keycode, 1)[0]
        if any(keysym in VT_SWITCH_KEYSYMS for keysym in row):
            raise InsertError("insert.hotkey_vt", hotkey=str(hotkey))


def _modifier_mask(display: Any, modifiers: frozenset[str]) -> int:
    from Xlib import X

    mask = 0
    fixed = {"ctrl": X.ControlMask, "shift": X.ShiftMask}
    defaults = {"alt": X.Mod1Mask, "super": X.Mod4Mask}
    for name in modifiers:
        if name in fixed:
            mask |= fixed[name]
        else:
            mask |= _mask_of(display, MODIFIER_KEYSYMS[name]) or defaults[name]
    return mask


def _lock_masks(display: Any) -> list[int]:
    from Xlib import X

    masks = [X.LockMask] + [_mask_of(display, (name,)) for name in LOCK_KEYSYM_NAMES]
    return [mask for mask in dict.fromkeys(masks) if mask]


def _mask_of(display: Any, keysym_names: tuple[str, ...]) -> int:
    """The modifier mask whose keys include one of ``keysym_names`` (0: none)."""
    from Xlib import XK

    keycodes = {display.keysym_to_keycode(XK.string_to_keysym(name)) for name in keysym_names} - {0}
    for index, codes in enumerate(display.get_modifier_mapping()):
        if keycodes & set(codes):
            return 1 << index
    return 0


def _detectable_autorepeat(display: Any) -> bool:
    """Ask XKB for detectable auto-repeat on this connection; whether the server agreed."""
    ext = display.query_extension("XKEYBOARD")
    if ext is None or not getattr(ext, "present", True):
        return False
    use_extension, per_client_flags = _xkb_requests()
    from Xlib import error as xerror

    try:
        use = use_extension(display=display.display, opcode=ext.major_opcode, wanted_major=1, wanted_minor=0)
        if not use.supported:
            return False
        flags = per_client_flags(
            display=display.display,
            opcode=ext.major_opcode,
            device_spec=XKB_USE_CORE_KEYBOARD,
            change=XKB_DETECTABLE_AUTOREPEAT,
            value=XKB_DETECTABLE_AUTOREPEAT,
            ctrls_to_change=0,
            auto_ctrls=0,
            auto_ctrls_values=0,
        )
    except xerror.XError:
        log.info("XKB refused detectable auto-repeat; repeats are told by their times")
        return False
    return bool(flags.value & XKB_DETECTABLE_AUTOREPEAT)


@functools.cache
def _xkb_requests() -> tuple[Any, Any]:
    """XkbUseExtension and XkbPerClientFlags, which python-xlib does not define."""
    from Xlib.protocol import rq

    class UseExtension(rq.ReplyRequest):
        _request = rq.Struct(
            rq.Card8("opcode"),
            rq.Opcode(0),
            rq.RequestLength(),
            rq.Card16("wanted_major"),
            rq.Card16("wanted_minor"),
        )
        _reply = rq.Struct(
            rq.ReplyCode(),
            rq.Bool("supported"),
            rq.Card16("sequence_number"),
            rq.ReplyLength(),
            rq.Card16("server_major"),
            rq.Card16("server_minor"),
            rq.Pad(20),
        )

    class PerClientFlags(rq.ReplyRequest):
        _request = rq.Struct(
            rq.Card8("opcode"),
            rq.Opcode(21),
            rq.RequestLength(),
            rq.Card16("device_spec"),
            rq.Pad(2),
            rq.Card32("change"),
            rq.Card32("value"),
            rq.Card32("ctrls_to_change"),
            rq.Card32("auto_ctrls"),
            rq.Card32("auto_ctrls_values"),
        )
        _reply = rq.Struct(
            rq.ReplyCode(),
            rq.Card8("device_id"),
            rq.Card16("sequence_number"),
            rq.ReplyLength(),
            rq.Card32("supported"),
            rq.Card32("value"),
            rq.Card32("auto_ctrls"),
            rq.Card32("auto_ctrls_values"),
            rq.Pad(8),
        )

    return UseExtension, PerClientFlags
