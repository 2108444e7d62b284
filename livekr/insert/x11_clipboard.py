"""The X11 CLIPBOARD for the paste method: reading what it holds, and owning it from a thread
of livekr's own that answers the programs asking for it.

An X11 clipboard is a promise, not a store: the program that copied answers each paste.
So livekr keeps answering with the text restored after a paste until another program
copies something; when livekr exits, that text is gone, as with any X11 program that
quits after a copy (a clipboard manager, where one runs, keeps it).
"""

from __future__ import annotations

import logging
import os
import queue
import select
import threading
from dataclasses import dataclass
from typing import Any

from livekr.insert.base import InsertError
from livekr.insert.x11_display import wait_event

log = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
"""Texts longer than this go out, and come in, in INCR steps of this size (ICCCM 2.7.2)."""
TEXT_TARGETS = ("UTF8_STRING", "STRING", "TEXT", "text/plain;charset=utf-8", "text/plain")
"""The forms the owner serves its text in; STRING is Latin-1 (others become '?')."""
PROPERTY = "LIVEKR_CLIPBOARD"
X_SELECTION_NOTIFY = 31
X_PROPERTY_NOTIFY = 28


def read_clipboard(display: Any, window: Any, timeout_s: float) -> str | None:
    """The text on the CLIPBOARD, as UTF8_STRING (else STRING); ``None`` when nobody owns it,
    it holds no text, or its owner does not answer within ``timeout_s``. ``window``: one of
    this connection's windows, selecting PropertyChangeMask."""
    from Xlib import X

    clipboard = display.intern_atom("CLIPBOARD")
    if owner_id(display, clipboard) == X.NONE:
        return None
    prop = display.intern_atom(PROPERTY)
    for name in ("UTF8_STRING", "STRING"):
        window.convert_selection(clipboard, display.intern_atom(name), prop, X.CurrentTime)
        notify = wait_event(
            display,
            lambda e: (
                e.type == X_SELECTION_NOTIFY and e.requestor.id == window.id and e.selection == clipboard
            ),
            timeout_s,
        )
        if notify is None:
            log.info("the clipboard's owner did not answer within %g s; nothing to restore", timeout_s)
            return None
        if notify.property != X.NONE:
            data = _read_property(display, window, prop, timeout_s)
            if data is None:
                return None
            return data.decode("utf-8" if name == "UTF8_STRING" else "latin-1", "replace")
    return None


def owner_id(display: Any, selection: int) -> int:
    """The id of the window that owns ``selection`` (0: nobody)."""
    owner = display.get_selection_owner(selection)
    return int(getattr(owner, "id", owner))


def _read_property(display: Any, window: Any, prop: int, timeout_s: float) -> bytes | None:
    """The property's bytes, deleting it; an INCR transfer piece by piece."""
    from Xlib import X

    value = window.get_full_property(prop, X.AnyPropertyType)
    window.delete_property(prop)
    if value is None:
        return None
    if value.property_type != display.intern_atom("INCR"):
        return _bytes(value.value)
    parts: list[bytes] = []
    while True:
        new_value = wait_event(
            display,
            lambda e: (
                e.type == X_PROPERTY_NOTIFY
                and e.window.id == window.id
                and e.atom == prop
                and e.state == X.PropertyNewValue
            ),
            timeout_s,
        )
        if new_value is None:
            return None
        piece = window.get_full_property(prop, X.AnyPropertyType)
        window.delete_property(prop)
        chunk = _bytes(piece.value) if piece is not None else b""
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else bytes(value)


@dataclass
class _Transfer:
    """An INCR transfer under way to one requestor's property."""

    requestor: Any
    prop: int
    kind: int
    data: bytes
    offset: int = 0


