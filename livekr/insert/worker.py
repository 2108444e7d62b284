"""The insertion worker: texts inserted into the focused program in order, on a thread of
their own, so that the pipeline never waits on the program that receives them.

Qt-free; the command line drives it directly, and the window can wrap it the same way.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

from livekr.insert.base import Inserter, InsertError, Insertion
from livekr.messages import first_line

log = logging.getLogger(__name__)


class InsertionWorker:
    """Inserts the texts given to ``submit`` one after the other with ``inserter``.

    ``submit`` never blocks (any thread). ``stop`` clears the queue at once: the thread ends
    after the insertion in flight. ``finish`` lets the thread end once everything submitted
    is inserted. The first error (an ``InsertError``; anything else becomes one) ends
    insertion: ``on_error`` gets it once, later texts are dropped, and whoever submits them
    goes on as before. ``on_inserted`` gets each ``Insertion`` done. Both callbacks are
    called from the worker's thread. The inserter is used only on that thread and closed
    there when it ends.
    """

    def __init__(self, inserter: Inserter, on_error: Callable[[InsertError], None] | None = None,
                 on_inserted: Callable[[Insertion], None] | None = None) -> None:
        self.inserter = inserter
        self.on_error = on_error
        self.on_inserted = on_inserted
        self.error: InsertError | None = None
        """The error that ended insertion, if one did."""
        self.inserted = 0
        """How many texts were inserted."""
        self._texts: deque[str] = deque()
        self._lock = threading.Condition()
        self._closing = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="livekr-insert", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, text: str) -> None:
        """Queue ``text`` for insertion after everything queued before (nothing for "", or
        after ``stop``, ``finish`` or an error)."""
        with self._lock:
            if not text or self._closing or self.error is not None:
                return
            self._texts.append(text)
            self._lock.notify()

    def stop(self) -> None:
        """Insert nothing more: the queue is dropped, and the thread ends after the
        insertion in flight (returns at once)."""
        with self._lock:
            self._closing = True
            self._texts.clear()
            self._lock.notify()

    def finish(self) -> None:
        """No more texts: the thread ends once the queue is inserted (returns at once)."""
        with self._lock:
            self._closing = True
            self._lock.notify()

    @property
    def pending(self) -> int:
        """Texts waiting to be inserted (the one in flight not counted)."""
        with self._lock:
            return len(self._texts)

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait until the thread has ended; False when ``timeout_s`` passed first."""
        return self._done.wait(timeout_s)

    def _next(self) -> str | None:
        with self._lock:
            while not self._texts and not self._closing:
                self._lock.wait()
            return self._texts.popleft() if self._texts else None

    def _run(self) -> None:
        try:
            while (text := self._next()) is not None:
                try:
                    insertion = self.inserter.insert(text)
                except InsertError as e:
                    self._fail(e)
                    return
                except Exception as e:  # a defect, or a platform library's own error
                    log.exception("inserting text failed")
                    self._fail(InsertError("insert.unexpected", detail=first_line(e) or type(e).__name__))
                    return
                self.inserted += 1
                if self.on_inserted is not None:
                    self.on_inserted(insertion)
        finally:
            try:
                self.inserter.close()
            except Exception:
                log.exception("closing the inserter failed")
            self._done.set()

    def _fail(self, error: InsertError) -> None:
        with self._lock:
            self.error = error
            self._texts.clear()
        if self.on_error is not None:
            self.on_error(error)
