"""livekr.fileio: atomic writes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from livekr import fileio
from livekr.fileio import write_atomic

OLD = "old content\n"


def test_write_atomic_interrupted_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # KeyboardInterrupt is not an Exception: the temporary file must still be removed.
    def interrupt(*args: object) -> None:
        raise KeyboardInterrupt

    path = tmp_path / "t.txt"
    path.write_text(OLD, encoding="utf-8")
    monkeypatch.setattr(fileio.os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(path, "new\n")
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["t.txt"]


def test_write_atomic_replaces_and_writes_utf8_with_lf(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text(OLD, encoding="utf-8")
    write_atomic(str(path), "가\n나\n")
    assert path.read_bytes() == "가\n나\n".encode()
    assert [p.name for p in tmp_path.iterdir()] == ["t.txt"]


def test_write_atomic_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_atomic("bare.txt", "x\n")
    assert (tmp_path / "bare.txt").read_text(encoding="utf-8") == "x\n"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_saved_file_has_ordinary_permissions(tmp_path: Path) -> None:
    # A transcript is an ordinary document: it gets the mode any new file gets under the
    # user's umask, not the owner-only mode of a private temporary file.
    umask = os.umask(0o022)
    os.umask(umask)
    path = tmp_path / "t.txt"
    write_atomic(path, "x\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
