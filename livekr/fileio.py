"""Writing files safely: atomic replacement that keeps the file's mode and links, refuses
special files, and fails with one line saying what went wrong; where command-line output goes;
a fallback file so that finished text is never lost when its place cannot be written.

Stdlib and platformdirs only; every function may be called from any thread.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from livekr.messages import Message, os_error

STATE_DIR_ENV = "LIVEKR_STATE_DIR"
"""Overrides the user state folder (journals, unsaved transcripts)."""
UNSAVED_DIR_NAME = "unsaved"
"""Sub-folder of the state folder that receives transcripts whose own place failed."""
STDOUT_NAME = "-"
"""The output name that means standard output."""
FALLBACK_FILE_MODE = 0o600
"""Fallback files may land in a shared temporary folder: readable by their owner only."""
FALLBACK_TRIES = 100
"""Numbered names tried in one fallback folder before giving up on it."""


class OutputError(OSError):
    """A file or folder could not be written; ``str()`` is one line naming the path, what
    failed and what to do. ``path`` is the path the caller asked for."""

    def __init__(self, message: str, path: str | os.PathLike[str], code: int | None = None) -> None:
        super().__init__(message)
        self.path = Path(path)
        self.errno = code  # the failed call's errno (None when nothing failed, e.g. a FIFO)


_FILE_KINDS = (
    (stat.S_ISREG, "kind.regular"),
    (stat.S_ISDIR, "kind.folder"),
    (stat.S_ISCHR, "kind.char_device"),
    (stat.S_ISBLK, "kind.block_device"),
    (stat.S_ISFIFO, "kind.fifo"),
    (stat.S_ISSOCK, "kind.socket"),
)


def file_kind(mode: int) -> Message:
    """Words for the kind of file ``mode`` (an ``st_mode``) describes."""
    for test, key in _FILE_KINDS:
        if test(mode):
            return Message(key)
    return Message("kind.special")


def _first_non_folder(path: Path) -> Path | None:
    """The nearest existing ancestor of ``path`` that is not a folder, if any."""
    for parent in path.parents:
        with contextlib.suppress(OSError):
            if not parent.is_dir() and parent.exists():
                return parent
    return None


_WRITE_PROBLEMS = {
    errno.EACCES: "write.permission",
    errno.EPERM: "write.permission",
    errno.EROFS: "write.read_only",
    errno.ENOSPC: "write.no_space",
    getattr(errno, "EDQUOT", errno.ENOSPC): "write.no_space",
    errno.EISDIR: "write.is_folder",
    errno.EMFILE: "write.too_many_files",
    errno.ENFILE: "write.too_many_files",
}


def describe_os_error(e: OSError, path: Path) -> Message:
    """What failed when writing ``path``, in words, with what to do."""
    code = e.errno
    if code == errno.ENOENT:
        return Message("write.no_folder", folder=path.parent)
    if code == errno.ENOTDIR:
        blocker = _first_non_folder(path)
        return Message("write.blocked_by_file", blocker=blocker) if blocker else Message("write.not_a_folder")
    if code in _WRITE_PROBLEMS:
        return Message(_WRITE_PROBLEMS[code])
    return os_error(e, e.strerror or str(e) or type(e).__name__)


def _write_error(requested: Path, target: Path, e: OSError) -> OutputError:
    """The one-line error for a failed write of ``requested`` (whose real file is ``target``)."""
    where = target if requested.is_symlink() else requested
    message = Message("write.failed", path=requested, reason=describe_os_error(e, where))
    return OutputError(message, requested, e.errno)


def write_target(path: str | os.PathLike[str]) -> Path:
    """The regular file that writing ``path`` would change, without touching anything.

    Symbolic links are followed to their target (which may not exist yet). Raises
    ``OutputError`` when the target is a folder or a special file (device, FIFO, socket),
    or cannot be examined.
    """
    requested = Path(path)
    target = Path(os.path.realpath(requested))
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return target
    except OSError as e:
        raise _write_error(requested, target, e) from e
    if not stat.S_ISREG(st.st_mode):
        shown = f"{requested} (→ {target})" if requested.is_symlink() else str(requested)
        raise OutputError(Message("write.not_regular", path=shown, kind=file_kind(st.st_mode)), requested)
    return target


def _keep_mode_and_owner(tmp: Path, old: os.stat_result) -> None:
    """Give the new file the old file's permission bits and, where allowed, its owner."""
    os.chmod(tmp, stat.S_IMODE(old.st_mode))
    if hasattr(os, "chown"):
        new = os.stat(tmp)
        if (new.st_uid, new.st_gid) != (old.st_uid, old.st_gid):
            # Only root (or a member of the group) may do this; otherwise the writer owns it.
            with contextlib.suppress(OSError):
                os.chown(tmp, old.st_uid, old.st_gid)


