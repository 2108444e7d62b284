"""Writing files safely: atomic replacement of a file's content."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


def write_atomic(path: str | os.PathLike[str], content: str) -> None:
    """Write ``content`` (UTF-8) to ``path`` so that readers see the old file or the new one.

    The text goes to a temporary file in the same folder, is flushed to disk, then replaces
    ``path``. If anything fails, the old file is left as it was and the error is raised.
    """
    target = Path(path)
    # Not tempfile.mkstemp: its owner-only mode (0600) would become the transcript's mode.
    tmp = target.parent / f".{target.name}.{secrets.token_hex(8)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
