"""The one owner of the window's threads: model loading and the dictation session.

``Dictation`` holds the recognizer, the document and at most one running ``Session``. It
turns the session's events into document changes and re-emits what the widgets need,
always on the GUI thread. A model switch during a session stops it (everything captured
is still decoded with the old model) and starts a new one with the new model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal, Slot

from livekr.audio import AudioError, AudioSource
from livekr.config import RecognizerOptions
from livekr.events import Failure, Final, Finished, LevelChanged, Partial, Stats
from livekr.gui.document import Document
from livekr.gui.model_loader import LoadFunction, ModelLoader
from livekr.gui.qtcompat import emit
from livekr.gui.recording import RecordingSource
from livekr.gui.session import Session
from livekr.gui.settings import AppSettings
from livekr.models import remember_model
from livekr.recognizer import Recognizer

log = logging.getLogger(__name__)

SourceFactory = Callable[[str], AudioSource]
"""Builds the audio source for a session from the chosen input device name ("" = default)."""


class Dictation(QObject):
    """Sessions, model loads and the document; lives in the GUI thread."""

    partial = Signal(str)
    """Provisional text of the utterance in progress ("" clears it)."""
    final = Signal(object)
    """An ``Utterance`` placed on the document timeline."""
    level = Signal(float, bool, float)
    """(rms dBFS, speech, document time in s) of the newest block."""
    stats = Signal(object)
    """``Stats`` of the running session."""
    problem = Signal(str)
    """Something went wrong (a ``Failure`` or a source that cannot open); text is kept."""
    running_changed = Signal(bool)
    finished = Signal(object)
    """``Finished`` of the session that just ended."""
    model_loading = Signal(str)
    model_ready = Signal(str, str)
    """(ref, device label)."""
    model_failed = Signal(str, str)
    """(ref, reason); the previous model (if any) stays in use."""
    loading_finished = Signal()
    """No model load runs or waits any more."""
    idle = Signal()
    """No session and no model load is running any more."""

    def __init__(
        self,
        source_factory: SourceFactory,
        load_model: LoadFunction,
        document: Document,
        settings: AppSettings,
        recognizer: Recognizer | None = None,
        model_ref: str = "",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.settings = settings
        self.recognizer = recognizer
        self.model_ref = model_ref or (recognizer.name if recognizer is not None else "")
        self.input_device = settings.input_device
        self.recognizer_override = RecognizerOptions()
        """Device/dtype given on the command line; "auto" fields fall back to the settings."""
        self._source_factory = source_factory
        self._session: Session | None = None
        self._restart_after_finish = False
        self._last_final_utterance = -1
        self.loader = ModelLoader(load_model, self)
        self.loader.started.connect(self.model_loading)
        self.loader.loaded.connect(self._on_loader_loaded)
        self.loader.failed.connect(self.model_failed)
        self.loader.idle.connect(self._on_loader_idle)

    # -- state --------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._session is not None

    @property
    def stopping(self) -> bool:
        return self._session is not None and self._session.stopping

    @property
    def busy(self) -> bool:
        return self.running or self.loader.busy

    def recognizer_options(self) -> RecognizerOptions:
        base = self.settings.recognizer_options()
        over = self.recognizer_override
        return RecognizerOptions(
            device=over.device if over.device != "auto" else base.device,
            dtype=over.dtype if over.dtype != "auto" else base.dtype,
        )

    # -- models -------------------------------------------------------------------------

    def load_model(self, ref: str) -> None:
        """Load ``ref`` off the GUI thread; ``model_ready`` or ``model_failed`` follows."""
        self.loader.load(ref, self.recognizer_options())

    @Slot(str, object)
    def _on_loader_loaded(self, ref: str, recognizer: Recognizer) -> None:
        switching = self._session is not None
        self.recognizer = recognizer
        self.model_ref = ref
        remember_model(ref)
        if switching:  # the running session drains with the old model, then restarts
            self.stop()
            self._restart_after_finish = True
        emit(self.model_ready, ref, recognizer.device_label)

    @Slot()
    def _on_loader_idle(self) -> None:
        emit(self.loading_finished)
        if not self.busy:
            emit(self.idle)

    # -- sessions -----------------------------------------------------------------------

    def start(self) -> bool:
        """Start a session with the current model and input; False (and ``problem``) if not."""
        if self._session is not None:
            return False
        if self.recognizer is None:
            return False
        try:
            source = self._source_factory(self.input_device)
        except AudioError as e:
            emit(self.problem, str(e))
            return False
        spool = self.document.begin_session(self.model_ref, self.settings.keep_audio)
        if spool is not None:
            source = RecordingSource(source, spool)
        session = Session(source, self.recognizer, self.settings.segmenter_options(),
                          self.settings.pipeline_options(), parent=self)
        session.partial.connect(self._on_session_partial)
        session.final.connect(self._on_session_final)
        session.level.connect(self._on_session_level)
        session.stats.connect(self._on_session_stats)
        session.error.connect(self._on_session_error)
        session.finished.connect(self._on_session_finished)
        self._session = session
        self._last_final_utterance = -1
        session.start()
        emit(self.running_changed, True)
        return True

    def stop(self) -> None:
        """Stop capturing; finals of what was captured still arrive, then ``finished``.

        Also cancels a restart that a model switch had planned."""
        self._restart_after_finish = False
        if self._session is not None and not self._session.stopping:
            self._session.stop()
            emit(self.running_changed, True)

    @Slot(object)
    def _on_session_partial(self, event: Partial) -> None:
        if event.utterance > self._last_final_utterance:
            emit(self.partial, event.text)

    @Slot(object)
    def _on_session_final(self, event: Final) -> None:
        self._last_final_utterance = max(self._last_final_utterance, event.utterance.index)
        placed = self.document.add_final(event.utterance)
        emit(self.final, placed)
        if self.document.journal_problem:
            emit(self.problem, self.document.journal_problem)
            self.document.journal_problem = ""

    @Slot(object)
    def _on_session_level(self, event: LevelChanged) -> None:
        emit(self.level, event.rms_db, event.speech, self.document.end_s + event.time_s)

    @Slot(object)
    def _on_session_stats(self, event: Stats) -> None:
        emit(self.stats, event)

    @Slot(object)
    def _on_session_error(self, event: Failure) -> None:
        emit(self.problem, event.message)

    @Slot(object)
    def _on_session_finished(self, event: Finished) -> None:
        session, self._session = self._session, None
        self.document.end_session(event.audio_s)
        if session is not None:
            session.deleteLater()
        emit(self.partial, "")
        emit(self.running_changed, False)
        emit(self.finished, event)
        if self._restart_after_finish:
            self._restart_after_finish = False
            self.start()
        elif not self.busy:
            emit(self.idle)
