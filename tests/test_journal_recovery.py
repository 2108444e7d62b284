"""Recovery from the journal folder: every abandoned session offered, adoption that survives a
crash at any step, in-use decided by the file lock (never by a process id), "No" kept
recoverable for a while, and the session's kept audio recovered with its text."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from livekr.journal import (
    DISCARDED_KEEP_DAYS,
    Journal,
    JournalInUse,
    discard,
    find_abandoned,
    list_discarded,
    prune,
    read_journal,
    restore,
)
from livekr.transcript import Utterance

REPO = Path(__file__).resolve().parents[1]
DAY_S = 86400.0


def utt(index: int, text: str) -> Utterance:
    return Utterance(index, index * 2.0, index * 2.0 + 1.5, text, 0.8)


def abandoned_journal(folder: Path, texts: list[str], model: str = "m") -> Path:
    """A journal left behind as by a killed session."""
    journal = Journal.open_new(folder, model=model)
    for i, text in enumerate(texts):
        journal.append(utt(i, text))
    journal.close(clean=False)
    return journal.path


def texts_of(path: Path) -> list[str]:
    return [u.text for u in read_journal(path).utterances]


def test_every_abandoned_session_is_offered_newest_first(tmp_path: Path) -> None:
    old = abandoned_journal(tmp_path, ["예전 하나", "예전 둘"])
    new = abandoned_journal(tmp_path, ["최근"])
    os.utime(old, (1, 1))
    found = find_abandoned(tmp_path)
    assert [item.path for item in found] == [new, old]
    assert [u.text for u in found[1].transcript.utterances] == ["예전 하나", "예전 둘"]
    assert found[0].started and found[0].modified_s > found[1].modified_s
    assert old.exists() and new.exists()  # looking changes nothing


# A recovery run killed at a chosen step: after finding, after adopting, half-way through
# writing its first new utterance, or after writing some.
RECOVER = """
import os, signal, sys
from pathlib import Path
from livekr.journal import Journal, find_abandoned
from livekr.transcript import Utterance
folder, step = Path(sys.argv[1]), sys.argv[2]
def die():
    os.kill(os.getpid(), signal.SIGKILL)
[found] = find_abandoned(folder)
if step == "found":
    die()
