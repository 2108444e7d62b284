"""Edits of the transcript: kept by saves, by the journal and by recovery, in order."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from livekr.events import Failure, FailureKind, Final
from livekr.export import from_json
from livekr.journal import JOURNAL_VERSION, Journal, JournalError, find_abandoned, read_journal
from livekr.session import TranscriptSession
from livekr.transcript import CharSpan, Utterance


def utt(index: int, text: str) -> Utterance:
    return Utterance(index, index * 2.0, index * 2.0 + 1.5, text, 0.8,
                     tuple(CharSpan(c, 0.1 * i, 0.1 * i + 0.1, 0.8) for i, c in enumerate(text)))


def final(index: int, text: str) -> Final:
    return Final(utt(index, text), latency_s=0.1, forward_s=0.1)


def header(version: int) -> str:
    return json.dumps({"journal": version, "pid": 1, "model": "m"}) + "\n"


def line(record: dict[str, object]) -> str:
    return json.dumps(record, ensure_ascii=False) + "\n"


def write_journal(path: Path, version: int, *records: dict[str, object], tail: str = "") -> Path:
    path.write_text(header(version) + "".join(line(r) for r in records) + tail, encoding="utf-8")
    return path


# -- the journal file ------------------------------------------------------------------------


def test_edits_are_applied_in_order(tmp_path: Path) -> None:
    journal = Journal.open_new(tmp_path, model="m")
    journal.append(utt(0, "하나"))
    journal.append(utt(1, "둘"))
    journal.append_edit(0, "한나")
    journal.append_edit(1, "")
    journal.append_edit(0, "하나요")
    journal.close(clean=False)
    first = json.loads(journal.path.read_bytes().split(b"\n")[0])
    assert first["journal"] == JOURNAL_VERSION == 3
    assert read_journal(journal.path).utterances == [utt(0, "하나").with_text("하나요"),
                                                     utt(1, "둘").with_text("")]


@pytest.mark.parametrize(
    ("records", "tail", "texts", "logged"),
    [
        ([utt(0, "하나").to_dict(), {"edit": 0, "text": "한나"}], '{"edit": 0, "text": "잘', ["한나"],
         "skipping a torn last line"),
        ([utt(0, "하나").to_dict(), {"edit": 7, "text": "없는 말"}], "", ["하나"],
         "skipping an edit of utterance 7, which the journal does not hold"),
        ([{"edit": 0, "text": "먼저 온 고침"}, utt(0, "하나").to_dict()], "", ["하나"],
         "skipping an edit of utterance 0"),
        ([utt(0, "하나").to_dict(), {"edit": "0", "text": "한나"}, {"edit": 0, "text": None}], "",
         ["하나"], "skipping a malformed edit"),
    ],
    ids=["torn-edit", "unknown-index", "edit-before-its-utterance", "malformed"],
)
def test_an_edit_that_cannot_be_applied_is_skipped_with_a_log_line(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, records: list[dict[str, object]], tail: str,
        texts: list[str], logged: str) -> None:
    path = write_journal(tmp_path / "session-20240101-000000-0-0.jsonl", 3, *records, tail=tail)
    assert [u.text for u in read_journal(path).utterances] == texts
    assert logged in caplog.text


def test_an_edit_glued_to_a_torn_record_is_recovered(tmp_path: Path) -> None:
    whole = line(utt(1, "둘").to_dict())
    path = tmp_path / "session-20240101-000000-0-0.jsonl"
    path.write_text(header(3) + line(utt(0, "하나").to_dict()) + whole[: len(whole) // 2]
                    + line({"edit": 0, "text": "한나"}), encoding="utf-8")
    assert [u.text for u in read_journal(path).utterances] == ["한나"]


@pytest.mark.parametrize("version", [1, 2])
def test_older_journals_are_still_read(tmp_path: Path, version: int) -> None:
    old = {k: v for k, v in utt(0, "하나").to_dict().items() if k != "edited"}  # no such field then
    path = write_journal(tmp_path / "session-20240101-000000-0-0.jsonl", version, old)
    assert read_journal(path).utterances == [utt(0, "하나")]
    [found] = find_abandoned(tmp_path)
    adopted = Journal.adopt(found.path)
    adopted.append_edit(0, "한나")  # under its old header (only a downgraded livekr would misread it)
    adopted.close(clean=False)
    assert [u.text for u in read_journal(path).utterances] == ["한나"]


def test_a_journal_newer_than_edits_is_refused(tmp_path: Path) -> None:
    path = write_journal(tmp_path / "session-20990101-000000-0-0.jsonl", JOURNAL_VERSION + 1,
                         utt(0, "하나").to_dict())
    with pytest.raises(JournalError, match="update livekr"):
        read_journal(path)


class FailingWrites:
    """``os.write`` that fails (writing nothing) while ``failing``."""

    def __init__(self) -> None:
        self.failing = False

    def __call__(self, fd: int, data: bytes) -> int:
        if self.failing:
            raise OSError(errno.ENOSPC, "No space left on device")
        return os.write(fd, data)


def test_an_edit_whose_write_fails_stays_pending_in_order(tmp_path: Path) -> None:
    disk = FailingWrites()
    journal = Journal.open_new(tmp_path, write=disk)
    journal.append(utt(0, "하나"))
    disk.failing = True
    with pytest.raises(OSError):
        journal.append_edit(0, "한나")
    assert journal.pending == 1
    disk.failing = False
    journal.append(utt(1, "둘"))
    journal.close(clean=False)
    assert [u.text for u in read_journal(journal.path).utterances] == ["한나", "둘"]


# -- the session ------------------------------------------------------------------------------


def test_an_edit_is_saved_in_every_format(tmp_path: Path) -> None:
    session = TranscriptSession(journal_dir=tmp_path / "journal")
    for i, text in enumerate(["안년하세요", "지울 말", "그대로"]):
        session.handle(final(i, text))
    session.save(tmp_path / "t.txt")
    result = session.edit(0, "안녕하세요")
    assert result.utterance == utt(0, "안년하세요").with_text("안녕하세요") and result.failure is None
    assert session.dirty
    session.edit(1, "")
    session.save(tmp_path / "t.txt")
    assert (tmp_path / "t.txt").read_text(encoding="utf-8") == "안녕하세요\n그대로\n"
    session.save(tmp_path / "t.srt")
    srt = (tmp_path / "t.srt").read_text(encoding="utf-8")
    assert "안녕하세요" in srt and "지울 말" not in srt and "\n2\n00:00:04,000" in srt
    session.save(tmp_path / "t.json")
    back = from_json((tmp_path / "t.json").read_text(encoding="utf-8"))
    assert back.utterances == session.utterances and back.utterances[1].text == ""
    assert [u.edited for u in back.utterances] == [True, True, False]
    session.close()


def test_an_edit_survives_a_crash(tmp_path: Path) -> None:
    folder = tmp_path / "journal"
    session = TranscriptSession(journal_dir=folder)
    session.handle(final(0, "하나"))
    session.handle(final(1, "둘"))
    session.edit(0, "한나")
    session.edit(0, "하나요")
    assert session.edit(1, "둘").failure is None  # no change: nothing journaled
    session.close(clean=False)  # as a crash leaves it: the journal stays
    [found] = find_abandoned(folder)
    assert [u.text for u in found.transcript.utterances] == ["하나요", "둘"]
    recovered = TranscriptSession(journal_dir=folder)
    recovered.adopt(Journal.adopt(found.path))
    assert recovered.utterances[0] == utt(0, "하나").with_text("하나요")
    recovered.edit(1, "두울")  # edits go on into the adopted journal
    recovered.close(clean=False)
    [again] = find_abandoned(folder)
    assert [u.text for u in again.transcript.utterances] == ["하나요", "두울"]
    assert sum(1 for b in again.path.read_bytes().split(b"\n") if b.startswith(b'{"edit"')) == 3


def test_an_edit_the_journal_cannot_take_is_reported_and_kept(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    session = TranscriptSession(journal_dir=blocker / "journal")
    session.handle(final(0, "하나"))  # the journal cannot even be opened
    result = session.edit(0, "한나")
    assert isinstance(result.failure, Failure) and result.failure.kind is FailureKind.JOURNAL
    assert session.failures[-1] == result.failure
    assert session.utterances[0].text == "한나"
    blocker.unlink()  # the folder can be made now: the journal gets the edited text
    session.handle(final(1, "둘"))
    assert session.journal is not None
    assert [u.text for u in read_journal(session.journal.path).utterances] == ["한나", "둘"]
    session.close()


def test_editing_an_unknown_utterance_is_an_error(tmp_path: Path) -> None:
    session = TranscriptSession(journal_dir=None)
    session.handle(final(0, "하나"))
    with pytest.raises(KeyError, match="no utterance 3"):
        session.edit(3, "셋")
    assert not session.journal
