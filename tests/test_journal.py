"""The autosave journal file: every final on disk at once, survives a kill and a disk that
fills up part-way through a write, never misreads a journal it does not understand."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from livekr.journal import (
    Journal,
    JournalError,
    discard,
    find_abandoned,
    journal_dir,
    list_discarded,
    prune,
    read_journal,
)
from livekr.journal_folder import NO_HEADER_GRACE_S
from livekr.transcript import CharSpan, Utterance

REPO = Path(__file__).resolve().parents[1]


def utt(index: int, text: str) -> Utterance:
    return Utterance(index, index * 2.0, index * 2.0 + 1.5, text, 0.8,
                     tuple(CharSpan(c, 0.1 * i, 0.1 * i + 0.1, 0.8) for i, c in enumerate(text)))


def test_journal_dir_follows_the_environment(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEKR_STATE_DIR", str(tmp_path))
    assert journal_dir() == tmp_path / "journal"


def test_clean_close_removes_and_unclean_close_keeps(tmp_path: Path) -> None:
    journal = Journal.open_new(tmp_path, model="m")
    journal.append(utt(0, "하나"))
    journal.close(clean=True)
    assert not journal.path.exists() and find_abandoned(tmp_path) == []
    kept = Journal.open_new(tmp_path, model="m")
    kept.append(utt(0, "하나"))
    kept.append(utt(1, "둘"))
    kept.close(clean=False)
    [found] = find_abandoned(tmp_path)
    assert found.transcript.model == "m" and found.path == kept.path
    assert found.transcript.utterances == [utt(0, "하나"), utt(1, "둘")]
    with pytest.raises(ValueError):
        kept.append(utt(2, "셋"))


def test_torn_last_line_is_skipped(tmp_path: Path) -> None:
    journal = Journal.open_new(tmp_path)
    journal.append(utt(0, "완전한 줄"))
    journal.close(clean=False)
    with open(journal.path, "a", encoding="utf-8") as f:
        f.write('{"index": 1, "start_s": 2.0, "end_s": 3.5, "text": "잘린')  # crash mid-write
    assert [u.text for u in read_journal(journal.path).utterances] == ["완전한 줄"]


def test_empty_leftovers_are_removed_and_newest_is_offered(tmp_path: Path) -> None:
    empty = Journal.open_new(tmp_path)
    empty.close(clean=False)
    old = Journal.open_new(tmp_path)
    old.append(utt(0, "예전"))
    old.close(clean=False)
    new = Journal.open_new(tmp_path)
    new.append(utt(0, "최근"))
    new.close(clean=False)
    os.utime(old.path, (1, 1))
    found = find_abandoned(tmp_path)
    assert [item.path for item in found] == [new.path, old.path]
    assert found[0].transcript.utterances[0].text == "최근"
    assert not empty.path.exists()
    discard(new.path)
    assert [item.path for item in find_abandoned(tmp_path)] == [old.path]
    discard(old.path)
    assert find_abandoned(tmp_path) == [] and len(list_discarded(tmp_path)) == 2


WRITER = """
import sys, time
from livekr.journal import Journal
from livekr.transcript import Utterance
j = Journal.open_new(__import__("pathlib").Path(sys.argv[1]), model="killed")
for i in range(3):
    j.append(Utterance(i, i, i + 1.0, f"문장 {i}", 0.9))
