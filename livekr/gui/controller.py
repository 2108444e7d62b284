"""The one owner of the window's threads: model loading and the dictation runs.

``Dictation`` holds the recognizer, the ``TranscriptSession`` and at most one running
``PipelineBridge``. Every pipeline event reaches it through the bridge's one queued signal, is
kept by the session, and goes on to the widgets through ``event``, always on the GUI thread.
A model switch during a run stops it (everything captured is still decoded with the old
model) and starts a new one with the new model. Audio files go through ``files``
(``FileJobs``), into the same session, never while a run is active.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import fields, replace

from PySide6.QtCore import QObject, Signal, Slot

from livekr.audio import AudioError, AudioSource, source_warnings
from livekr.config import DecoderOptions, RecognizerOptions
from livekr.decoder import Decoder, load_decoder
from livekr.events import Failure, FailureKind, Finished, PipelineEvent
from livekr.gui.bridge import PipelineBridge
from livekr.gui.file_jobs import FileJobs
from livekr.gui.model_loader import LoadFunction, ModelLoader
from livekr.gui.qtcompat import emit
from livekr.gui.settings import AppSettings
from livekr.hotwords import Hotword
from livekr.messages import reason
from livekr.models import remember_model
from livekr.recognizer import Recognizer
from livekr.session import TranscriptSession

log = logging.getLogger(__name__)

SourceFactory = Callable[[str], AudioSource]
"""Builds the audio source for a run from the chosen input device name ("" = default)."""


class Dictation(QObject):
    """Runs, model loads and the transcript session; lives in the GUI thread."""

    pipeline_event = Signal(object)
    """Every ``PipelineEvent`` for the widgets, placed on the transcript's timeline (finals
    carry the placed utterance), plus ``Failure`` when a run cannot start or autosave fails;
    also the finals of files (``FileJobs.pipeline_event``)."""
    running_changed = Signal(bool)
    model_loading = Signal(str)
    model_ready = Signal(str, str)
    """(ref, device label)."""
    model_failed = Signal(str, str)
    """(ref, reason in the window's language); the previous model (if any) stays in use."""
    model_progress = Signal(str)
    """A slow step of the running load, in one line (converting, measuring the backends)."""
    model_download = Signal(str, object)
    """(ref, ``DownloadProgress``) while the model's files download."""
    model_cancelled = Signal(str)
    """The load of this ref was cancelled; the previous model (if any) stays in use."""
    decoder_changed = Signal(object)
    """The ``Decoder`` of finals now in use (None while no model is loaded)."""
    loading_finished = Signal()
    """No model load runs or waits any more."""
    idle = Signal()
    """No run, file or model load is running any more."""

    def __init__(
        self,
        source_factory: SourceFactory,
        load_model: LoadFunction,
        session: TranscriptSession,
        settings: AppSettings,
        recognizer: Recognizer | None = None,
        model_ref: str = "",
        custom_words: list[Hotword] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.settings = settings
        self.recognizer = recognizer
        self.model_ref = model_ref or (recognizer.name if recognizer is not None else "")
        self.input_device = settings.session.input_device
        self.recognizer_override = RecognizerOptions()
        """Device/dtype given on the command line; "auto" fields fall back to the settings."""
        self._source_factory = source_factory
        self._bridge: PipelineBridge | None = None
        self.custom_words: list[Hotword] = list(custom_words or [])
        """The window's custom words; they join those of the settings' file."""
        self._decoder: tuple[object, DecoderOptions, Decoder | None] | None = None
        """(recognizer, options, decoder) in use: rebuilt only when either changes."""
        self._restart_after_finish = False
        self.loader = ModelLoader(load_model, self)
        self.loader.started.connect(self.model_loading)
        self.loader.loaded.connect(self._on_loader_loaded)
        self.loader.failed.connect(self.model_failed)
        self.loader.progress.connect(self.model_progress)
        self.loader.download.connect(self.model_download)
        self.loader.cancelled.connect(self.model_cancelled)
        self.loader.idle.connect(self._on_loader_idle)
        self.files = FileJobs(self)
        """Audio files transcribed into the session, one at a time, between runs."""
        self.files.pipeline_event.connect(self.pipeline_event)
        self.files.idle.connect(self._on_files_idle)

    # -- state ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._bridge is not None

    @property
    def stopping(self) -> bool:
        return self._bridge is not None and self._bridge.stopping

    @property
    def busy(self) -> bool:
        return self.running or self.loader.busy or self.files.busy

    def recognizer_options(self) -> RecognizerOptions:
        """The settings, with every option given on the command line (not at its default)
        taking precedence."""
        default = RecognizerOptions()
        given = {f.name: getattr(self.recognizer_override, f.name) for f in fields(RecognizerOptions)
                 if getattr(self.recognizer_override, f.name) != getattr(default, f.name)}
        return replace(self.settings.recognizer, **given)

    def apply_settings(self, settings: AppSettings) -> None:
        """Use ``settings`` from the next run on (keep-audio and autosave at once)."""
        self.settings = settings
        self.session.options = settings.session
        self.decoder()

    # -- models ---------------------------------------------------------------------------

    def load_model(self, ref: str) -> None:
        """Load ``ref`` off the GUI thread; ``model_ready`` or ``model_failed`` follows."""
        self.loader.load(ref, self.recognizer_options())

    @property
    def loading(self) -> str:
        """The model being loaded or downloaded ("" when none)."""
        return self.loader.current

    def cancel_load(self) -> None:
        """Stop loading or downloading a model (``model_cancelled`` follows)."""
        self.loader.cancel()

    @Slot(str, object)
    def _on_loader_loaded(self, ref: str, recognizer: Recognizer) -> None:
        recording = self._bridge is not None and not self._bridge.stopping
        self.recognizer = recognizer
        self.model_ref = ref
        remember_model(ref)
        self.decoder()
        if recording:  # the run drains with the old model, then restarts with this one
            self.stop()
            self._restart_after_finish = True
        emit(self.model_ready, ref, recognizer.device_label)

    @Slot()
    def _on_loader_idle(self) -> None:
        emit(self.loading_finished)
        if not self.busy:
            emit(self.idle)

    @Slot()
    def _on_files_idle(self) -> None:
        if not self.busy:
            emit(self.idle)

    # -- runs -----------------------------------------------------------------------------

    def start(self) -> bool:
        """Start a run with the current model and input; False (and a ``Failure``) if not.
        Not while a file is transcribed (False: the caller says why)."""
        if self._bridge is not None or self.recognizer is None or self.files.busy:
            return False
        try:
            source = self._source_factory(self.input_device)
        except AudioError as e:
            emit(self.pipeline_event, Failure(reason(e), FailureKind.INPUT))
            return False
        source = self.session.begin_run(source, self.model_ref)
        bridge = PipelineBridge(source, self.recognizer, self.settings.segmenter, self.settings.pipeline,
                                self.settings.encoding, self.decoder(), parent=self)
        bridge.pipeline_event.connect(self._on_bridge_event)
        self._bridge = bridge
        bridge.start()
        emit(self.running_changed, True)
        return True

    def decoder(self) -> Decoder | None:
        """The decoder of finals for the current model and settings (beam search with an LM
        and custom words, or greedy); built again only when either changed, and then
        announced with ``decoder_changed``."""
        recognizer, options = self.recognizer, self.settings.decoder
        if self._decoder is None or self._decoder[0] is not recognizer or self._decoder[1] != options:
            tokens, frame_s = getattr(recognizer, "tokens", None), getattr(recognizer, "frame_s", None)
            decoder = None
            if tokens is not None and frame_s is not None:
                decoder = load_decoder(tokens, frame_s, options, self.model_ref, self.custom_words)
            self._decoder = (recognizer, options, decoder)
            emit(self.decoder_changed, decoder)
        return self._decoder[2]

    def set_custom_words(self, words: list[Hotword]) -> None:
        """Use ``words`` from the next utterance on, in a run too, without reloading anything."""
        self.custom_words = list(words)
        decoder = self._decoder[2] if self._decoder is not None else None
        if decoder is None:
            self.decoder()
            return
        decoder.set_custom_words(self.custom_words)
        emit(self.decoder_changed, decoder)

    def stop(self) -> None:
        """Stop capturing; finals of what was captured still arrive, then ``Finished``.

        Also cancels a restart that a model switch had planned."""
        self._restart_after_finish = False
        if self._bridge is not None and not self._bridge.stopping:
            self._bridge.stop()
            emit(self.running_changed, True)

    def clear(self) -> None:
        """Forget the transcript so far (confirmed by the caller); a running run goes on with
        its timeline restarted here."""
        self.session.clear()

    @Slot(object)
    def _on_bridge_event(self, event: PipelineEvent) -> None:
        for shown in self.session.handle(event):
            emit(self.pipeline_event, shown)
        if isinstance(event, Finished):
            self._on_run_finished()

    def _on_run_finished(self) -> None:
        bridge, self._bridge = self._bridge, None
        if bridge is not None:
            for warning in source_warnings(bridge.source):  # e.g. a truncated --demo file
                emit(self.pipeline_event, Failure(warning, FailureKind.INPUT))
            bridge.deleteLater()
        emit(self.running_changed, False)
        if self._restart_after_finish:
            self._restart_after_finish = False
            self.start()
        elif not self.busy:
            emit(self.idle)
