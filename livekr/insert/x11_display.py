"""The X11 display as the inserters see it: opening it (or saying why not: no DISPLAY, a
Wayland session), its errors as ``InsertError``, the focused window, waiting for events, and
the round trip through the target (``_NET_WM_PING``) that tells that the target has
processed every event sent to it before.

python-xlib is imported here, when a display is opened, never at ``livekr.insert`` import.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from livekr.insert.base import InsertError, Target
from livekr.messages import Message

log = logging.getLogger(__name__)

CLIENT_SEARCH_DEPTH = 3
"""How deep below a top-level window the client window (with WM_STATE) is looked for."""
TITLE_MAX_CHARS = 200


def wayland_problem(env: Mapping[str, str] = os.environ) -> Message | None:
    """What a Wayland session means for dictation into other programs, or ``None`` in an X11
    session. Wayland gives no program synthetic input into others nor global shortcuts; with
    XWayland (``DISPLAY`` set) livekr reaches the X11 programs that run under XWayland only."""
    wayland = env.get("XDG_SESSION_TYPE", "").lower() == "wayland" or (
        bool(env.get("WAYLAND_DISPLAY")) and not env.get("DISPLAY")
    )
    if not wayland:
        return None
    if env.get("DISPLAY"):
        return Message("insert.wayland_xwayland")
    return Message("insert.wayland")


def open_display(name: str | None, env: Mapping[str, str] = os.environ, require_xtest: bool = True) -> Any:
    """A python-xlib ``Display`` for ``name`` (default ``$DISPLAY``), with the XTEST extension
    where ``require_xtest``; ``InsertError`` when there is none (and why: Wayland, no DISPLAY,
    python-xlib missing)."""
    if name is None and not env.get("DISPLAY"):
        raise InsertError(wayland_problem(env) or Message("insert.no_display"))
    try:
        from Xlib import display as xdisplay
        from Xlib import error as xerror
    except ImportError as e:
        raise InsertError("insert.no_xlib") from e
    shown = name or env.get("DISPLAY", "")
    try:
        display = xdisplay.Display(name)
    except (xerror.DisplayError, OSError) as e:
        raise InsertError("insert.display_failed", display=shown, detail=str(e)) from e
    display.set_error_handler(_log_x_error)
    if require_xtest and not display.has_extension("XTEST"):
        display.close()
        raise InsertError("insert.no_xtest", display=shown)
    return display


def _log_x_error(error: Any, request: Any) -> None:
    log.warning("X error not handled by livekr: %s", error)


@contextlib.contextmanager
def x_errors(display_name: str) -> Iterator[None]:
    """Turns a lost display connection into ``InsertError("insert.display_gone")``."""
    from Xlib import error as xerror

    try:
        yield
    except (xerror.ConnectionClosedError, xerror.DisplayError, ConnectionError, BrokenPipeError) as e:
        raise InsertError("insert.display_gone", display=display_name) from e


def wait_event(display: Any, wanted: Callable[[Any], bool], timeout_s: float) -> Any | None:
    """The first event on ``display`` for which ``wanted`` is true, or ``None`` after
    ``timeout_s``; events before it are dropped (the caller's connection receives nothing
    else it needs)."""
    display.flush()
    deadline = time.monotonic() + timeout_s
    while True:
        while display.pending_events():
            event = display.next_event()
            if wanted(event):
                return event
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        select.select([display], [], [], left)


def focused_window(display: Any) -> Any | None:
    """The top-level window with the keyboard focus: the root's ``_NET_ACTIVE_WINDOW`` where a
    window manager sets it, else the input focus climbed up to the child of the root, then
    down to the window holding WM_STATE below a window manager's frame. ``None`` when no
    window has the focus."""
    from Xlib import X

    root = display.screen().root
    active = _cardinal(display, root, "_NET_ACTIVE_WINDOW")
    if active:
        return display.create_resource_object("window", active)
    focus = display.get_input_focus().focus
    if isinstance(focus, int) or focus.id in (X.NONE, X.PointerRoot, root.id):
        return None
    window = focus
    while True:
        tree = window.query_tree()
        if tree.parent.id in (X.NONE, root.id):
            break
        window = tree.parent
    return _client_window(display, window, CLIENT_SEARCH_DEPTH) or window


def _client_window(display: Any, window: Any, depth: int) -> Any | None:
    if window.get_full_property(display.intern_atom("WM_STATE"), 0) is not None:
        return window
    if depth == 0:
        return None
    for child in window.query_tree().children:
        found = _client_window(display, child, depth - 1)
        if found is not None:
            return found
    return None


def target_of(display: Any, window: Any | None) -> Target:
    """``window`` as a ``Target``: its process id from ``_NET_WM_PID``, else from the
    X-Resource extension (the client that created it, when local); its title from
    ``_NET_WM_NAME`` or ``WM_NAME``. ``Target(0, 0)`` for no window.

    X11 cannot tell a password field: there is no accessibility query here, so ``password``
    is always ``False``."""
    if window is None:
        return Target(0, 0)
    pid = _cardinal(display, window, "_NET_WM_PID") or _client_pid(display, window.id)
    return Target(window.id, pid, _title(display, window))


def _cardinal(display: Any, window: Any, name: str) -> int:
    from Xlib import X

    prop = window.get_full_property(display.intern_atom(name), X.AnyPropertyType)
    if prop is None or not len(prop.value) or prop.format != 32:
        return 0
    return int(prop.value[0])


def _client_pid(display: Any, window_id: int) -> int:
    if not display.has_extension("X-Resource"):
        return 0
    from Xlib.ext import res

    reply = display.res_query_client_ids([{"client": window_id, "mask": res.LocalClientPIDMask}])
    for value in reply.ids:
        if value.spec.mask == res.LocalClientPIDMask and value.value:
            return int(value.value[0])
    return 0


def _title(display: Any, window: Any) -> str:
    prop = window.get_full_property(display.intern_atom("_NET_WM_NAME"), display.intern_atom("UTF8_STRING"))
    if prop is not None and prop.value:
        raw = prop.value
    else:
        prop = window.get_full_property(display.intern_atom("WM_NAME"), 0)
        raw = prop.value if prop is not None else b""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return text[:TITLE_MAX_CHARS]


def idle_ms(display: Any) -> int | None:
    """Milliseconds since the last key or pointer event reached the X server (XTest events
    included), from the MIT-SCREEN-SAVER extension; ``None`` without it."""
    if not display.has_extension("MIT-SCREEN-SAVER"):
        return None
    return int(display.screen().root.screensaver_query_info().idle)


class Pinger:
    """The round trip through a target: a ``_NET_WM_PING`` client message sent to its window
    after the events it must process; the target sends it back to the root window when it
    dispatches it. A client dispatches its events in the order the server sent them, so the
    answer means every earlier event (keys, mapping changes, a selection) was processed.

    GTK, Qt, Chromium, Firefox and Tk answer it (Tk without listing it in WM_PROTOCOLS)."""

    def __init__(self, display: Any) -> None:
        from Xlib import X

        self._display = display
        self._root = display.screen().root
        # answers come to the root with SubstructureNotify (GTK, Tk) or StructureNotify (Qt)
        self._root.change_attributes(event_mask=X.SubstructureNotifyMask | X.StructureNotifyMask)
        self._protocols = display.intern_atom("WM_PROTOCOLS")
        self._ping = display.intern_atom("_NET_WM_PING")
        self._serial = int.from_bytes(os.urandom(3), "big")

    def advertised(self, window_id: int) -> bool:
        """The window lists ``_NET_WM_PING`` in its WM_PROTOCOLS."""
        from Xlib import X

        window = self._display.create_resource_object("window", window_id)
        prop = window.get_full_property(self._protocols, X.AnyPropertyType)
        return prop is not None and self._ping in list(prop.value)

    def ping(self, window_id: int, timeout_s: float) -> bool:
        """Send a ping to ``window_id`` and wait for its answer; ``False`` after ``timeout_s``.
        ``InsertError("insert.target_gone")`` when the window no longer exists."""
        from Xlib import error as xerror
        from Xlib.protocol import event

        self._serial = (self._serial + 1) & 0xFFFFFFFF
        serial = self._serial
        window = self._display.create_resource_object("window", window_id)
        message = event.ClientMessage(
            window=window, client_type=self._protocols, data=(32, [self._ping, serial, window_id, 0, 0])
        )
        caught = xerror.CatchError(xerror.BadWindow)
        window.send_event(message, event_mask=0, onerror=caught)
        self._display.sync()
        if caught.get_error():
            raise InsertError("insert.target_gone")

        def answer(e: Any) -> bool:
            return bool(
                e.type == X_CLIENT_MESSAGE
                and e.client_type == self._protocols
                and e.data[0] == 32
                and e.data[1][0] == self._ping
                and e.data[1][1] == serial
            )

        return wait_event(self._display, answer, timeout_s) is not None


X_CLIENT_MESSAGE = 33
"""The core ClientMessage event code (``Xlib.X.ClientMessage``)."""