class ClipboardOwner:
    """Owns CLIPBOARD with a text, from its own thread and display connection, answering
    SelectionRequest for TARGETS and the ``TEXT_TARGETS``. ``own`` and ``disown`` are called
    from the inserter's thread; ``close`` ends the thread (the clipboard is given up)."""

    def __init__(self, display_name: str | None) -> None:
        from Xlib import X
        from Xlib import display as xdisplay

        self._display = xdisplay.Display(display_name)
        self._window = self._display.screen().root.create_window(
            0, 0, 1, 1, 0, 0, X.InputOnly, X.CopyFromParent, event_mask=X.PropertyChangeMask
        )
        atom = self._display.intern_atom
        self._clipboard = atom("CLIPBOARD")
        self._targets = atom("TARGETS")
        self._incr = atom("INCR")
        self._utf8 = atom("UTF8_STRING")
        self._string = atom("STRING")
        self._text_targets = {atom(name): name for name in TEXT_TARGETS}
        self._id_mask = ~self._display.display.info.resource_id_mask & 0xFFFFFFFF
        self._text: str | None = None
        self._transfers: dict[tuple[int, int], _Transfer] = {}
        self._served: list[int] = []
        self._served_changed = threading.Condition()
        self._commands: queue.SimpleQueue[tuple[str, str | None, queue.SimpleQueue[Exception | None]]] = (
            queue.SimpleQueue()
        )
        self._wake_r, self._wake_w = os.pipe()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="livekr-clipboard", daemon=True)
        self._thread.start()

    def own(self, text: str | None, timeout_s: float) -> None:
        """Serve ``text`` from now on (``None``: give the clipboard up). ``InsertError`` when the
        server did not give livekr the clipboard."""
        self._call("own", text, timeout_s)

    def restore(self, text: str | None, timeout_s: float) -> None:
        """Serve ``text`` again (``None``: give the clipboard up), unless another program has
        taken the clipboard since ``own``: then its text stays."""
        self._call("restore", text, timeout_s)

    def served_count(self) -> int:
        """How many text requests were answered so far."""
        with self._served_changed:
            return len(self._served)

    def wait_served(self, after: int, window_id: int, timeout_s: float) -> bool:
        """Wait until a text request after the first ``after`` came from the client that created
        ``window_id`` (the target) and was answered; ``False`` after ``timeout_s``."""
        base = window_id & self._id_mask

        def done() -> bool:
            return any(requestor & self._id_mask == base for requestor in self._served[after:])

        with self._served_changed:
            return self._served_changed.wait_for(done, timeout_s)

    def close(self) -> None:
        """Give up the clipboard, end the thread and close its connection."""
        if self._thread.is_alive():
            self._stopping = True
            os.write(self._wake_w, b"x")
            self._thread.join()
        os.close(self._wake_r)
        os.close(self._wake_w)

    def _call(self, command: str, text: str | None, timeout_s: float) -> None:
        if not self._thread.is_alive():
            raise InsertError("insert.clipboard_unavailable", detail="its thread has ended")
        answer: queue.SimpleQueue[Exception | None] = queue.SimpleQueue()
        self._commands.put((command, text, answer))
        os.write(self._wake_w, b"x")
        try:
            error = answer.get(timeout=timeout_s)
        except queue.Empty:
            raise InsertError("insert.clipboard_unavailable", detail="no answer from the X server") from None
        if error is not None:
            raise error

    def _run(self) -> None:
        """The thread: commands from the pipe, selection events from the display."""
        try:
            while not self._stopping:
                self._do_commands()
                while self._display.pending_events():
                    self._on_event(self._display.next_event())
                readable, _, _ = select.select([self._display, self._wake_r], [], [])
                if self._wake_r in readable:
                    os.read(self._wake_r, 4096)
        except Exception:  # the edge of the thread: an inserter's call then says it has ended
            log.exception("the clipboard thread failed")
        finally:
            self._do_commands()
            self._close_display()

    def _close_display(self) -> None:
        from Xlib import X

        try:
            if self._text is not None:
                self._set_owner(X.NONE)
            self._display.close()
        except Exception:  # the display may be gone already
            log.debug("closing the clipboard's display connection failed", exc_info=True)

    def _do_commands(self) -> None:
        while True:
            try:
                command, text, answer = self._commands.get_nowait()
            except queue.Empty:
                return
            if self._stopping:
                answer.put(InsertError("insert.clipboard_unavailable", detail="livekr is closing"))
                continue
            try:
                if command == "own" or owner_id(self._display, self._clipboard) == self._window.id:
                    self._own(text)
                answer.put(None)
            except Exception as e:
                answer.put(e)

    def _own(self, text: str | None) -> None:
        from Xlib import X

        self._text = text
        self._set_owner(self._window.id if text is not None else X.NONE)
        if text is not None and owner_id(self._display, self._clipboard) != self._window.id:
            self._text = None
            raise InsertError("insert.clipboard_unavailable", detail="another program took it")

    def _set_owner(self, window_id: int) -> None:
        """Make ``window_id`` (``X.NONE``: nobody) the clipboard's owner."""
        from Xlib import X
        from Xlib.protocol import request

        request.SetSelectionOwner(
            display=self._display.display, window=window_id, selection=self._clipboard, time=X.CurrentTime
        )

    def _on_event(self, event: Any) -> None:
        from Xlib import X

        if event.type == X.SelectionRequest:
            self._answer(event)
        elif event.type == X.SelectionClear and event.atom == self._clipboard:
            self._text = None  # another program copied: the clipboard is theirs now
        elif event.type == X.PropertyNotify and event.state == X.PropertyDelete:
            transfer = self._transfers.get((event.window.id, event.atom))
            if transfer is not None:
                self._send_chunk(transfer)

    def _answer(self, request: Any) -> None:
        """Answer one SelectionRequest: the property is written, then SelectionNotify sent."""
        from Xlib import X, Xatom
        from Xlib import error as xerror
        from Xlib.protocol import event

        prop = request.property or request.target
        requestor = request.requestor
        caught = xerror.CatchError(xerror.BadWindow, xerror.BadAtom, xerror.BadAlloc)
        answered = X.NONE
        is_text = request.target in self._text_targets
        if request.selection == self._clipboard and self._text is not None:
            if request.target == self._targets:
                atoms = [self._targets, *self._text_targets]
                requestor.change_property(prop, Xatom.ATOM, 32, atoms, onerror=caught)
                answered = prop
            elif is_text:
                self._write_text(requestor, prop, request.target, caught)
                answered = prop
        notify = event.SelectionNotify(
            time=request.time,
            requestor=requestor,
            selection=request.selection,
            target=request.target,
            property=answered,
        )
        requestor.send_event(notify, event_mask=0, onerror=caught)
        self._display.sync()
        if caught.get_error():
            log.info("a paste request could not be answered: %s", caught.get_error())
        elif answered != X.NONE and is_text:
            with self._served_changed:
                self._served.append(requestor.id)
                self._served_changed.notify_all()

    def _write_text(self, requestor: Any, prop: int, target: int, caught: Any) -> None:
        from Xlib import X

        assert self._text is not None
        if target == self._string:
            data, kind = self._text.encode("latin-1", "replace"), self._string
        else:
            data = self._text.encode("utf-8")
            kind = self._utf8 if self._text_targets[target] in ("UTF8_STRING", "TEXT") else target
        if len(data) <= CHUNK_BYTES:
            requestor.change_property(prop, kind, 8, data, onerror=caught)
            return
        requestor.change_attributes(event_mask=X.PropertyChangeMask, onerror=caught)
        requestor.change_property(prop, self._incr, 32, [len(data)], onerror=caught)
        self._transfers[(requestor.id, prop)] = _Transfer(requestor, prop, kind, data)

    def _send_chunk(self, transfer: _Transfer) -> None:
        """The next INCR piece, after the requestor deleted the last one; empty at the end."""
        from Xlib import X
        from Xlib import error as xerror

        caught = xerror.CatchError()
        chunk = transfer.data[transfer.offset : transfer.offset + CHUNK_BYTES]
        transfer.requestor.change_property(transfer.prop, transfer.kind, 8, chunk, onerror=caught)
        transfer.offset += len(chunk)
        if not chunk:
            del self._transfers[(transfer.requestor.id, transfer.prop)]
            transfer.requestor.change_attributes(event_mask=X.NoEventMask, onerror=caught)
        self._display.flush()
