"""livekr.fileio: atomic writes."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from livekr import fileio
from livekr.fileio import OutputError, SaveResult, resolve_outputs, save_text, write_atomic, write_target

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


# -- output safety: mode, links, special files ---------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o604], ids=oct)
def test_write_atomic_keeps_the_mode_of_an_existing_file(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "private.txt"
    path.write_text(OLD, encoding="utf-8")
    path.chmod(mode)
    write_atomic(path, "new\n")
    assert path.read_text(encoding="utf-8") == "new\n"
    assert stat.S_IMODE(path.stat().st_mode) == mode


@pytest.mark.skipif(os.name != "posix", reason="symbolic links need privileges on Windows")
def test_write_atomic_writes_through_a_symlink(tmp_path: Path) -> None:
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    target = real_dir / "notes.txt"
    target.write_text(OLD, encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(Path("real") / "notes.txt")  # relative, as users make them
    assert write_atomic(link, "new\n") == target.resolve()
    assert link.is_symlink()
    assert os.readlink(link) == os.path.join("real", "notes.txt")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.txt", "real"]
    assert [p.name for p in real_dir.iterdir()] == ["notes.txt"]  # no temporary file left


@pytest.mark.skipif(os.name != "posix", reason="symbolic links need privileges on Windows")
def test_write_atomic_through_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "later.txt")
    write_atomic(link, "x\n")
    assert link.is_symlink()
    assert (tmp_path / "later.txt").read_text(encoding="utf-8") == "x\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_write_atomic_refuses_a_fifo_and_leaves_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match=r"pipe: it is a named pipe \(FIFO\), not a regular file") as info:
        write_atomic(fifo, "x\n")
    assert info.value.path == fifo
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_device_nodes_are_refused_without_being_touched(tmp_path: Path) -> None:
    # Only the check runs: the device is never opened, so this is safe even as root.
    before = os.stat("/dev/null")
    with pytest.raises(OutputError, match=r"^cannot write /dev/null: it is a character device"):
        write_target("/dev/null")
    link = tmp_path / "out.txt"
    link.symlink_to("/dev/null")
    with pytest.raises(OutputError, match=r"out\.txt \(→ /dev/null\): it is a character device"):
        write_target(link)
    after = os.stat("/dev/null")
    assert (after.st_ino, after.st_mode, after.st_rdev) == (before.st_ino, before.st_mode, before.st_rdev)


def test_write_atomic_refuses_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "out.txt"
    folder.mkdir()
    with pytest.raises(OutputError, match="it is a folder"):
        write_atomic(folder, "x\n")
    assert folder.is_dir() and list(folder.iterdir()) == []


# -- output failures: one line, the cause chained, the old file kept ----------------


def test_missing_folder_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "nope" / "t.txt"
    with pytest.raises(OutputError) as info:
        write_atomic(path, "x\n")
    message = str(info.value)
    assert message == (
        f"cannot write {path}: the folder {path.parent} does not exist; create it or choose another place"
    )
    assert isinstance(info.value.__cause__, FileNotFoundError)
    assert isinstance(info.value, OSError)  # callers that catch OSError keep working


def test_path_under_a_regular_file(tmp_path: Path) -> None:
    # Fails for root too (ENOTDIR), unlike permission bits.
    (tmp_path / "somefile").write_text("x", encoding="utf-8")
    path = tmp_path / "somefile" / "out.txt"
    with pytest.raises(OutputError, match=r"somefile is a file, not a folder; choose another place$"):
        write_atomic(path, "x\n")


REPO = Path(__file__).resolve().parents[1]
PROBE = """
import json, sys
from pathlib import Path
from livekr.fileio import OutputError, write_atomic
path = Path(sys.argv[1])
try:
    write_atomic(path, sys.argv[2] * int(sys.argv[3]))
except OutputError as e:
    print(json.dumps({"error": str(e), "cause": type(e.__cause__).__name__}))
else:
    print(json.dumps({"error": None}))
