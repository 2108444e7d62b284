"""Moving the files of one download plan into a checkpoint folder: each through a ``.part``
file that a later download continues (Range), verified by size and SHA-256 before it moves into
place; and the progress of the whole model (``DownloadProgress``, ``ProgressMeter``).

Used by ``livekr.hub_download``, which owns the folder, its lock and its marker. Everything here
runs in the downloading thread.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livekr.checkpoint import first_line
from livekr.hub_api import (
    RESUME_HINT,
    RETRY_HINT,
    DownloadCancelled,
    DownloadError,
    DownloadPlan,
    HubClient,
    RepoFile,
)
from livekr.messages import Message, os_error

log = logging.getLogger(__name__)

STAGING_FOLDER = ".download"
"""Sub-folder of the checkpoint folder holding the ``.part`` files of an unfinished download."""
PART_SUFFIX = ".part"
HASH_CHUNK_BYTES = 1 << 22
SPEED_SMOOTHING = 0.3
"""Weight of the newest measurement in the smoothed speed (exponential average)."""

ProgressCallback = Callable[["DownloadProgress"], None]


@dataclass(frozen=True)
class DownloadProgress:
    """How far the download of one model has come."""

    ref: str
    file: str
    """The file being transferred."""
    done_bytes: int
    """Of the whole model, counting what earlier, interrupted downloads left."""
    total_bytes: int
    """The whole model (0 when the hub gave no sizes)."""
    speed_bytes_per_s: float
    """Smoothed transfer speed; 0 until measured."""
    eta_s: float | None
    """Seconds left at that speed; None while unknown."""


def describe(progress: DownloadProgress) -> str:
    """The progress in a few English words, e.g. "340 MB of 1.2 GB · 25 MB/s · 32 s left"."""
    parts = [f"{format_bytes(progress.done_bytes)} of {format_bytes(progress.total_bytes)}"]
    if progress.speed_bytes_per_s > 0:
        parts.append(f"{format_bytes(progress.speed_bytes_per_s)}/s")
    if progress.eta_s is not None and progress.done_bytes < progress.total_bytes:
        parts.append(f"{format_duration(progress.eta_s)} left")
    return " · ".join(parts)


def format_bytes(n: float) -> str:
    """Decimal units as the hub shows sizes: "512 B", "1.2 GB", "340 MB"."""
    value, unit = float(n), "B"
    for bigger in ("kB", "MB", "GB", "TB"):
        if value < 1000:
            break
        value, unit = value / 1000, bigger
    if unit == "B":
        return f"{value:.0f} B"
    return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"


def format_duration(seconds: float) -> str:
    """"32 s", "4 min", "1 h 05 min"."""
    s = max(0, round(seconds))
    if s < 90:
        return f"{s} s"
    if s < 90 * 60:
        return f"{round(s / 60)} min"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


LINE_EVERY_S = 2.0
"""Least time between two lines of ``ProgressLines``."""


class ProgressLines:
    """A progress callback that passes "downloading REF: 340 MB of 1.2 GB · …" to ``say`` at
    most every ``every_s`` seconds of ``clock``, and once at the end."""

    def __init__(self, say: Callable[[str], None], every_s: float = LINE_EVERY_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.say = say
        self.every_s = every_s
        self.clock = clock
        self._next = float("-inf")
        self._ended = False

    def __call__(self, progress: DownloadProgress) -> None:
        now = self.clock()
        end = progress.done_bytes >= progress.total_bytes
        if self._ended or not (end or now >= self._next):
            return
        self._next, self._ended = now + self.every_s, end
        self.say(f"downloading {progress.ref}: {describe(progress)}")


class ProgressMeter:
    """Counts the bytes of one model's download and hands ``DownloadProgress`` to ``report`` at
    most every ``every_s`` seconds of ``clock`` (monotonic), at ``start`` and at ``finish``.
    Used by the downloading thread only."""

    def __init__(self, ref: str, total_bytes: int, done_bytes: int, every_s: float,
                 report: ProgressCallback | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.ref = ref
        self.total = total_bytes
        self.done = done_bytes
        self.file = ""
        self._every_s = every_s
        self._report = report
        self._clock = clock
        self._speed = 0.0
        self._measured = False
        self._last_t = clock()
        self._last_done = done_bytes

    def start(self, file: str) -> None:
        self.file = file
        self._emit()

    def advance(self, file: str, n: int) -> None:
        """``n`` more bytes of ``file`` arrived."""
        self.file = file
        self.done += n
        now = self._clock()
        if now - self._last_t >= self._every_s:
            self._measure(now)
            self._emit()

    def rewind(self, n: int) -> None:
        """``n`` bytes counted before are gone (a file starts over)."""
        self.done = max(0, self.done - n)
        self._last_done = min(self._last_done, self.done)

    def finish(self) -> None:
        self._measure(self._clock())
        self._emit()

    def progress(self) -> DownloadProgress:
        left = max(0, self.total - self.done)
        eta = left / self._speed if self._speed > 0 else (0.0 if left == 0 else None)
        return DownloadProgress(self.ref, self.file, self.done, self.total, self._speed, eta)

    def _measure(self, now: float) -> None:
        elapsed = now - self._last_t
        if elapsed <= 0:
            return
        rate = max(0.0, (self.done - self._last_done) / elapsed)
        self._speed = SPEED_SMOOTHING * rate + (1 - SPEED_SMOOTHING) * self._speed if self._measured else rate
        self._measured = True
        self._last_t, self._last_done = now, self.done

    def _emit(self) -> None:
        if self._report is not None:
            self._report(self.progress())


def check_cancel(ref: str, cancel: threading.Event | None, meter: ProgressMeter | None) -> None:
    """``DownloadCancelled`` once ``cancel`` is set (saying how much is kept, with ``meter``)."""
    if cancel is None or not cancel.is_set():
        return
    if meter is None:
        raise DownloadCancelled("download.cancelled", ref=ref)
    raise DownloadCancelled("download.cancelled_kept", ref=ref, done=format_bytes(meter.done),
                            total=format_bytes(meter.total))


def _range(have: int) -> dict[str, str]:
    return {"Range": f"bytes={have}-"} if have else {}


def _continues(response: http.client.HTTPResponse, have: int) -> bool:
    """Whether ``response`` sends the file from byte ``have`` on (206 with that range)."""
    if response.status != 206:
        return False
    found = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
    return found is not None and int(found.group(1)) == have


class Transfer:
    """Downloads the files of ``plan`` into ``folder``, skipping those already in place (the
    caller has removed any that belong to other content) and continuing the parts in its
    ``STAGING_FOLDER``; raises ``DownloadError`` or ``DownloadCancelled``."""

    def __init__(self, client: HubClient, plan: DownloadPlan, folder: Path,
                 cancel: threading.Event | None, report: ProgressCallback | None) -> None:
        self.client = client
        self.plan = plan
        self.folder = folder
        self.staging = folder / STAGING_FOLDER
        self.cancel = cancel
        present = sum(self._present_bytes(f) for f in plan.files)
        every_s = client.options.progress_every_s
        self.meter = ProgressMeter(plan.ref, plan.total_bytes, present, every_s, report)

    def run(self) -> None:
        self.meter.start(self.plan.files[0].name)
        for f in self.plan.files:
            self.check_cancel()
            if not self._in_place(f):
                self.fetch(f)
        self.meter.finish()

    def check_cancel(self) -> None:
        check_cancel(self.plan.ref, self.cancel, self.meter)

    def _part(self, f: RepoFile) -> Path:
        return self.staging / (f.name + PART_SUFFIX)

    def _in_place(self, f: RepoFile) -> bool:
        try:
            size = (self.folder / f.name).stat().st_size
        except OSError:
            return False
        return f.size is None or size == f.size

    def _present_bytes(self, f: RepoFile) -> int:
        """Bytes of ``f`` already here: all of it in place, or its part (unless too long)."""
        if self._in_place(f):
            return f.size or 0
        try:
            have = self._part(f).stat().st_size
        except OSError:
            return 0
        return have if f.size is None or have <= f.size else 0

    def fetch(self, f: RepoFile) -> None:
        """Download ``f``, continuing its part, and move it into place."""
        part = self._part(f)
        have, hasher = self._resume_from(part, f)
        response = self.client.open(self.client.file_url(self.plan.ref, f), self.plan.ref, _range(have), True)
        if response is None and not (have and (f.size is None or have == f.size)):
            log.info("%s: the hub cannot continue %s from byte %d; starting it over",
                     self.plan.ref, f.name, have)
            self._restart(part, have)
            have, hasher = 0, _hasher(f)
            response = self.client.open(self.client.file_url(self.plan.ref, f), self.plan.ref, {}, True)
            if response is None:
                raise DownloadError("download.send_refused", file=f.name, ref=self.plan.ref, hint=RETRY_HINT)
        if response is not None:
            with response:
                if have and not _continues(response, have):
                    log.info("%s: the hub sends %s from the start; starting it over", self.plan.ref, f.name)
                    self._restart(part, have)
                    have, hasher = 0, _hasher(f)
                self._stream(response, part, have, hasher, f)
        self._place(part, f, hasher)

    def _restart(self, part: Path, have: int) -> None:
        part.unlink(missing_ok=True)
        self.meter.rewind(have)

    def _resume_from(self, part: Path, f: RepoFile) -> tuple[int, Any]:
        """(bytes of ``f`` in ``part``, the hash of them or None); a part longer than the
        file is removed."""
        hasher = _hasher(f)
        try:
            have = part.stat().st_size
        except OSError:
            have = 0
        if not have or (f.size is not None and have > f.size):
            part.unlink(missing_ok=True)
            return 0, hasher
        if hasher is not None:
            with part.open("rb") as existing:
                while chunk := existing.read(HASH_CHUNK_BYTES):
                    self.check_cancel()
                    hasher.update(chunk)
        log.info("%s: resuming %s at byte %d", self.plan.ref, f.name, have)
        return have, hasher

    def _stream(self, response: http.client.HTTPResponse, part: Path, have: int, hasher: Any,
                f: RepoFile) -> None:
        """Append the body of ``response`` to ``part`` (or write it anew when ``have`` is 0)."""
        try:
            out = part.open("ab" if have else "wb")
        except OSError as e:
            raise DownloadError("write.failed", path=part, reason=os_error(e)) from e
        with out:
            while True:
                self.check_cancel()
                chunk = self._read(response, f)
                if not chunk:
                    return
                try:
                    out.write(chunk)
                except OSError as e:
                    raise DownloadError("download.write_failed", path=part, reason=os_error(e),
                                        hint=RESUME_HINT) from e
                if hasher is not None:
                    hasher.update(chunk)
                self.meter.advance(f.name, len(chunk))

    def _read(self, response: http.client.HTTPResponse, f: RepoFile) -> bytes:
        client = self.client
        try:
            chunk = response.read1(client.options.chunk_bytes)
        except TimeoutError as e:
            self.check_cancel()  # a cancel that came while the read waited wins
            check = Message("hub.check_connection", hint=RESUME_HINT)
            raise DownloadError("download.stalled", file=f.name, host=client.host,
                                seconds=client.options.read_timeout_s, check=check) from e
        except (OSError, http.client.HTTPException) as e:
            self.check_cancel()
            raise DownloadError("download.broken", host=client.host, file=f.name, detail=first_line(e),
                                hint=RESUME_HINT) from e
        if not chunk:
            self.check_cancel()
        return chunk

    def _place(self, part: Path, f: RepoFile, hasher: Any) -> None:
        """Move a complete, verified ``part`` into place; a damaged one is removed."""
        size = part.stat().st_size if part.exists() else 0
        if f.size is not None and size < f.size:
            raise DownloadError("download.ended_early", host=self.client.host, done=format_bytes(size),
                                total=format_bytes(f.size), file=f.name, hint=RESUME_HINT)
        damage = Message("download.size") if f.size is not None and size > f.size else None
        if hasher is not None and hasher.hexdigest() != f.sha256:
            damage = Message("download.sha256")
        if damage is not None:
            self._restart(part, size)
            raise DownloadError("download.damaged", file=f.name, ref=self.plan.ref, damage=damage,
                                hint=RETRY_HINT)
        with part.open("rb+") as done:
            os.fsync(done.fileno())
        os.replace(part, self.folder / f.name)


def _hasher(f: RepoFile) -> Any:
    return hashlib.sha256() if f.sha256 else None
