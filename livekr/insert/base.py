"""The contract of text insertion into the focused program, shared by every platform.

Qt-free and light. A platform module (``x11``, ``windows``, ``macos``) provides an
``Inserter``; ``livekr.insert.text`` turns finals into the text to insert (spacing,
full stops, spoken punctuation). Inserters are used from one thread at a time (the
insertion worker); ``insert`` returns only once the platform has taken every character, in
order, so the next final never overtakes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from livekr.messages import LocalizedError

Method = Literal["type", "paste"]
METHODS: tuple[Method, ...] = ("type", "paste")
"""``type``: synthetic Unicode key events; ``paste``: the clipboard (saved and restored) and
the platform's paste shortcut."""


class InsertError(LocalizedError):
    """Text cannot be inserted (or an insertion undone); the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    """The focused window that receives an insertion."""

    window: int
    """Platform window id (X11 window, HWND, or macOS window number); 0 when unknown."""
    pid: int
    """Its process id; 0 when the platform cannot tell."""
    title: str = ""
    password: bool = False
    """The focused field is a password field (where the platform can tell)."""


@dataclass(frozen=True)
class Insertion:
    """One text inserted: what, how, where and when."""

    text: str
    method: Method
    target: Target
    at_s: float
    """``time.monotonic()`` when the insertion ended."""


class Inserter(Protocol):
    """Puts text at the cursor of the focused program."""

    method: Method

    def focused(self) -> Target:
        """The window that has the keyboard focus now."""
        ...

    def insert(self, text: str) -> Insertion:
        """Insert ``text`` (composed Hangul, newlines allowed) at the focused program's cursor;
        returns when every character was delivered. Raises ``InsertError``."""
        ...

    def undo(self, insertion: Insertion, chord: Hotkey | None = None) -> None:
        """Remove exactly ``insertion`` if the focus and the cursor have not moved since (no
        key or pointer input reached the system, but the keys of ``chord``, the global
        shortcut that asked for this undo, where the platform can tell them apart); else raise
        ``InsertError`` and change nothing."""
        ...

    def close(self) -> None:
        """Give back what the inserter holds (display connection, clipboard ownership)."""
        ...


MODIFIERS = ("ctrl", "alt", "shift", "super")


@dataclass(frozen=True)
class Hotkey:
    """A global shortcut: one key and its modifiers, as people write it ("Ctrl+Alt+Space")."""

    key: str
    """The key's name, lower case: a letter or digit, "f1".."f24", "space", "pause", …"""
    modifiers: frozenset[str] = frozenset()
    """A subset of ``MODIFIERS``."""

    @classmethod
    def parse(cls, text: str) -> Hotkey:
        """``"Ctrl+Alt+Space"`` → ``Hotkey("space", {"ctrl", "alt"})``; ``ValueError`` for
        anything else (no key, two keys, an unknown modifier)."""
        parts = [p.strip().lower() for p in text.split("+")]
        if not text.strip() or any(not p for p in parts):
            raise ValueError(f"{text!r} is not a shortcut such as Ctrl+Alt+Space")
        names = {"control": "ctrl", "option": "alt", "cmd": "super", "win": "super", "meta": "super"}
        *mods, key = [names.get(p, p) for p in parts]
        unknown = [m for m in mods if m not in MODIFIERS]
        if unknown or key in MODIFIERS:
            raise ValueError(f"{text!r} is not a shortcut such as Ctrl+Alt+Space")
        return cls(key, frozenset(mods))

    def __str__(self) -> str:
        return "+".join([m.capitalize() for m in MODIFIERS if m in self.modifiers] + [self.key.capitalize()])


class HotkeyListener(Protocol):
    """Watches one global shortcut while other programs have the focus.

    ``start`` grabs it and calls ``on_press`` / ``on_release`` from the listener's own
    thread (key auto-repeat is filtered out: one press, one release); ``stop`` lets it go and
    returns once that thread has ended. Raises ``InsertError`` when the shortcut cannot be
    grabbed (taken by another program, or a platform that allows no global shortcuts)."""

    def start(self, on_press: Callable[[], None], on_release: Callable[[], None]) -> None: ...

    def stop(self) -> None: ...