"""


def _python(*args: str) -> list[str]:
    return [sys.executable, "-c", PROBE, *args]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _in_tmpfs(folder: Path, options: str, command: list[str]) -> list[str]:
    """``command`` in a private mount namespace where ``folder`` is a fresh tmpfs."""
    user = [] if os.geteuid() == 0 else ["--map-root-user"]
    script = 'mount -t tmpfs -o "$1" livekr-test "$2" && shift 2 && exec "$@"'
    namespace = ["unshare", *user, "--mount", "--propagation", "private"]
    return [*namespace, "sh", "-c", script, "sh", options, str(folder), *command]


def _require_tmpfs(folder: Path) -> None:
    if os.name != "posix" or shutil.which("unshare") is None:
        pytest.skip("needs unshare(1)")
    probe = subprocess.run(_in_tmpfs(folder, "size=64k", ["true"]), capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs in a private namespace here: {probe.stderr.strip()}")


def test_read_only_file_system(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    _require_tmpfs(folder)
    proc = subprocess.run(
        _in_tmpfs(folder, "ro,size=64k", _python(str(folder / "t.txt"), "x", "1")),
        capture_output=True, text=True, env=_env(), check=True,
    )
    result = json.loads(proc.stdout)
    path = folder / "t.txt"
    assert result["error"] == f"cannot write {path}: the file system is read-only; choose another place"
    assert result["cause"] == "OSError"


def test_full_file_system_keeps_the_old_file(tmp_path: Path) -> None:
    folder = tmp_path / "full"
    folder.mkdir()
    _require_tmpfs(folder)
    script = f"""
