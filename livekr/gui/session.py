"""One dictation session as a QObject: the pipeline's events become Qt signals.

``StreamingTranscriber`` runs its own reader and worker threads and calls ``on_event`` from
them. ``on_event`` only emits a signal carrying the immutable event; receivers living in the
GUI thread get it through a queued connection, so widgets are touched only there. Connect
the signals to QObject methods (slots), never to lambdas: a lambda has no thread affinity
and would run on the pipeline's thread.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from livekr.audio import AudioSource
from livekr.config import PipelineOptions, SegmenterOptions
from livekr.events import Failure, Final, Finished, LevelChanged, Partial, PipelineEvent, Stats
from livekr.gui.qtcompat import emit
from livekr.pipeline import StreamingTranscriber
from livekr.recognizer import Recognizer

log = logging.getLogger(__name__)


class Session(QObject):
    """Bridges one ``StreamingTranscriber`` to the GUI thread.

    Signals carry the pipeline's frozen event dataclasses. ``finished`` always arrives, last,
    once everything captured has been decoded (also after an error).
    """

    partial = Signal(object)
    """``Partial``: provisional text of the utterance in progress."""
    final = Signal(object)
    """``Final``: the finished text of an utterance."""
    level = Signal(object)
    """``LevelChanged``: loudness of the newest block (reader thread, ~33 per second)."""
    stats = Signal(object)
    """``Stats``: backlog, drops, real-time factor, latency."""
    error = Signal(object)
    """``Failure``: something went wrong; the text so far is kept."""
    finished = Signal(object)
    """``Finished``: the session is over; always the last signal."""

    def __init__(
        self,
        source: AudioSource,
        recognizer: Recognizer,
        segmenter_options: SegmenterOptions | None = None,
        options: PipelineOptions | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.source = source
        self.recognizer = recognizer
        self._stopping = False
        self._transcriber = StreamingTranscriber(
            source, recognizer, self.on_event, segmenter_options, options
        )

    @property
    def stopping(self) -> bool:
        return self._stopping

    def start(self) -> None:
        self._transcriber.start()

    def stop(self) -> None:
        """Stop capturing; what was captured is still decoded, then ``finished`` arrives."""
        self._stopping = True
        self._transcriber.stop()

    def on_event(self, event: PipelineEvent) -> None:
        """Called from the pipeline's reader and worker threads: emit, nothing else."""
        if isinstance(event, LevelChanged):
            emit(self.level, event)
        elif isinstance(event, Partial):
            emit(self.partial, event)
        elif isinstance(event, Final):
            emit(self.final, event)
        elif isinstance(event, Stats):
            emit(self.stats, event)
        elif isinstance(event, Failure):
            emit(self.error, event)
        elif isinstance(event, Finished):
            emit(self.finished, event)
        else:  # a new event type: say so rather than drop it silently
            log.warning("unhandled pipeline event %r", event)
