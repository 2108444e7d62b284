"""StreamingTranscriber: source → segmenter → recognizer → events.

Two threads: the reader pulls blocks from the source and segments them, so reading never
waits for the model; the worker owns the recognizer. Finals are queued and always decoded,
in order (``FinalsBacklog``: bounded in memory, spilled to a temporary file beyond that; a
file's finals several at a time, ``side_by_side``); partials are requested while speech
continues (``cadence``) and the newest request replaces an older one that has not started.
Events go to one callback, called from those threads.
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np

from livekr.audio import AudioError, AudioSource
from livekr.backlog import BACKLOG_MEMORY_BYTES, FinalsBacklog, Job
from livekr.cadence import partial_due
from livekr.config import SAMPLE_RATE, EncodingOptions, PipelineOptions, SegmenterOptions
from livekr.decoder import Decoder
from livekr.encoding import UtteranceEncoder
from livekr.events import (
    EventSink,
    Failure,
    FailureKind,
    Final,
    Finished,
    LevelChanged,
    Partial,
    PipelineEvent,
    Stats,
)
from livekr.messages import Message, reason
from livekr.recognizer import Recognition, Recognizer
from livekr.segmenter import Level, Segmenter, SegmentEvent, SpeechEnded, SpeechStarted
from livekr.side_by_side import SideBySide, side_by_side_count
from livekr.stop_signals import StopSignals
from livekr.transcript import Utterance

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 0.1
"""How long the reader waits for a block before it looks at the stop flag again."""
RTF_SMOOTHING = 0.3
"""Weight of the newest measurement in the running real-time factor."""
RUN_POLL_S = 0.1
"""How often ``run()`` looks whether the session finished or a stop signal came."""


class StreamingTranscriber:
    """Runs one session: ``start()``, then ``stop()`` (or let the source end), then ``wait()``.

    ``on_event`` is called from the reader thread (levels, stats, read errors) and from the
    worker thread (partials, finals, recognition errors, ``Finished``); it must be quick and
    thread-safe (a Qt signal emit or a locked write). Queued finals keep at most
    ``backlog_memory_bytes`` of audio in memory; the rest waits in a temporary file.
    """

    def __init__(
        self,
        source: AudioSource,
        recognizer: Recognizer,
        on_event: EventSink,
        segmenter_options: SegmenterOptions | None = None,
        options: PipelineOptions | None = None,
        encoding: EncodingOptions | None = None,
        decoder: Decoder | None = None,
        backlog_memory_bytes: int = BACKLOG_MEMORY_BYTES,
    ) -> None:
        self.source = source
        self.recognizer = recognizer
        self.options = options or PipelineOptions()
        self.encoder = UtteranceEncoder(recognizer, encoding, live=source.live, decoder=decoder)
        """Whole or windowed encoding (worker thread; the reader only reads its window clock)."""
        self.segmenter = Segmenter(segmenter_options)
        self._on_event = on_event
        self._cond = threading.Condition()
        self._finals = FinalsBacklog(backlog_memory_bytes)
        self._partial: Job | None = None
        self._input_done = False
        self._stop_requested = threading.Event()
        self._abandon_requested = threading.Event()
        self.stopped_by: str | None = None
        """Name of the signal that stopped ``run()`` (e.g. "SIGINT"), else None."""
        self._utterance = -1
        self._ended_utterance = -1
        self._last_partial_request = 0
        self._windows_requested = 0  # windows of the current utterance asked for (reader)
        self._forward_per_audio_s = 0.0  # running forward time per second of audio (worker)
        self._partials_skipped = 0
        self._partial_shown = -1  # utterance whose partial was sent last (worker thread)
        self._last_latency_s = 0.0
        self._finals_emitted = 0
        self._next_stats_sample = 0
        self.parallel_finals = side_by_side_count(self.options, recognizer, source.live,
                                                  self.encoder.windowed)
        """Finals decoded at the same time (files only; see ``PipelineOptions.parallel_finals``)."""
        self._side_by_side: SideBySide | None = None
        self._reader = threading.Thread(target=self._read_loop, name="livekr-reader", daemon=True)
        self._worker = threading.Thread(target=self._work_loop, name="livekr-worker", daemon=True)
        self.finished = threading.Event()
        """Set after the ``Finished`` event was sent."""

    # -- control (any thread) -------------------------------------------------------

    def start(self) -> None:
        self._reader.start()
        self._worker.start()

    def stop(self) -> None:
        """Stop capturing; everything already captured is still segmented and decoded.

        The reader stops waiting for the source at once: it reads what the source had
        already captured, without waiting for more. May come before the source has started
        (it is then never started).
        """
        self._stop_requested.set()
        self.source.stop()
        with self._cond:
            self._cond.notify_all()

    def abandon(self) -> None:
        """Stop, and give up the utterances not yet decoded: the session finishes after the
        forward pass in progress, with a ``Failure`` saying how much speech was left out."""
        self._abandon_requested.set()
        self.stop()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the session has finished; True if it did within ``timeout_s``."""
        return self.finished.wait(timeout_s)

    def run(self) -> None:
        """Start, and wait until the session has finished (the source ended, or ``stop()``).

        Called from the main thread, it also turns stop signals (SIGINT, i.e. Ctrl-C,
        SIGTERM, SIGHUP; see ``StopSignals``) into ``stop()``: what was captured is still
        decoded, and ``stopped_by`` names the signal. A second one calls ``abandon()``.
        After a stop by signal the stop signals stay ignored when this returns.
        """
        with StopSignals() as signals:
            self.start()
            while not self.wait(RUN_POLL_S):
                for name in signals.take():
                    self._on_stop_signal(name)
            for name in signals.take():  # came as the session finished
                self._on_stop_signal(name)

    def _on_stop_signal(self, name: str) -> None:
        if self.stopped_by is not None:
            self.abandon()
            return
        self.stopped_by = name
        with self._cond:
            pending, samples = len(self._finals), self._finals.samples
        if pending:
            log.warning(
                "%s: stopping; %d utterances (%.0f s) are still to be decoded; a second Ctrl-C abandons them",
                name,
                pending,
                samples / SAMPLE_RATE,
            )
        self.stop()

    # -- reader thread --------------------------------------------------------------

    def _emit(self, event: PipelineEvent) -> None:
        try:
            self._on_event(event)
        except Exception:
            log.exception("event handler failed on %s", type(event).__name__)

    def _read_loop(self) -> None:
        try:
            if not self._stop_requested.is_set():
                self.source.start()
            while (block := self._next_block()) is not None:
                self._handle(self.segmenter.feed(block))
                self._after_block()
        except AudioError as e:
            self._emit(Failure(reason(e), FailureKind.INPUT))
        except Exception as e:
            log.exception("reading audio failed")
            self._emit(Failure(Message("pipeline.read_failed", error=reason(e)), FailureKind.INPUT))
        finally:
            try:
                self._handle(self.segmenter.flush())
            finally:
                self.source.stop()
                with self._cond:
                    self._input_done = True
                    self._cond.notify_all()

    def _next_block(self) -> np.ndarray | None:
        """The source's next non-empty block, or None when it has ended.

        Once a stop is requested, only what the source has already captured is read: a
        live source is never waited for again, whether or not it has stopped delivering.
        """
        while True:
            if self._stop_requested.is_set():
                block = self.source.read(0.0)
                return block if block is not None and block.size else None
            block = self.source.read(READ_TIMEOUT_S)
            if block is None or block.size:
                return block

    def _handle(self, events: list[SegmentEvent]) -> None:
        now = time.monotonic()
        for ev in events:
            if isinstance(ev, Level):
                self._emit(LevelChanged(ev.sample / SAMPLE_RATE, ev.rms_db, ev.peak, ev.speech))
            elif isinstance(ev, SpeechStarted):
                with self._cond:
                    self._utterance += 1
                self._last_partial_request = ev.start_sample
                self._windows_requested = 0
            elif isinstance(ev, SpeechEnded):
                job = Job(self._utterance, ev.start_sample, ev.end_sample, ev.audio, now)
                with self._cond:
                    self._ended_utterance = self._utterance
                    self._finals.append(job)
                    if self._partial is not None and self._partial.utterance == job.utterance:
                        self._partial = None
                    self._cond.notify_all()

    def _after_block(self) -> None:
        if self.options.partials or self.encoder.windowed:
            self._maybe_request_partial()
        seg = self.segmenter
        if seg.position >= self._next_stats_sample:
            self._next_stats_sample = seg.position + int(self.options.stats_interval_s * SAMPLE_RATE)
            self._emit(self.stats())
        if not self.source.live:
            pending_limit = max(self.options.max_pending_finals, 2 * self.parallel_finals)
            with self._cond:
                while len(self._finals) >= pending_limit and not self._stop_requested.is_set():
                    self._cond.wait(READ_TIMEOUT_S)

    def _maybe_request_partial(self) -> None:
        """Ask for a partial of the utterance so far when ``partial_due`` says so, or (when
        encoding in windows) for the windows that have become complete."""
        seg = self.segmenter
        start = seg.utterance_start
        if start is None:
            return
        samples = seg.position - start
        span = self.encoder.window_samples  # what one pass costs: a window, or all of it
        due = self.options.partials and partial_due(
            self.options,
            samples if span is None else min(samples, span),
            seg.trailing_silence_samples,
            seg.position - self._last_partial_request,
            self._forward_per_audio_s,
        )
        windows = self.encoder.clock.windows_complete(samples) if self.encoder.windowed else 0
        if not due and windows <= self._windows_requested:
            return
        audio = seg.current_audio()
        if audio is None or not audio.size:
            return
        self._windows_requested = windows
        if due:
            self._last_partial_request = seg.position
        job = Job(self._utterance, start, start + audio.size, audio, time.monotonic())
        with self._cond:
            if self._partial is not None:
                self._partials_skipped += 1
            self._partial = job
            self._cond.notify_all()

    def _measured(self, forward_s: float, audio_samples: int) -> None:
        """Fold one forward pass into the running forward-time-per-audio estimate (worker)."""
        if audio_samples <= 0:
            return
        rate = forward_s / max(audio_samples / SAMPLE_RATE, 1e-3)
        previous = self._forward_per_audio_s
        self._forward_per_audio_s = (
            rate if previous == 0.0 else RTF_SMOOTHING * rate + (1 - RTF_SMOOTHING) * previous
        )

    def stats(self) -> Stats:
        """A snapshot of backlog, drops and speed (any thread)."""
        with self._cond:
            backlog = self._finals.samples / SAMPLE_RATE
            pending = len(self._finals)
            spilled = self._finals.spilled
            skipped = self._partials_skipped
        return Stats(
            time_s=self.segmenter.position / SAMPLE_RATE,
            backlog_s=backlog,
            pending_finals=pending,
            dropped_blocks=self.source.dropped_blocks,
            status_errors=self.source.status_errors,
            rtf=self._forward_per_audio_s,
            last_latency_s=self._last_latency_s,
            partials_skipped=skipped,
            spilled_finals=spilled,
        )

    # -- worker thread --------------------------------------------------------------

    def _next_job(self) -> tuple[list[Job], bool] | None:
        """The next jobs and whether they are finals (up to ``parallel_finals`` of them, in
        order, as many as are queued; a partial comes alone); None when input is done and all
        decoded, or when the session was abandoned. Raises ``OSError`` if a spilled final's
        audio cannot be read back (that final is gone)."""
        with self._cond:
            while (
                not self._finals
                and self._partial is None
                and not self._input_done
                and not self._abandon_requested.is_set()
            ):
                self._cond.wait()
            if self._abandon_requested.is_set():
                return None
            if self._finals:
                self._cond.notify_all()
                jobs = [self._finals.popleft()]
                while self._finals and len(jobs) < self.parallel_finals:
                    jobs.append(self._finals.popleft())
                return jobs, True
            if self._partial is not None:
                job, self._partial = self._partial, None
                return [job], False
            return None

    def _work_loop(self) -> None:
        try:
            while True:
                try:
                    item = self._next_job()
                except OSError as e:
                    log.exception("reading back queued audio failed")
                    self._emit(Failure(Message("pipeline.spill_unreadable", error=reason(e))))
                    continue
                if item is None:
                    break
                jobs, is_final = item
                if is_final and len(jobs) > 1:
                    self._finalize_together(jobs)
                    continue
                try:
                    if is_final:
                        self._finalize(jobs[0])
                    else:
                        self._decode_partial(jobs[0])
                except Exception as e:
                    self._recognition_failed(jobs[0], e)
        finally:
            if self._side_by_side is not None:
                self._side_by_side.close()
            self._drop_abandoned()
            self._emit(self.stats())
            self._emit(Finished(self._finals_emitted, self.segmenter.position / SAMPLE_RATE))
            self.finished.set()

    def _drop_abandoned(self) -> None:
        """After ``abandon()``: wait for the reader to end, drop what is queued, say so."""
        dropped = samples = 0
        with self._cond:
            if self._abandon_requested.is_set():
                self._cond.wait_for(lambda: self._input_done)
                dropped, samples = self._finals.clear()
                self._partial = None
            self._finals.close()
        if dropped:
            self._emit(Failure(Message("pipeline.dropped", count=dropped, seconds=samples / SAMPLE_RATE)))

    def _recognition_failed(self, job: Job, error: Exception) -> None:
        log.error("recognition failed", exc_info=error)
        span = f"{job.start_sample / SAMPLE_RATE:.1f}-{job.end_sample / SAMPLE_RATE:.1f} s"
        message = Message("pipeline.recognition_failed", span=span, error=reason(error))
        self._emit(Failure(message, FailureKind.RECOGNITION))

    def _finalize_together(self, jobs: list[Job]) -> None:
        """Decode finished utterances side by side; their finals go out in order, and a
        failure costs only its own utterance."""
        if self._side_by_side is None:
            self._side_by_side = SideBySide(self.parallel_finals, self.encoder.whole)
        for job, outcome in zip(jobs, self._side_by_side.decode([j.audio for j in jobs]), strict=True):
            if isinstance(outcome, Exception):
                self._recognition_failed(job, outcome)
                continue
            self._measured(outcome.forward_s, job.audio.size)
            self._deliver(job, outcome)

    def _finalize(self, job: Job) -> None:
        result = self.encoder.final(job.utterance, job.audio)
        self._measured(result.forward_s, self.encoder.last_encoded_samples)
        self._deliver(job, result)

    def _deliver(self, job: Job, result: Recognition) -> None:
        """Send ``job``'s final (or take its partial back when it has no text)."""
        if not result.text:
            if self._partial_shown == job.utterance:  # take back the provisional text
                self._emit(
                    Partial(job.utterance, job.start_sample / SAMPLE_RATE, job.end_sample / SAMPLE_RATE, "")
                )
            return
        utterance = Utterance(
            index=job.utterance,
            start_s=job.start_sample / SAMPLE_RATE,
            end_s=job.end_sample / SAMPLE_RATE,
            text=result.text,
            confidence=result.confidence,
            chars=result.chars,
        )
        latency = time.monotonic() - job.detected_at
        self._last_latency_s = latency
        self._finals_emitted += 1
        self._emit(Final(utterance, latency, result.forward_s))

    def _decode_partial(self, job: Job) -> None:
        with self._cond:
            if job.utterance <= self._ended_utterance:
                return
        if not self.options.partials:  # a window request: encode, show nothing
            self._measured(self.encoder.advance(job.utterance, job.audio), self.encoder.last_encoded_samples)
            return
        result = self.encoder.partial(job.utterance, job.audio)
        self._measured(result.forward_s, self.encoder.last_encoded_samples)
        with self._cond:
            if job.utterance <= self._ended_utterance:
                return
        self._partial_shown = job.utterance
        self._emit(
            Partial(job.utterance, job.start_sample / SAMPLE_RATE, job.end_sample / SAMPLE_RATE, result.text)
        )