set -e
printf 'old content\\n' > {shlex.quote(str(folder / 't.txt'))}
"$@"
cat {shlex.quote(str(folder / 't.txt'))}
ls -a {shlex.quote(str(folder))}
"""
    command = ["sh", "-c", script, "sh", *_python(str(folder / "t.txt"), "가나다라\n", str(64 * 1024))]
    proc = subprocess.run(
        _in_tmpfs(folder, "size=64k", command), capture_output=True, text=True, env=_env(), check=True
    )
    lines = proc.stdout.splitlines()
    result = json.loads(lines[0])
    assert result["error"] == (
        f"cannot write {folder / 't.txt'}: no space left on the device (disk full or quota reached); "
        "free some space"
    )
    assert lines[1] == "old content"
    assert sorted(lines[2:]) == [".", "..", "t.txt"]  # no temporary file left on the full disk


DAC_CAPABILITIES = "-dac_override,-dac_read_search,-fowner"
"""Root without these obeys permission bits like any user."""


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_folder_without_write_permission(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    command = _python(str(folder / "t.txt"), "x", "1")
    if os.geteuid() == 0:
        # Root ignores permission bits; the probe runs as root without the capabilities
        # that let it, so the folder's bits apply as they would to its owner.
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv(1)")
        command = ["setpriv", f"--bounding-set={DAC_CAPABILITIES}", *command]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, env=_env(), check=True)
    finally:
        folder.chmod(0o755)
    result = json.loads(proc.stdout)
    path = folder / "t.txt"
    assert result["error"] == f"cannot write {path}: permission denied; choose a folder you may write to"
    assert result["cause"] == "PermissionError"
    assert list(folder.iterdir()) == []


# -- where -o sends each transcript ----------------------------------------------------


@pytest.mark.parametrize("output", [None, "-"])
def test_resolve_outputs_stdout(output: str | None) -> None:
    assert resolve_outputs(output, ["a.wav", "b.wav"], "txt") == [None, None]


def test_resolve_outputs_one_input_one_file(tmp_path: Path) -> None:
    out = tmp_path / "notes.srt"
    assert resolve_outputs(str(out), ["talk.wav"], "srt") == [out]
    assert list(tmp_path.iterdir()) == []  # nothing created before there is something to write


def test_resolve_outputs_trailing_separator_makes_a_folder(tmp_path: Path) -> None:
    out = tmp_path / "new" / "dir"
    assert resolve_outputs(f"{out}{os.sep}", ["in/talk.wav"], "vtt") == [out / "talk.vtt"]
    assert out.is_dir()


def test_resolve_outputs_existing_folder(tmp_path: Path) -> None:
    assert resolve_outputs(str(tmp_path), ["x/talk.mp3"], "json") == [tmp_path / "talk.json"]


def test_resolve_outputs_several_inputs_need_a_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    inputs = ["a/talk.wav", "b/talk.wav", "talk.mp3", "Talk.flac", "c.wav"]
    assert resolve_outputs(str(out), inputs, "txt") == [
        out / "talk.txt",
        out / "talk-2.txt",  # same stem: numbered, never overwritten
        out / "talk-3.txt",
        out / "Talk-4.txt",  # case-insensitive file systems would clash too
        out / "c.txt",
    ]
    assert out.is_dir()
    existing = tmp_path / "file.txt"
    existing.write_text(OLD, encoding="utf-8")
    with pytest.raises(OutputError, match=r"file\.txt is a file, but 2 inputs need a folder"):
        resolve_outputs(str(existing), ["a.wav", "b.wav"], "txt")
    assert existing.read_text(encoding="utf-8") == OLD


def test_resolve_outputs_folder_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "somefile").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match=r"cannot create the folder .*somefile.out: .*somefile is a file"):
        resolve_outputs(str(tmp_path / "somefile" / "out") + "/", ["a.wav"], "txt")


# -- saving with a fallback: finished text is never lost --------------------------------

FALLBACK_NAME = r"talk-\d{8}-\d{6}(-\d+)?\.srt"


def test_save_text_writes_where_asked(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    result = save_text(path, "가\n")
    assert result == SaveResult(path, path.resolve(), None)
    assert not result.fell_back
    assert result.message == f"wrote {path.resolve()}"
    assert path.read_text(encoding="utf-8") == "가\n"


def test_save_text_falls_back_when_the_folder_is_missing(tmp_path: Path) -> None:
    requested = tmp_path / "gone" / "result.srt"
    spare = tmp_path / "spare"
    result = save_text(requested, "자막\n", stem="talk", fallbacks=[spare])
    assert result.fell_back and result.requested == requested
    assert result.path.parent == spare
    assert re.fullmatch(FALLBACK_NAME, result.path.name)
    assert result.path.read_text(encoding="utf-8") == "자막\n"
    assert result.message == (
        f"cannot write {requested}: the folder {requested.parent} does not exist; create it or choose "
        f"another place; the transcript was saved to {result.path} instead"
    )
    if os.name == "posix":
        assert stat.S_IMODE(result.path.stat().st_mode) == 0o600


def test_save_text_default_fallback_is_the_state_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(fileio.STATE_DIR_ENV, str(tmp_path / "state"))
    (tmp_path / "somefile").write_text("x", encoding="utf-8")
    result = save_text(tmp_path / "somefile" / "talk.srt", "x\n")
    assert result.path.parent == tmp_path / "state" / "unsaved"
    assert re.fullmatch(FALLBACK_NAME, result.path.name)


def test_save_text_tries_the_next_fallback_and_never_overwrites(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder", encoding="utf-8")
    spare = tmp_path / "spare"
    requested = tmp_path / "gone" / "talk.srt"
    first = save_text(requested, "one\n", fallbacks=[blocked, spare])
    second = save_text(requested, "two\n", fallbacks=[blocked, spare])
    assert first.path.parent == second.path.parent == spare
    assert first.path != second.path  # within one second the second file gets a numbered name
    assert first.path.read_text(encoding="utf-8") == "one\n"
    assert second.path.read_text(encoding="utf-8") == "two\n"


def test_save_text_raises_only_when_no_place_takes_it(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder", encoding="utf-8")
    requested = tmp_path / "gone" / "talk.srt"
    with pytest.raises(OutputError) as info:
        save_text(requested, "x\n", fallbacks=[blocked])
    message = str(info.value)
    assert message.startswith(f"cannot write {requested}: the folder")
    assert f"; nor in {blocked}: " in message
    assert "\n" not in message


def test_resolve_outputs_trailing_separator_on_an_existing_file(tmp_path: Path) -> None:
    existing = tmp_path / "notes"
    existing.write_text(OLD, encoding="utf-8")
    with pytest.raises(OutputError, match=r"notes is a file, but a folder was asked for; give a folder name"):
        resolve_outputs(f"{existing}/", ["a.wav"], "txt")
    assert existing.read_text(encoding="utf-8") == OLD
