"""The transcript being written: utterances on one timeline, its file, journal and audio.

Qt-free; used from the GUI thread only. Each Record/Stop session restarts stream time at
zero, so a session's finals are shifted to follow the previous sessions: the document is
one continuous timeline, and the kept audio (if any) lines up with it.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import replace
from pathlib import Path

from livekr.config import SAMPLE_RATE
from livekr.export import save
from livekr.gui.recording import AudioSpool
from livekr.journal import Journal
from livekr.transcript import Transcript, Utterance

log = logging.getLogger(__name__)


class Document:
    """Utterances, the file they were saved to, whether that is current, and the journal."""

    def __init__(self, journal_dir: Path) -> None:
        self.journal_dir = journal_dir
        self.transcript = Transcript()
        self.path: Path | None = None
        """The file last saved to (its extension gives the format)."""
        self.dirty = False
        """True when there is text that is not in ``path``."""
        self.end_s = 0.0
        """Timeline position where the next session starts."""
        self.spool: AudioSpool | None = None
        self.journal_problem = ""
        """Why the journal could not be written (shown once), or empty."""
        self._journal: Journal | None = None
        self._base_index = 0
        self._base_s = 0.0

    @property
    def utterances(self) -> list[Utterance]:
        return self.transcript.utterances

    @property
    def journal(self) -> Journal | None:
        return self._journal

    def begin_session(self, model: str, keep_audio: bool) -> AudioSpool | None:
        """Prepare for a session's finals; returns the spool to record into, if keeping audio."""
        self.transcript.model = model
        self._base_index = self.utterances[-1].index + 1 if self.utterances else 0
        self._base_s = self.end_s
        if not keep_audio:
            if self.spool is not None:  # no longer wanted: it would not cover this session
                self.spool.close(remove=True)
                self.spool = None
            return None
        if self.spool is None:
            fd, name = tempfile.mkstemp(prefix="livekr-audio-", suffix=".pcm")
            os.close(fd)
            self.spool = AudioSpool(Path(name))
        self.spool.pad_to(round(self._base_s * SAMPLE_RATE))
        return self.spool

    def add_final(self, utterance: Utterance) -> Utterance:
        """Place a session's utterance on the document timeline, keep and journal it."""
        placed = replace(
            utterance,
            index=self._base_index + utterance.index,
            start_s=self._base_s + utterance.start_s,
            end_s=self._base_s + utterance.end_s,
        )
        self.transcript.add(placed)
        self.dirty = True
        self._journal_write(placed)
        return placed

    def end_session(self, audio_s: float) -> None:
        """The session that began at ``begin_session`` covered ``audio_s`` of stream time."""
        self.end_s = self._base_s + audio_s

    def _journal_write(self, utterance: Utterance) -> None:
        try:
            if self._journal is None:
                self._journal = Journal.open_new(self.journal_dir, self.transcript.model)
            self._journal.append(utterance)
        except OSError as e:
            log.warning("cannot write the autosave journal: %s", e)
            self.journal_problem = f"autosave journal: {e}"

    def recover(self, transcript: Transcript) -> None:
        """Take over the utterances of an unfinished session (re-journaled at once)."""
        for utterance in transcript.utterances:
            self.transcript.add(utterance)
            self._journal_write(utterance)
        if transcript.model and not self.transcript.model:
            self.transcript.model = transcript.model
        self.end_s = max([self.end_s, *(u.end_s for u in transcript.utterances)])
        self.dirty = bool(self.utterances)

    def save(self, path: Path) -> Path | None:
        """Save atomically in the format of ``path``'s extension; with kept audio, also write
        ``path`` with ``.flac`` and return that path."""
        save(self.transcript, path)
        self.path = path
        self.dirty = False
        if self.spool is None or not self.spool.samples:
            return None
        return self.spool.export_flac(path.with_suffix(".flac"))

    def clear(self) -> None:
        """Forget everything (the caller has confirmed); the journal is removed."""
        self.close(clean=True)
        model = self.transcript.model
        self.transcript = Transcript(model=model)
        self.path = None
        self.dirty = False
        self.end_s = 0.0

    def close(self, clean: bool = True) -> None:
        """End the document: ``clean`` means saved or discarded, so the journal goes too."""
        if self._journal is not None:
            self._journal.close(clean=clean)
            self._journal = None
        if self.spool is not None:
            self.spool.close(remove=True)
            self.spool = None