def write_atomic(path: str | os.PathLike[str], content: str) -> Path:
    """Write ``content`` (UTF-8, LF) to ``path`` so that readers see the old file or the new one.

    The text goes to a temporary file in the target's folder, is flushed to disk, then
    replaces the target. A symbolic link is written through (the link stays, its target
    changes); an existing file keeps its permission bits (and owner, when allowed); a new
    file gets the ordinary mode under the umask. Returns the file written.

    Raises ``OutputError`` (an ``OSError``) with one line saying what failed — a missing
    folder, permission, a read-only or full file system, a folder or special file as the
    target — and leaves the old file as it was. ``KeyboardInterrupt`` also leaves no
    temporary file behind.
    """
    requested = Path(path)
    target = write_target(requested)
    try:
        old: os.stat_result | None = os.stat(target)
    except OSError:
        old = None
    # Not tempfile.mkstemp: its owner-only mode (0600) would become a new transcript's mode.
    tmp = target.parent / f".{target.name}.{secrets.token_hex(8)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(tmp, flags, 0o666)
    except OSError as e:
        raise _write_error(requested, target, e) from e
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        if old is not None:
            _keep_mode_and_owner(tmp, old)
        os.replace(tmp, target)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise _write_error(requested, target, e) from e
        raise
    return target


def _is_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except OSError:
        return False


def resolve_outputs(
    output: str | None, inputs: Sequence[str | os.PathLike[str]], extension: str
) -> list[Path | None]:
    """Where the transcript of each of ``inputs`` goes, for an ``-o`` value; None is stdout.

    - None or ``"-"``: standard output, for every input.
    - A name that ends in a path separator, an existing folder, or any name when there are
      several inputs: a folder, created here if missing, holding ``<stem>.<extension>`` per
      input; inputs whose stems repeat get ``<stem>-2.<extension>``, … so none is overwritten.
    - Otherwise (one input): that file name.

    Raises ``OutputError`` when the folder cannot be created, or when several inputs are
    given an existing file. Call it before transcribing, so a bad ``-o`` fails early.
    """
    if output is None or output == STDOUT_NAME:
        return [None] * len(inputs)
    out = Path(output)
    trailing = output.endswith(("/", os.sep)) or (os.altsep is not None and output.endswith(os.altsep))
    is_dir = _is_dir(out)
    if not trailing and not is_dir and len(inputs) <= 1:
        return [out]
    if not is_dir and os.path.lexists(out):
        need = f"{len(inputs)} inputs need a folder" if len(inputs) > 1 else "a folder was asked for"
        raise OutputError(f"{out} is a file, but {need}; give a folder name ending in /", out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        reason = describe_os_error(e, out)
        raise OutputError(f"cannot create the folder {out}: {reason}", out) from e
    paths: list[Path | None] = []
    taken: set[str] = set()
    for name in inputs:
        stem = Path(name).stem
        candidate, n = f"{stem}.{extension}", 1
        while candidate.casefold() in taken:
            n += 1
            candidate = f"{stem}-{n}.{extension}"
        taken.add(candidate.casefold())
        paths.append(out / candidate)
    return paths


def state_dir() -> Path:
    """livekr's state folder: ``$LIVEKR_STATE_DIR`` if set, else the user state folder."""
    override = os.environ.get(STATE_DIR_ENV)
    return Path(override).expanduser() if override else platformdirs.user_state_path("livekr")


def fallback_dirs() -> list[Path]:
    """Where text goes when its own place cannot be written, best first."""
    return [state_dir() / UNSAVED_DIR_NAME, Path(tempfile.gettempdir())]


@dataclass(frozen=True)
class SaveResult:
    """Where a transcript was saved, and why not where it was asked to go."""

    requested: Path
    path: Path
    """The file that now holds the text: ``requested``'s target, or a fallback file."""
    error: OutputError | None = None
    """Why ``requested`` could not be written; None when it was."""

    @property
    def fell_back(self) -> bool:
        return self.error is not None

    @property
    def message(self) -> str:
        """One line for the user."""
        if self.error is None:
            return f"wrote {self.path}"
        return f"{self.error}; the transcript was saved to {self.path} instead"


def _write_new(folder: Path, stem: str, suffix: str, content: str) -> Path:
    """Create a new file ``<stem>-<date>-<time>[-n]<suffix>`` in ``folder``; never overwrites."""
    folder.mkdir(parents=True, exist_ok=True)
    base = f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for n in range(1, FALLBACK_TRIES + 1):
        path = folder / (f"{base}{suffix}" if n == 1 else f"{base}-{n}{suffix}")
        try:
            fd = os.open(path, flags, FALLBACK_FILE_MODE)
        except FileExistsError:
            continue
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(path)
            raise
        return path
    raise FileExistsError(errno.EEXIST, f"{FALLBACK_TRIES} files named {base}* exist", str(folder))


def save_text(
    path: str | os.PathLike[str],
    content: str,
    stem: str | None = None,
    fallbacks: Sequence[Path] | None = None,
) -> SaveResult:
    """Write ``content`` to ``path`` atomically (``write_atomic``); if that fails, to a new
    file in the first of ``fallbacks`` (default ``fallback_dirs()``) that takes it, named
    ``<stem>-<YYYYmmdd-HHMMSS><suffix of path>`` (``stem`` defaults to the stem of ``path``),
    readable by its owner only.

    Returns where the text went and, after a fallback, why. Raises ``OutputError`` naming
    every failure only when no place could be written: the caller must then print the text.
    """
    requested = Path(path)
    try:
        return SaveResult(requested, write_atomic(requested, content))
    except OutputError as e:
        error = e
    problems = [str(error)]
    for folder in fallback_dirs() if fallbacks is None else fallbacks:
        try:
            saved = _write_new(folder, stem or requested.stem or "transcript", requested.suffix, content)
        except OSError as e:
            problems.append(f"nor in {folder}: {describe_os_error(e, folder / 'x')}")
            continue
        return SaveResult(requested, saved, error)
    raise OutputError("; ".join(problems), requested) from error
