"""Messages for people in English and Korean, from one catalogue (``livekr.catalogue``).

A ``Message`` is a ``str``: its English text, the words the command line prints and logs,
with the catalogue key and values it was made from attached, so that a display can render
it in its own language (``localized``). Because it is a ``str``, a message goes wherever a
line of text went before (``Failure.message``, progress callbacks, exception arguments)
and the command line is unchanged; what turns it into a plain ``str`` (an f-string,
``str()``, a Qt signal) leaves the English text.

Errors carry a message as their one argument: ``LocalizedError`` builds it from a key and
values (``raise ModelLoadError("checkpoint.no_config", folder=folder)``); any other
exception may be raised with a ``Message``. ``localized`` renders an error for a display:
its message, an ``OSError`` in words, or for anything else a plain sentence saying that
something unexpected failed, never the exception's class name. Stdlib only, no Qt.
"""

from __future__ import annotations

import errno
import string
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from livekr.catalogue import CATALOGUE, LANGUAGES, WINDOW_ENGLISH

_OS_ERROR_KEYS = {
    errno.ENOSPC: "os.no_space",
    getattr(errno, "EDQUOT", errno.ENOSPC): "os.no_space",
    errno.EACCES: "os.permission",
    errno.EPERM: "os.permission",
    errno.EROFS: "os.read_only",
    errno.ENOENT: "os.not_found",
    errno.ENOTDIR: "os.not_a_folder",
    errno.EISDIR: "os.is_a_folder",
    errno.EMFILE: "os.too_many_files",
    errno.ENFILE: "os.too_many_files",
    errno.EIO: "os.io",
}
"""The catalogue key for an ``OSError`` by its errno (others: "os.other")."""


class Message(str):
    """The English text of catalogue entry ``key`` with ``values``; ``text(lang)`` in another
    language. Values that are messages themselves are rendered in the same language."""

    key: str
    values: Mapping[str, Any]

    def __new__(cls, key: str, /, **values: Any) -> Message:
        if key not in CATALOGUE:
            raise KeyError(f"no message {key!r} in livekr.catalogue")
        self = super().__new__(cls, _render(key, values, "en", window=False))
        self.key = key
        self.values = MappingProxyType(dict(values))
        return self

    def text(self, lang: str, window: bool = True) -> str:
        """The message in ``lang`` ("ko" or "en"); ``window``: as a window shows it (some
        English texts of the command line name commands or flags, the window's do not)."""
        return _render(self.key, self.values, lang, window)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_message, (self.key, dict(self.values)))


def _message(key: str, values: dict[str, Any]) -> Message:
    return Message(key, **values)


def _render(key: str, values: Mapping[str, Any], lang: str, window: bool) -> str:
    if window and lang == "en" and key in WINDOW_ENGLISH:
        template = WINDOW_ENGLISH[key]
    else:
        template = CATALOGUE[key][LANGUAGES.index(lang) if lang in LANGUAGES else 1]
    shown = {k: v.text(lang, window) if isinstance(v, Message) else v for k, v in values.items()}
    return template.format(**shown)


def placeholders(template: str) -> set[str]:
    """The names of the ``{fields}`` of a template."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


class LocalizedError(Exception):
    """An error whose one argument is a ``Message``: ``str()`` is its English text (what the
    command line prints), ``localized(error, lang)`` the text in ``lang``.

    ``key`` names a catalogue entry filled with ``values``; a ``Message`` is taken as it is.
    A text that is not a key, given without values, is kept as English-only text (for
    messages not catalogued yet: a window shows it as it is).
    """

    def __init__(self, key: str, /, **values: Any) -> None:
        if isinstance(key, Message) or (key not in CATALOGUE and not values):
            super().__init__(key)
        else:
            super().__init__(Message(key, **values))

    @property
    def message(self) -> str:
        """The ``Message`` (or the plain text of an uncatalogued error)."""
        text: str = self.args[0]
        return text


def first_line(e: BaseException) -> str:
    """The first line of ``e``'s text ("" when it has none)."""
    return (str(e).strip().splitlines() or [""])[0]


def os_error(e: OSError, text: str | None = None) -> Message:
    """``e`` in words: in English ``text`` (default ``e.strerror`` or ``str(e)``), in Korean
    what its errno means."""
    key = _OS_ERROR_KEYS.get(e.errno or 0, "os.other")
    return Message(key, text=text if text is not None else (e.strerror or str(e)))


def reason(e: BaseException) -> str:
    """``e`` as a value inside another message: its ``Message``, an ``OSError`` in words, or
    its own text (English, as the library wrote it)."""
    carried = e.args[0] if len(e.args) == 1 else None
    if isinstance(carried, Message):
        return carried
    if isinstance(e, OSError) and not isinstance(e, LocalizedError):
        return os_error(e, str(e))
    return str(e)


def localized(item: object, lang: str) -> str:
    """What a window shows for ``item`` in ``lang``: a ``Message`` or an error's message in that
    language; an ``OSError`` in words; an uncatalogued ``LocalizedError``'s English text; for
    any other exception a sentence saying that something unexpected failed (with its first
    line, without its class name); any other object as ``str``."""
    if isinstance(item, Message):
        return item.text(lang)
    if not isinstance(item, BaseException):
        return str(item)
    found = reason(item)
    if isinstance(found, Message):
        return found.text(lang)
    if isinstance(item, LocalizedError):
        return found
    detail = first_line(item)
    unexpected = Message("error.unexpected", detail=detail) if detail else Message("error.unexpected_bare")
    return unexpected.text(lang)