def write(fd, data):
    if step == "torn":
        os.write(fd, data[: len(data) // 2])
        die()
    return os.write(fd, data)
journal = Journal.adopt(found.path, write=write)
if step == "adopted":
    die()
start = len(journal.recovered.utterances)
for i in range(start, start + 4):
    journal.append(Utterance(i, i * 2.0, i * 2.0 + 1.0, f"새 {i}", 0.9))
die()
"""


@pytest.mark.parametrize("how", ["torn tail", "last newline missing"])
def test_recovery_killed_at_any_step_loses_and_repeats_nothing(tmp_path: Path, how: str) -> None:
    path = abandoned_journal(tmp_path, [f"문장 {i}" for i in range(300)])
    if how == "torn tail":  # the session was killed half-way through utterance 300
        with open(path, "ab") as f:
            f.write('{"index": 300, "start_s": 600.0, "text": "잘'.encode())
    else:  # ...or just before the newline of utterance 299
        path.write_bytes(path.read_bytes()[:-1])
    expected = [f"문장 {i}" for i in range(300)]
    for step in ("found", "adopted", "torn", "appended", "torn", "found"):
        run = subprocess.run([sys.executable, "-c", RECOVER, str(tmp_path), step], cwd=REPO,
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == -signal.SIGKILL, run.stderr
        if step == "appended":
            expected += [f"새 {i}" for i in range(len(expected), len(expected) + 4)]
        [found] = find_abandoned(tmp_path)
        assert found.path == path
        assert [u.text for u in found.transcript.utterances] == expected, step
        assert [u.index for u in found.transcript.utterances] == list(range(len(expected)))
    journal = Journal.adopt(path)
    journal.append(utt(len(expected), "끝"))
    journal.close(clean=False)
    assert texts_of(path) == [*expected, "끝"]


@pytest.fixture
def other_program() -> Iterator[int]:
    """The process id of a running program that is not livekr."""
    with subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                          stdin=subprocess.PIPE) as proc:
        try:
            yield proc.pid
        finally:
            proc.kill()


def test_a_journal_whose_pid_now_belongs_to_another_program_is_offered(
        tmp_path: Path, other_program: int) -> None:
    path = abandoned_journal(tmp_path, ["살아남은 글"])
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[0] = lines[0].replace(f'"pid": {os.getpid()}', f'"pid": {other_program}')
    reused = tmp_path / f"session-20240101-000000-{other_program}-1.jsonl"
    reused.write_text("\n".join(lines), encoding="utf-8")
    path.unlink()
    [found] = find_abandoned(tmp_path)
    assert found.transcript.utterances[0].text == "살아남은 글"


def test_a_journal_open_in_this_process_is_in_use(tmp_path: Path) -> None:
    journal = Journal.open_new(tmp_path)
    journal.append(utt(0, "쓰는 중"))
    assert find_abandoned(tmp_path) == []
    with pytest.raises(JournalInUse):
        Journal.adopt(journal.path)
    with pytest.raises(JournalInUse):
        discard(journal.path)
    prune(tmp_path, now_s=time.time() + 365 * DAY_S)
    journal.append(utt(1, "계속"))
    journal.close(clean=False)
    assert [item.path for item in find_abandoned(tmp_path)] == [journal.path]


HOLDER = """
import sys
from pathlib import Path
from livekr.journal import Journal, find_abandoned
[found] = find_abandoned(Path(sys.argv[1]))
journal = Journal.adopt(found.path)
print("adopted", flush=True)
sys.stdin.read()
"""


def test_a_journal_adopted_by_another_process_is_offered_again_once_it_is_killed(
        tmp_path: Path) -> None:
    path = abandoned_journal(tmp_path, ["하나", "둘"])
    with subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], cwd=REPO,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "adopted"
            assert find_abandoned(tmp_path) == []
            with pytest.raises(JournalInUse):
                Journal.adopt(path)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    [found] = find_abandoned(tmp_path)
    assert found.path == path and [u.text for u in found.transcript.utterances] == ["하나", "둘"]


def test_no_to_the_offer_keeps_the_text_recoverable_for_a_while(tmp_path: Path) -> None:
    path = abandoned_journal(tmp_path, ["버린 글"])
    binned = discard(path)
    assert not path.exists() and find_abandoned(tmp_path) == []
    [kept] = list_discarded(tmp_path)
    assert kept.path == binned and [u.text for u in kept.transcript.utterances] == ["버린 글"]
    assert prune(tmp_path, now_s=time.time() + (DISCARDED_KEEP_DAYS - 1) * DAY_S) == []
    back = restore(binned)
    assert back == path and [item.path for item in find_abandoned(tmp_path)] == [path]
    binned = discard(path)
    later_s = time.time() + (DISCARDED_KEEP_DAYS + 1) * DAY_S
    assert prune(tmp_path, now_s=later_s) == [binned]
    assert list_discarded(tmp_path) == [] and find_abandoned(tmp_path) == []
    with pytest.raises(ValueError, match="not a discarded journal"):
        restore(abandoned_journal(tmp_path, ["아직"]))


def test_an_open_journal_can_be_discarded_instead_of_deleted(tmp_path: Path) -> None:
    journal = Journal.open_new(tmp_path)
    journal.append(utt(0, "지운 글"))
    binned = journal.discard()
    assert journal.closed and journal.path == binned and binned.parent.name == "discarded"
    assert [item.path for item in list_discarded(tmp_path)] == [binned]
    journal.close()  # closing again does nothing
    assert binned.exists()


PCM_BYTES = bytes(range(200))


def test_kept_audio_is_recovered_discarded_and_restored_with_its_text(tmp_path: Path) -> None:
    journal = Journal.open_new(tmp_path)
    journal.spool_path.write_bytes(PCM_BYTES + b"\x01")  # killed half-way through a sample
    journal.append(utt(0, "녹음"))
    journal.close(clean=False)
    [found] = find_abandoned(tmp_path)
    assert found.audio == journal.spool_path
    binned = discard(found.path)
    [kept] = list_discarded(tmp_path)
    assert kept.audio is not None and kept.audio.parent == binned.parent
    adopted = Journal.adopt(restore(binned))
    assert adopted.spool_path.read_bytes() == PCM_BYTES  # whole samples only
    adopted.close(clean=False)


def test_a_session_with_audio_but_no_text_yet_is_offered(tmp_path: Path) -> None:
    journal = Journal.open_new(tmp_path)
    journal.spool_path.write_bytes(PCM_BYTES)
    journal.close(clean=False)
    [found] = find_abandoned(tmp_path)
    assert found.transcript.utterances == [] and found.audio == journal.spool_path


def test_spools_whose_journal_is_gone_are_removed_at_start(tmp_path: Path) -> None:
    live = Journal.open_new(tmp_path)
    live.spool_path.write_bytes(PCM_BYTES)
    left = abandoned_journal(tmp_path, ["남은 글"])
    (tmp_path / left.with_suffix(".pcm").name).write_bytes(PCM_BYTES)
    saved = Journal.open_new(tmp_path)
    saved.spool_path.write_bytes(PCM_BYTES)
    saved.close(clean=True)  # saved: the journal goes, the caller forgot the spool
    (tmp_path / "discarded").mkdir()
    stray = tmp_path / "discarded" / "session-20240101-000000-1-0.pcm"
    stray.write_bytes(PCM_BYTES)
    assert sorted(prune(tmp_path)) == sorted([saved.spool_path, stray])
    assert live.spool_path.exists() and left.with_suffix(".pcm").exists()
    live.close(clean=False)
