"""One audio file through the pipeline on a QThread, for ``FileJobs`` (which wires the thread).

``FileWorker.run`` builds a ``StreamingTranscriber`` for the file, as ``livekr transcribe``
does, and waits for it in the worker thread; the pipeline's events go out through the queued
``pipeline_event`` signal only. A ``threading.Event`` set from any thread cancels: the file is
abandoned after the forward pass in progress.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, Signal, Slot

from livekr.audio import AudioSource
from livekr.checkpoint import first_line
from livekr.config import EncodingOptions, PipelineOptions, SegmenterOptions
from livekr.decoder import Decoder
from livekr.events import Failure, FailureKind, PipelineEvent
from livekr.gui.qtcompat import emit
from livekr.gui.workers import back_to_gui_thread
from livekr.messages import Message
from livekr.pipeline import StreamingTranscriber
from livekr.recognizer import Recognizer

log = logging.getLogger(__name__)

CANCEL_POLL_S = 0.1
"""How often the worker, waiting on its cancel event, looks whether the file has ended."""


def file_pipeline_options(options: PipelineOptions) -> PipelineOptions:
    """The window's pipeline options for a file read as fast as possible: no partials (nobody
    reads them, and each costs a forward pass). Finals go side by side only where the settings
    ask (``parallel_finals``): the loaded recognizer's threads are fixed, so the split of the
    cores among passes that ``livekr transcribe`` plans would need another load."""
    return replace(options, partials=False)


@dataclass(frozen=True)
class FileRun:
    """Everything one file's pipeline is built from."""

    source: AudioSource
    recognizer: Recognizer
    decoder: Decoder | None
    segmenter: SegmenterOptions
    pipeline: PipelineOptions
    encoding: EncodingOptions


class FileWorker(QObject):
    """Runs one file through a ``StreamingTranscriber`` in the thread it is moved to."""

    pipeline_event = Signal(object)
    """Every ``PipelineEvent`` of the file, in order; ``Finished`` last (once the pipeline started)."""
    finished = Signal()
    """Always emitted, last."""

    def __init__(self, run: FileRun, cancel: threading.Event) -> None:
        super().__init__()
        self._run = run
        self._cancel = cancel

    @Slot()
    def run(self) -> None:
        """The worker thread: the whole file (or until cancelled), then ``finished``."""
        try:
            self._transcribe()
        except Exception as e:  # the thread edge: every error reaches the GUI
            log.exception("transcribing %s failed", self._run.source.description)
            emit(self.pipeline_event, Failure(Message("file.unexpected", detail=first_line(e)),
                                              FailureKind.INTERNAL))
        finally:
            back_to_gui_thread(self)
            emit(self.finished)

    def _transcribe(self) -> None:
        r = self._run
        transcriber = StreamingTranscriber(r.source, r.recognizer, self._on_event, r.segmenter,
                                           r.pipeline, r.encoding, r.decoder)
        transcriber.start()
        while not transcriber.finished.is_set():
            if self._cancel.wait(CANCEL_POLL_S):
                transcriber.abandon()
                transcriber.wait()

    def _on_event(self, event: PipelineEvent) -> None:
        """The pipeline's reader and worker threads: emit, nothing else."""
        emit(self.pipeline_event, event)
