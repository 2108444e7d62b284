"""The one path from a pipeline into the GUI thread: a queued signal carrying its events.

``StreamingTranscriber`` runs its own reader and worker threads and calls ``on_event`` from
them. ``on_event`` only emits ``pipeline_event`` with the immutable event; the receiver lives in the GUI
thread and gets it through a queued connection, so widgets are touched only there. Connect it
to a QObject method (a slot), never to a lambda: a lambda has no thread affinity and would run
on the pipeline's thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from livekr.audio import AudioSource
from livekr.config import EncodingOptions, PipelineOptions, SegmenterOptions
from livekr.decoder import Decoder
from livekr.events import PipelineEvent
from livekr.gui.qtcompat import emit
from livekr.pipeline import StreamingTranscriber
from livekr.recognizer import Recognizer


class PipelineBridge(QObject):
    """Runs one ``StreamingTranscriber`` and hands its events to the GUI thread."""

    pipeline_event = Signal(object)
    """Every ``PipelineEvent`` in the order the pipeline sent it; ``Finished`` comes last."""

    def __init__(
        self,
        source: AudioSource,
        recognizer: Recognizer,
        segmenter_options: SegmenterOptions | None = None,
        options: PipelineOptions | None = None,
        encoding: EncodingOptions | None = None,
        decoder: Decoder | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.source = source
        self.recognizer = recognizer
        self._stopping = False
        self._transcriber = StreamingTranscriber(
            source, recognizer, self.on_event, segmenter_options, options, encoding, decoder
        )

    @property
    def stopping(self) -> bool:
        return self._stopping

    def start(self) -> None:
        self._transcriber.start()

    def stop(self) -> None:
        """Stop capturing; what was captured is still decoded, then ``Finished`` arrives."""
        self._stopping = True
        self._transcriber.stop()

    def on_event(self, event: PipelineEvent) -> None:
        """Called from the pipeline's reader and worker threads: emit, nothing else."""
        emit(self.pipeline_event, event)
