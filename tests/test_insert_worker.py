"""The insertion worker: in order, off the submitting thread, stopped at once, ended by an error."""

from __future__ import annotations

import threading

from livekr.insert.base import InsertError, Insertion, Target
from livekr.insert.worker import InsertionWorker

WAIT_S = 10.0
"""Upper bound for waits on events that should come at once (a hang fails the test)."""


class FakeInserter:
    """Records each text; ``hold`` makes an insertion wait for ``release``; ``fail_on`` raises."""

    method = "type"

    def __init__(self, fail_on: str | None = None, error: Exception | None = None) -> None:
        self.texts: list[str] = []
        self.fail_on = fail_on
        self.error = error or InsertError("insert.no_focus")
        self.hold = False
        self.entered = threading.Event()
        self.release = threading.Event()
        self.closed = threading.Event()
        self.thread: threading.Thread | None = None

    def focused(self) -> Target:
        return Target(1, 2)

    def insert(self, text: str) -> Insertion:
        self.thread = threading.current_thread()
        self.entered.set()
        if self.hold:
            assert self.release.wait(WAIT_S)
        if text == self.fail_on:
            raise self.error
        self.texts.append(text)
        return Insertion(text, "type", Target(1, 2), 0.0)

    def undo(self, insertion: Insertion) -> None:
        raise AssertionError("not used")

    def close(self) -> None:
        self.closed.set()


def test_inserts_in_order_on_its_own_thread_then_finishes() -> None:
    inserter = FakeInserter()
    done: list[Insertion] = []
    worker = InsertionWorker(inserter, on_inserted=done.append)
    worker.start()
    for text in ("하나", "", " 둘", " 셋"):
        worker.submit(text)
    worker.finish()
    assert worker.wait(WAIT_S)
    assert inserter.texts == ["하나", " 둘", " 셋"]  # "" is nothing to insert
    assert [i.text for i in done] == inserter.texts and worker.inserted == 3
    assert inserter.thread is not threading.current_thread() and inserter.closed.is_set()
    assert worker.error is None


def test_submitting_never_waits_for_the_target() -> None:
    inserter = FakeInserter()
    inserter.hold = True
    worker = InsertionWorker(inserter)
    worker.start()
    worker.submit("첫째")
    assert inserter.entered.wait(WAIT_S)  # held inside the target program
    for n in range(1000):  # the pipeline goes on committing finals meanwhile
        worker.submit(f" {n}")
    assert worker.pending == 1000 and inserter.texts == []
    inserter.release.set()
    worker.finish()
    assert worker.wait(WAIT_S)
    assert inserter.texts == ["첫째"] + [f" {n}" for n in range(1000)]


def test_stop_drops_the_queue_and_ends_after_the_insertion_in_flight() -> None:
    inserter = FakeInserter()
    inserter.hold = True
    worker = InsertionWorker(inserter)
    worker.start()
    for text in ("하나", " 둘", " 셋"):
        worker.submit(text)
    assert inserter.entered.wait(WAIT_S)
    worker.stop()  # returns at once, with the insertion still held
    assert worker.pending == 0 and not worker.wait(0)
    worker.submit(" 넷")  # after stop: dropped
    inserter.release.set()
    assert worker.wait(WAIT_S)
    assert inserter.texts == ["하나"] and inserter.closed.is_set()


def test_the_first_error_is_reported_once_and_ends_insertion() -> None:
    inserter = FakeInserter(fail_on=" 둘")
    errors: list[InsertError] = []
    reported = threading.Event()

    def on_error(error: InsertError) -> None:
        errors.append(error)
        reported.set()

    worker = InsertionWorker(inserter, on_error=on_error)
    worker.start()
    for text in ("하나", " 둘", " 셋"):
        worker.submit(text)
    assert reported.wait(WAIT_S) and worker.wait(WAIT_S)
    for text in (" 넷", " 다섯"):  # whoever submits goes on as before
        worker.submit(text)
    assert inserter.texts == ["하나"] and len(errors) == 1
    assert worker.error is errors[0] and errors[0].message.key == "insert.no_focus"
    assert inserter.closed.is_set()


def test_an_unexpected_exception_becomes_an_insert_error() -> None:
    inserter = FakeInserter(fail_on="하나", error=RuntimeError("the display went away"))
    errors: list[InsertError] = []
    worker = InsertionWorker(inserter, on_error=errors.append)
    worker.start()
    worker.submit("하나")
    worker.finish()
    assert worker.wait(WAIT_S)
    [error] = errors
    assert error.message.key == "insert.unexpected" and "the display went away" in str(error)


def test_stop_before_anything_was_submitted_ends_the_thread() -> None:
    inserter = FakeInserter()
    worker = InsertionWorker(inserter)
    worker.start()
    worker.stop()
    assert worker.wait(WAIT_S) and inserter.closed.is_set() and inserter.texts == []
