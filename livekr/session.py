"""One transcript being written, whoever runs it: the window, ``livekr listen`` or ``transcribe``.

``TranscriptSession`` owns the utterances on one timeline, the autosave journal, the kept
audio and the export. It is the pipeline's event sink: ``handle(event)`` stores what must be
kept and returns the events a display should show (finals placed on the timeline, journal
failures added). The user's corrections go through ``edit`` (journaled like finals) and out
as training data through ``export_corrections``. Qt-free.

Each run (a Record/Stop in the window, a file, a ``listen``) restarts stream time at zero;
its finals are shifted to follow the runs before, so the transcript is one continuous
timeline and the kept audio lines up with it.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from livekr.audio import AudioSource
from livekr.config import SAMPLE_RATE, SessionOptions
from livekr.corrections import CorrectionsReport, export_corrections
from livekr.events import Failure, FailureKind, Final, Finished, LevelChanged, Partial, PipelineEvent
from livekr.export import save
from livekr.journal import Journal
from livekr.messages import Message, os_error
from livekr.recording import AudioSpool, RecordingSource
from livekr.transcript import Transcript, Utterance

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EditResult:
    """What ``TranscriptSession.edit`` did."""

    utterance: Utterance
    """The utterance as it is now (unchanged when the text was the same)."""
    failure: Failure | None
    """The journal could not record the edit (it is kept in memory and retried at the next
    write); also in ``failures``. None when it is on disk or there is no journal."""


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
        self._journaled = 0
        """How many of the utterances were handed to the journal (the rest catch up)."""
        self._running = False
        self._base_index = 0
        self._base_s = 0.0
        self._next_run_index = 0
        """Utterance index the pipeline will give next in this run (after the last final)."""
        self._run_position_s = 0.0
        """Stream time of the newest block of the running run."""
        self._run_source = ""
        """The ``source`` of the running run's utterances."""

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

    def begin_run(self, source: AudioSource, model: str, name: str = "") -> AudioSource:
        """Prepare for a run's events; returns the source to read (it records into the kept
        audio when ``keep_audio`` is on). ``name``: the file the run transcribes, given to its
        utterances as their ``source`` ("" for dictation)."""
        with self._lock:
            self.transcript.model = model
            self._run_source = name
            self._base_index = self.utterances[-1].index + 1 if self.utterances else 0
            self._base_s = self.end_s
            self._next_run_index = 0
            self._run_position_s = 0.0
            self._running = True
            self._catch_up_journal()  # opened now, so the kept audio can live beside it
            if not self.options.keep_audio:
                if self.spool is not None:  # no longer wanted: it would not cover this run
                    self.spool.close(remove=True)
                    self.spool = None
                return source
            if self.spool is None:
                self.spool = AudioSpool(self._new_spool_path())
            self.spool.pad_to(round(self._base_s * SAMPLE_RATE))
            return RecordingSource(source, self.spool)

    def _new_spool_path(self) -> Path:
        """Beside the journal (recovered with it after a crash), else a temporary file."""
        if self._journal is not None:
            return self._journal.spool_path
        fd, name = tempfile.mkstemp(prefix="livekr-audio-", suffix=".pcm")
        os.close(fd)
        return Path(name)

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
            source=self._run_source,
        )
        self.transcript.add(placed)
        self.dirty = True
        out: list[PipelineEvent] = [replace(event, utterance=placed)]
        problem = self._catch_up_journal()
        if problem is not None:
            self.failures.append(problem)
            out.append(problem)
        return out

    @property
    def _journaling(self) -> bool:
        return self.journal_dir is not None and self.options.autosave

    def _catch_up_journal(self) -> Failure | None:
        """Open the journal if there is none yet and hand it every utterance it lacks; a
        failure is reported once per failing write and retried at the next final."""
        if not self._journaling:
            return None
        try:
            if self._journal is None:
                self._journal = Journal.open_new(self.journal_dir, self.transcript.model)
                self._journaled = 0
            while self._journaled < len(self.utterances):
                self._journaled += 1  # handed over: a failed write stays pending in the journal
                self._journal.append(self.utterances[self._journaled - 1])
        except OSError as e:
            log.warning("cannot write the autosave journal: %s", e)
            return Failure(Message("session.journal_failed", error=os_error(e, str(e))), FailureKind.JOURNAL)
        return None

    # -- edits ---------------------------------------------------------------------------

    def edit(self, index: int, text: str) -> EditResult:
        """Replace the text of the utterance numbered ``index`` with the user's ``text`` and
        journal the edit (any thread, like ``handle``; also during a run).

        The utterance keeps its times and is marked ``edited``; its per-character spans are
        dropped. An empty text keeps it in the transcript, out of every export. Saves, the
        journal's recovery and ``export_corrections`` all see the edited text. Raises
        ``KeyError`` when the transcript holds no utterance ``index``.
        """
        with self._lock:
            position = self.transcript.position(index)
            previous = self.utterances[position]
            edited = self.transcript.edit(index, text)
            if edited is previous:
                return EditResult(edited, None)
            self.dirty = True
            problem = self._journal_edit(index, text, handed=position < self._journaled)
            if problem is not None:
                self.failures.append(problem)
            return EditResult(edited, problem)

    def _journal_edit(self, index: int, text: str, handed: bool) -> Failure | None:
        """Write the edit of an utterance the journal already has (``handed``); one it has
        not had yet goes to it edited, with the rest, by ``_catch_up_journal``."""
        if not self._journaling:
            return None
        if handed and self._journal is not None:
            try:
                self._journal.append_edit(index, text)
            except OSError as e:
                log.warning("cannot write an edit to the autosave journal: %s", e)
                return Failure(Message("session.edit_journal_failed", error=os_error(e, str(e))),
                               FailureKind.JOURNAL)
        return self._catch_up_journal()

    # -- the transcript as a file --------------------------------------------------------

    def adopt(self, journal: Journal) -> None:
        """Continue an unfinished session: its journal (from ``Journal.adopt``) becomes this
        session's, with its text and its kept audio, which new runs extend. Only into an
        empty session that is not running."""
        with self._lock:
            if self.utterances or self._running:
                raise ValueError(Message("session.recover_not_empty"))
            self._close_journal(clean=True)
            if self.spool is not None:
                self.spool.close(remove=True)
                self.spool = None
            recovered = journal.recovered
            model = recovered.model or self.transcript.model
            self.transcript = Transcript(list(recovered.utterances), model=model)
            self._journal = journal
            self._journaled = len(self.utterances)
            audio_s = 0.0
            if journal.spool_path.exists():
                self.spool = AudioSpool(journal.spool_path)
                audio_s = self.spool.samples / SAMPLE_RATE
            self.end_s = max([audio_s, *(u.end_s for u in self.utterances)])
            self.dirty = bool(self.utterances)

    def save(self, path: Path) -> Path | None:
        """Save atomically in the format of ``path``'s extension; with kept audio, also write
        ``path`` with ``.flac`` and return that path. Raises ``OSError`` (``OutputError``)."""
        with self._lock:
            save(self.transcript, path)
        self.mark_saved(path)
        return self.export_audio(path.with_suffix(".flac"))

    def mark_saved(self, path: Path) -> None:
        """The transcript as it is now was written to ``path`` (by ``save`` or the caller)."""
        with self._lock:
            self.path = path
            self.dirty = False

    def export_audio(self, target: Path) -> Path | None:
        """The kept audio as FLAC at ``target``, or None when no audio is kept."""
        with self._lock:
            spool = self.spool
        if spool is None or not spool.samples:
            return None
        return spool.export_flac(target)

    def export_corrections(self, target_dir: Path, only_edited: bool = False) -> CorrectionsReport | None:
        """Every utterance with text (or only the edited ones) as a clip of the kept audio in
        ``target_dir/clips/``, listed with its text in ``target_dir/manifest.jsonl`` for
        ``livekr-train --train_data``; None when no audio is kept. Raises ``OSError``."""
        with self._lock:
            spool = self.spool
            utterances = list(self.utterances)
        if spool is None or not spool.samples:
            return None
        spool.flush()
        return export_corrections(utterances, spool.path, target_dir, only_edited)

    def clear(self) -> None:
        """Forget the text so far (the caller has confirmed). Its journal, with its kept
        audio, is discarded: recoverable for a while, as "No" to a recovery offer is.

        During a run the timeline restarts at this moment: the next utterance starts near
        0 s with index 0, and the kept audio restarts here too, so audio and text still line
        up (any thread, like ``handle``)."""
        with self._lock:
            old_journal, self._journal = self._journal, None
            self.transcript = Transcript(model=self.transcript.model)
            self._journaled = 0
            self.path = None
            self.dirty = False
            self.end_s = 0.0
            if not self._running:
                if self.spool is not None:
                    self.spool.close(remove=old_journal is None)
                    self.spool = None
                self._retire(old_journal)
                return
            self._catch_up_journal()
            run_samples = round(self._run_position_s * SAMPLE_RATE)
            if self.spool is not None:
                run_samples = self.spool.restart(self._new_spool_path(), remove=old_journal is None)
                run_samples -= round(self._base_s * SAMPLE_RATE)
            self._retire(old_journal)
            self._base_s = -run_samples / SAMPLE_RATE
            self._base_index = -self._next_run_index

    def _retire(self, journal: Journal | None) -> None:
        """Discard ``journal`` (its spool closed already) into the recoverable folder."""
        if journal is None or journal.closed:
            return
        try:
            journal.discard()
        except OSError as e:
            log.warning("cannot move the cleared journal aside: %s", e)
            journal.close(clean=False)

    def close(self, clean: bool = True) -> None:
        """End the transcript. ``clean``: the user is done with it, so a saved transcript's
        journal is removed and an unsaved one's is discarded (recoverable for a while); not
        ``clean`` (a forced close): the journal stays, to be offered at the next start."""
        with self._lock:
            discard = clean and self.dirty and bool(self.utterances)
            if self.spool is not None:
                self.spool.close(remove=(clean and not discard) or self._journal is None)
                self.spool = None
            if discard and self._journal is not None:
                self._retire(self._journal)
                self._journal = None
            self._close_journal(clean)

    def _close_journal(self, clean: bool) -> None:
        if self._journal is not None:
            self._journal.close(clean=clean)
            self._journal = None