print("written", flush=True)
time.sleep(60)
"""


def test_a_killed_writer_loses_nothing(tmp_path: Path) -> None:
    with subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], cwd=REPO,
                          stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "written"
            assert find_abandoned(tmp_path) == []  # its writer is alive: not abandoned
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    [found] = find_abandoned(tmp_path)
    assert found.transcript.model == "killed"
    assert [u.text for u in found.transcript.utterances] == ["문장 0", "문장 1", "문장 2"]


class DiskFull:
    """``os.write`` for a disk that fills up: once armed, the next write puts ``fraction`` of
    its bytes on disk and then fails with ENOSPC; later writes succeed (space came back)."""

    def __init__(self, fraction: float = 0.5) -> None:
        self.fraction = fraction
        self.armed = False

    def __call__(self, fd: int, data: bytes) -> int:
        if not self.armed:
            return os.write(fd, data)
        self.armed = False
        os.write(fd, data[: int(len(data) * self.fraction)])
        raise OSError(errno.ENOSPC, "No space left on device")


def cannot_truncate(fd: int, size: int) -> None:
    raise OSError(errno.EIO, "Input/output error")


def test_a_write_that_fails_part_way_is_cut_back_and_written_again(tmp_path: Path) -> None:
    disk = DiskFull()
    journal = Journal.open_new(tmp_path, model="m", write=disk)
    journal.append(utt(0, "하나"))
    disk.armed = True
    with pytest.raises(OSError) as failed:
        journal.append(utt(1, "둘"))
    assert failed.value.errno == errno.ENOSPC and journal.pending == 1
    journal.append(utt(2, "셋"))  # space again: the pending one goes first
    assert journal.pending == 0
    journal.close(clean=False)
    lines = journal.path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and all(json.loads(line) for line in lines[:-1])  # nothing torn
    assert read_journal(journal.path).utterances == [utt(0, "하나"), utt(1, "둘"), utt(2, "셋")]


def test_when_the_cut_back_fails_the_next_record_starts_on_a_fresh_line(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    disk = DiskFull()
    journal = Journal.open_new(tmp_path, write=disk, truncate=cannot_truncate)
    journal.append(utt(0, "하나"))
    disk.armed = True
    with pytest.raises(OSError):
        journal.append(utt(1, "둘"))
    journal.append(utt(2, "셋"))
    journal.close(clean=False)
    assert len(journal.path.read_bytes().split(b"\n")) == 6  # header, 0, torn half, 1, 2, ""
    assert read_journal(journal.path).utterances == [utt(0, "하나"), utt(1, "둘"), utt(2, "셋")]
    assert "skipping an unreadable line" in caplog.text


def test_a_record_that_reached_the_disk_before_its_write_failed_is_read_once(
        tmp_path: Path) -> None:
    disk = DiskFull(fraction=1.0)  # all bytes written, then the error (as a failing fsync)
    journal = Journal.open_new(tmp_path, write=disk, truncate=cannot_truncate)
    disk.armed = True
    with pytest.raises(OSError):
        journal.append(utt(0, "하나"))
    journal.append(utt(1, "둘"))
    journal.close(clean=False)
    assert journal.path.read_bytes().count("하나".encode()) == 2
    assert read_journal(journal.path).utterances == [utt(0, "하나"), utt(1, "둘")]


def test_a_record_glued_to_a_torn_one_by_an_older_livekr_is_recovered(tmp_path: Path) -> None:
    whole = [json.dumps(utt(i, t).to_dict(), ensure_ascii=False) for i, t in enumerate("가나다")]
    path = tmp_path / "session-20240101-000000-0-0.jsonl"
    path.write_text('{"journal": 1, "pid": 1, "model": "m"}\n' + whole[0] + "\n"
                    + whole[1][: len(whole[1]) // 2] + whole[2] + "\n", encoding="utf-8")
    assert [u.text for u in read_journal(path).utterances] == ["가", "다"]


def test_a_journal_of_a_newer_version_is_not_misread_and_kept(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    newer = tmp_path / "session-20990101-000000-0-0.jsonl"
    newer.write_text('{"journal": 99, "model": "m"}\n'
                     '{"index": 0, "start_s": 0, "end_s": 1, "text": "새 형식"}\n',
                     encoding="utf-8")
    assert find_abandoned(tmp_path) == []
    assert "journal version 99 is newer than this livekr reads" in caplog.text
    prune(tmp_path, now_s=time.time() + 365 * 86400)
    assert newer.exists()
    with pytest.raises(JournalError, match="update livekr"):
        Journal.adopt(newer)


def test_a_journal_with_an_invalid_header_is_kept(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    odd = tmp_path / "session-20240101-000000-0-0.jsonl"
    odd.write_text("not a header\n", encoding="utf-8")
    assert find_abandoned(tmp_path) == []
    prune(tmp_path, now_s=time.time() + 365 * 86400)
    assert odd.read_text(encoding="utf-8") == "not a header\n"
    assert "not a livekr journal header" in caplog.text


def test_a_file_that_never_got_its_header_is_pruned_only_when_old(tmp_path: Path) -> None:
    torn = tmp_path / "session-20240101-000000-0-0.jsonl"
    torn.write_bytes(b'{"journal": 2, "pi')  # killed while writing the header
    assert find_abandoned(tmp_path) == [] and torn.exists()
    assert prune(tmp_path) == [] and torn.exists()  # may be one being created right now
    assert prune(tmp_path, now_s=time.time() + 2 * NO_HEADER_GRACE_S) == [torn]
    assert not torn.exists()


def test_a_journal_whose_lines_cannot_be_read_is_not_removed_as_empty(tmp_path: Path) -> None:
    garbled = tmp_path / "session-20240101-000000-0-0.jsonl"
    garbled.write_bytes(b'{"journal": 2, "model": "m"}\n\xff\xfe garbled \x00\n')
    assert find_abandoned(tmp_path) == []
    assert garbled.exists()
