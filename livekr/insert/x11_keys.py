"""Which key types each character on X11: the layout's own keys, or spare key codes mapped to
the characters the layout lacks, planned in batches.

Pure: no X connection here. ``x11`` reads the keyboard mapping and hands its rows in; the
plan says which spare key codes to remap before each batch and which strokes to send.

The rule that makes typing exact: within a batch no key code changes its character, and
a key code changes only between batches, once the target has confirmed that it processed
the previous batch (``x11`` does that). A client reads the keyboard mapping lazily, when it
looks a key up, so a key code remapped while its events are still queued in the target would
be read as the new character (the way ``xdotool type`` loses characters under load).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

UNICODE_KEYSYM_OFFSET = 0x1000000
"""A Unicode keysym is this plus the code point (X11 keysym encoding, appendix A)."""
RETURN_KEYSYM = 0xFF0D
TAB_KEYSYM = 0xFF09
BACKSPACE_KEYSYM = 0xFF08
SHIFT_KEYSYM = 0xFFE1
CONTROL_KEYSYM = 0xFFE3
CAPS_LOCK_KEYSYM = 0xFFE5
V_KEYSYM = 0x76


@dataclass(frozen=True)
class Stroke:
    """One key to press and release."""

    keycode: int
    shift: bool = False
    """Hold Shift around it (the layout's second level)."""


@dataclass
class Batch:
    """Key codes to remap, then the strokes that use them; see the module's rule."""

    remap: dict[int, int] = field(default_factory=dict)
    """keycode → keysym to map before the strokes."""
    strokes: list[Stroke] = field(default_factory=list)
    chars: int = 0
    """How many characters of the text the strokes type."""


def keysym_for(char: str) -> int | None:
    """The keysym that types ``char``: Return for a newline, Tab, Latin-1 keysyms for Latin-1,
    a Unicode keysym for anything else; ``None`` for other control characters."""
    code = ord(char)
    if char == "\n":
        return RETURN_KEYSYM
    if char == "\t":
        return TAB_KEYSYM
    if code < 0x20 or 0x7F <= code < 0xA0:
        return None
    if code <= 0xFF:
        return code
    return UNICODE_KEYSYM_OFFSET + code


def layout_strokes(rows: Sequence[Sequence[int]], min_keycode: int) -> dict[int, Stroke]:
    """keysym → the layout's key that types it in the first group: its first level, else its
    second with Shift (the lowest key code wins). ``rows``: the keyboard mapping from
    ``min_keycode`` on, one row of keysyms per key code."""
    found: dict[int, Stroke] = {}
    for level, shift in ((0, False), (1, True)):
        for offset, row in enumerate(rows):
            if level < len(row) and row[level] and row[level] not in found:
                found[row[level]] = Stroke(min_keycode + offset, shift)
    for offset, row in enumerate(rows):
        # a letter alone in its row has its upper case on the second level (core protocol rule)
        if row and row[0] and (len(row) < 2 or not row[1]):
            upper = _latin1_upper(row[0])
            if upper is not None and upper not in found:
                found[upper] = Stroke(min_keycode + offset, True)
    return found


def _latin1_upper(keysym: int) -> int | None:
    if keysym <= 0xFF:
        upper = ord(chr(keysym).upper()[0])
        if upper != keysym and upper <= 0xFF:
            return upper
    return None


def spare_keycodes(rows: Sequence[Sequence[int]], min_keycode: int) -> list[int]:
    """Key codes with no keysym at all: free for livekr to map."""
    return [min_keycode + offset for offset, row in enumerate(rows) if not any(row)]


def plan_batches(
    text: str, layout: Mapping[int, Stroke], spare: Sequence[int], mapped: Mapping[int, int] | None = None
) -> list[Batch]:
    """The batches that type ``text``: each maps at most ``len(spare)`` characters onto spare
    key codes and never changes a key code its own strokes use. ``mapped``: what the spare
    key codes hold now (keycode → keysym), reused without a remap. A key code that must be
    remapped is the one unused for longest. ``ValueError`` for a character with no keysym, or
    when the layout lacks a character and there are no spare key codes."""
    holds = {code: (mapped or {}).get(code, 0) for code in spare}
    last_used = {code: -1 for code in spare}
    batches: list[Batch] = [Batch()]
    in_batch: set[int] = set()
    for index, char in enumerate(text):
        keysym = keysym_for(char)
        if keysym is None:
            raise ValueError(f"U+{ord(char):04X} is a control character")
        stroke = layout.get(keysym)
        if stroke is None:
            code = _spare_for(keysym, holds, last_used, in_batch)
            if code is None:
                if not spare:
                    raise ValueError(f"no spare key code for {char!r}")
                batches.append(Batch())
                in_batch = set()
                code = _spare_for(keysym, holds, last_used, in_batch)
                assert code is not None
            if holds[code] != keysym:
                holds[code] = keysym
                batches[-1].remap[code] = keysym
            in_batch.add(code)
            last_used[code] = index
            stroke = Stroke(code)
        batches[-1].strokes.append(stroke)
        batches[-1].chars += 1
    return [b for b in batches if b.strokes]


def _spare_for(
    keysym: int, holds: dict[int, int], last_used: dict[int, int], in_batch: set[int]
) -> int | None:
    """The spare key code for ``keysym`` in this batch: one holding it already, else the free
    one unused for longest; ``None`` when every spare key code is taken by this batch."""
    for code, held in holds.items():
        if held == keysym:
            return code
    free = [code for code in holds if code not in in_batch]
    return min(free, key=lambda code: last_used[code]) if free else None


def runs(remap: Mapping[int, int]) -> list[tuple[int, list[int]]]:
    """``remap`` as runs of consecutive key codes: (first keycode, keysyms), one X request each."""
    result: list[tuple[int, list[int]]] = []
    for code in sorted(remap):
        if result and result[-1][0] + len(result[-1][1]) == code:
            result[-1][1].append(remap[code])
        else:
            result.append((code, [remap[code]]))
    return result
