"""What the window does around the transcript while it runs: play an utterance's kept audio,
open the correction editor, and the can't-keep-up notice with its remedies."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot

from livekr.audio import AudioError
from livekr.events import Stats
from livekr.gui.i18n import localize, tr
from livekr.gui.keep_up import SMALL_MODEL, BacklogWatch, remedies
from livekr.playback import Player, read_span

if TYPE_CHECKING:
    from livekr.gui.main_window import MainWindow


class TranscriptActions(QObject):
    """Playback, corrections and the keep-up notice for one window (GUI thread)."""

    def __init__(self, window: MainWindow, player: Player) -> None:
        super().__init__(window)
        self._window = window
        self.player = player
        self.backlog_watch = BacklogWatch()
        window.keep_up.chosen.connect(self.apply_remedy)
        window.view.play_requested.connect(self.play_utterance)

    def show_stats(self, stats: Stats) -> None:
        """Each ``Stats`` of the run: the notice when the delay keeps growing."""
        if self.backlog_watch.update(stats):
            self.show_behind(stats.backlog_s)

    def run_ended(self) -> None:
        self.backlog_watch.reset()
        self._window.keep_up.hide()

    def show_behind(self, backlog_s: float) -> None:
        """Recognition cannot keep up: say so plainly, with what would help."""
        w = self._window
        d = w.dictation
        label = d.recognizer.device_label if d.recognizer is not None else ""
        w.keep_up.show_behind(backlog_s, remedies(d.model_ref, label, w.settings.pipeline.partials))

    @Slot(str)
    def apply_remedy(self, key: str) -> None:
        """A remedy chosen in the keep-up notice: "engine", "model" or "partials"."""
        w = self._window
        if key == "engine":
            w.show_notice(tr("remedy_engine_done"))
            w.update_settings(w.settings.with_options("recognizer", backend="onnx", dtype="int8"))
        elif key == "model":
            w.models.choose(SMALL_MODEL)
        elif key == "partials":
            w.update_settings(w.settings.with_options("pipeline", partials=False))
            w.show_notice(tr("remedy_partials_done"))

    @Slot(int)
    def play_utterance(self, position: int) -> None:
        """Play the kept audio of the utterance at ``position`` of the view (if audio is kept)."""
        w = self._window
        spool = w.dictation.session.spool
        utterances = w.view.utterances
        if spool is None or not 0 <= position < len(utterances):
            return
        try:
            spool.flush()
            audio = read_span(spool.path, utterances[position].start_s, utterances[position].end_s)
            if audio.size:
                self.player.play(audio)
        except AudioError as e:
            w.show_error(localize(e))
        except OSError as e:  # flushing the kept audio
            w.show_error(localize(e))

    @Slot()
    def edit_current_utterance(self) -> None:
        """Edit ▸ Correct Utterance: the one under the text cursor, else the last one."""
        view = self._window.view
        state = view.textCursor().block().userState()
        count = len(view.utterances)
        if count:
            self._window.corrections.begin(state if 0 <= state < count else count - 1)
