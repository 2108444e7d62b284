"""One transcript being written, whoever runs it: the window, ``livekr listen`` or ``transcribe``.

``TranscriptSession`` owns the utterances on one timeline, the autosave journal, the kept
audio and the export. It is the pipeline's event sink: ``handle(event)`` stores what must be
kept and returns the events a display should show (finals placed on the timeline, journal
failures added). Qt-free.

Each run (a Record/Stop in the window, a file, a ``listen``) restarts stream time at zero;
its finals are shifted to follow the runs before, so the transcript is one continuous
timeline and the kept audio lines up with it.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

from livekr.audio import AudioSource
from livekr.config import SAMPLE_RATE, SessionOptions
from livekr.events import Failure, FailureKind, Final, Finished, LevelChanged, Partial, PipelineEvent
from livekr.journal import Journal
from livekr.recording import AudioSpool, RecordingSource
from livekr.transcript import Transcript, Utterance, save

log = logging.getLogger(__name__)


class TranscriptSession:
    """Utterances, the file they were saved to, the journal and the kept audio.

    ``handle`` may be called from any thread (the command line passes it to the pipeline
    directly; the window calls it on the GUI thread); the other methods from one thread, while
    no run is active unless they say otherwise.
    """

    def __init__(self, options: SessionOptions | None = None, journal_dir: Path | None = None,
                 model: str = "") -> None:
        self.options = options or SessionOptions()
        self.journal_dir = journal_dir
        """Where the autosave journal goes; None: no journal (also when ``autosave`` is off)."""
        self.transcript = Transcript(model=model)
        self.path: Path | None = None
        """The file last saved to (its extension gives the format)."""
        self.dirty = False
        """True when there is text that is not in ``path``."""
        self.end_s = 0.0
        """Timeline position where the next run starts."""
        self.spool: AudioSpool | None = None
        self.failures: list[Failure] = []
        """Every failure reported during this session, in order."""
        self._lock = threading.RLock()
        self._journal: Journal | None = None
        self._running = False
        self._base_index = 0
        self._base_s = 0.0
        self._next_run_index = 0
        """Utterance index the pipeline will give next in this run (after the last final)."""
        self._run_position_s = 0.0
        """Stream time of the newest block of the running run."""

    # -- state ----------------------------------------------------------------------------

    @property
    def utterances(self) -> list[Utterance]:
        return self.transcript.utterances

    @property
    def journal(self) -> Journal | None:
        return self._journal

    @property
    def running(self) -> bool:
        return self._running

    # -- runs -----------------------------------------------------------------------------

    def begin_run(self, source: AudioSource, model: str) -> AudioSource:
        """Prepare for a run's events; returns the source to read (it records into the kept
        audio when ``keep_audio`` is on)."""
        with self._lock:
            self.transcript.model = model
            self._base_index = self.utterances[-1].index + 1 if self.utterances else 0
            self._base_s = self.end_s
            self._next_run_index = 0
            self._run_position_s = 0.0
            self._running = True
            if not self.options.keep_audio:
                if self.spool is not None:  # no longer wanted: it would not cover this run
                    self.spool.close(remove=True)
                    self.spool = None
                return source
            if self.spool is None:
                fd, name = tempfile.mkstemp(prefix="livekr-audio-", suffix=".pcm")
                os.close(fd)
                self.spool = AudioSpool(Path(name))
            self.spool.pad_to(round(self._base_s * SAMPLE_RATE))
            return RecordingSource(source, self.spool)

    def handle(self, event: PipelineEvent) -> list[PipelineEvent]:
        """Keep what ``event`` carries; returns what a display should show for it (any thread).

        A ``Final`` comes back with its utterance placed on the timeline, a ``LevelChanged``
        with timeline time; a journal that cannot be written adds a ``Failure``.
        """
        with self._lock:
            if isinstance(event, Final):
                return self._add_final(event)
            if isinstance(event, LevelChanged):
                self._run_position_s = event.time_s
                return [replace(event, time_s=self._base_s + event.time_s)]
            if isinstance(event, Partial):  # the pipeline never sends one after its final
                return [replace(event, utterance=self._base_index + event.utterance,
                                start_s=max(0.0, self._base_s + event.start_s),
                                end_s=max(0.0, self._base_s + event.end_s))]
            if isinstance(event, Failure):
                self.failures.append(event)
            elif isinstance(event, Finished):
                self.end_s = max(0.0, self._base_s + event.audio_s)
                self._running = False
            return [event]

    def _add_final(self, event: Final) -> list[PipelineEvent]:
        u = event.utterance
        self._next_run_index = max(self._next_run_index, u.index + 1)
        placed = replace(
            u,
            index=self._base_index + u.index,
            start_s=max(0.0, self._base_s + u.start_s),
            end_s=max(0.0, self._base_s + u.end_s),
        )
        self.transcript.add(placed)
        self.dirty = True
        out: list[PipelineEvent] = [replace(event, utterance=placed)]
        problem = self._journal_write(placed)
        if problem is not None:
            self.failures.append(problem)
            out.append(problem)
        return out

    def _journal_write(self, utterance: Utterance) -> Failure | None:
        if self.journal_dir is None or not self.options.autosave:
            return None
        try:
            if self._journal is None:
                self._journal = Journal.open_new(self.journal_dir, self.transcript.model)
            self._journal.append(utterance)
        except OSError as e:
            log.warning("cannot write the autosave journal: %s", e)
            return Failure(f"autosave journal: {e}; the text is kept in memory, save it soon",
                           FailureKind.JOURNAL)
        return None

    # -- the transcript as a file --------------------------------------------------------

    def recover(self, transcript: Transcript) -> None:
        """Take over the utterances of an unfinished session (re-journaled at once)."""
        with self._lock:
            for utterance in transcript.utterances:
                self.transcript.add(utterance)
                problem = self._journal_write(utterance)
                if problem is not None:
                    self.failures.append(problem)
            if transcript.model and not self.transcript.model:
                self.transcript.model = transcript.model
            self.end_s = max([self.end_s, *(u.end_s for u in transcript.utterances)])
            self.dirty = bool(self.utterances)

    def save(self, path: Path) -> Path | None:
        """Save atomically in the format of ``path``'s extension; with kept audio, also write
        ``path`` with ``.flac`` and return that path."""
        with self._lock:
            save(self.transcript, path)
            self.path = path
            self.dirty = False
            spool = self.spool
        if spool is None or not spool.samples:
            return None
        return spool.export_flac(path.with_suffix(".flac"))

    def clear(self) -> None:
        """Forget the text so far (the caller has confirmed); the journal is removed.

        During a run the timeline restarts at this moment: the next utterance starts near
        0 s with index 0, and the kept audio restarts here too, so audio and text still line
        up (any thread, like ``handle``)."""
        with self._lock:
            self._close_journal(clean=True)
            model = self.transcript.model
            self.transcript = Transcript(model=model)
            self.path = None
            self.dirty = False
            self.end_s = 0.0
            if not self._running:
                if self.spool is not None:
                    self.spool.close(remove=True)
                    self.spool = None
                return
            run_samples = round(self._run_position_s * SAMPLE_RATE)
            if self.spool is not None:
                run_samples = self.spool.restart() - round(self._base_s * SAMPLE_RATE)
            self._base_s = -run_samples / SAMPLE_RATE
            self._base_index = -self._next_run_index

    def close(self, clean: bool = True) -> None:
        """End the transcript: ``clean`` means saved or discarded, so the journal goes too;
        otherwise it stays for recovery at the next start."""
        with self._lock:
            self._close_journal(clean)
            if self.spool is not None:
                self.spool.close(remove=True)
                self.spool = None

    def _close_journal(self, clean: bool) -> None:
        if self._journal is not None:
            self._journal.close(clean=clean)
            self._journal = None
