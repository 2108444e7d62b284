"""The autosave journal: every final on disk at once, survives a kill, torn lines tolerated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from livekr.journal import (
    Journal,
    discard_unfinished,
    find_unfinished,
    journal_dir,
    read_journal,
)
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
    assert not journal.path.exists() and find_unfinished(tmp_path) is None
    kept = Journal.open_new(tmp_path, model="m")
    kept.append(utt(0, "하나"))
    kept.append(utt(1, "둘"))
    kept.close(clean=False)
    found = find_unfinished(tmp_path)
    assert found is not None and found.model == "m"
    assert found.utterances == [utt(0, "하나"), utt(1, "둘")]
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
    found = find_unfinished(tmp_path)
    assert found is not None and found.utterances[0].text == "최근"
    assert not empty.path.exists()
    discard_unfinished(tmp_path, keep=old.path)
    assert old.path.exists() and not new.path.exists()
    discard_unfinished(tmp_path)
    assert find_unfinished(tmp_path) is None


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
            assert find_unfinished(tmp_path) is None  # its writer is alive: not abandoned
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    found = find_unfinished(tmp_path)
    assert found is not None and found.model == "killed"
    assert [u.text for u in found.utterances] == ["문장 0", "문장 1", "문장 2"]
