"""The real livekr window on an X display, dictating into another program, for
``tests/test_insert_e2e.py``: a scripted recognizer and a synthetic-speech source, but the
real X11 inserter, the real global shortcut and the real indicator.

Run with ``DISPLAY`` and ``QT_QPA_PLATFORM=xcb``; ``argv[1]`` is a private folder. It turns
insert mode on, prints ``ready`` and waits: the test focuses its target program and presses
the shortcut (Ctrl+Shift+F9) with xdotool. The recording that starts plays the speech; when its
last final has been inserted it prints one JSON line (``finals``, ``inserted``,
``indicator_shown``) and exits.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from livekr.audio import ArraySource
from livekr.config import SAMPLE_RATE
from livekr.events import Final, Finished
from livekr.gui.app import build_window
from livekr.gui.settings import AppSettings, save_settings
from tests.conftest import ScriptedRecognizer
from tests.test_gui_window import ScriptedPrompter

HOTKEY = "Ctrl+Shift+F9"  # (X11 keeps Ctrl+Alt+F1..F12 for switching virtual terminals)
FINALS = ("안녕하세요 반갑습니다", "오늘 날씨가 좋습니다")


def speech() -> np.ndarray:
    """espeak-ng reading ``FINALS``, with pauses long enough to end each utterance."""
    from trainer.synth import synthesize

    pause = np.zeros(int(1.2 * SAMPLE_RATE), np.float32)
    parts = [pause[: SAMPLE_RATE // 3]]
    for text in FINALS:
        parts += [synthesize(text), pause]
    return np.concatenate(parts)


def main() -> int:
    folder = Path(sys.argv[1])
    app = QApplication([sys.argv[0]])
    store = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    settings = AppSettings().with_options("pipeline", partials=False)
    save_settings(store, settings.with_options("insert", hotkey=HOTKEY))
    window = build_window(store=store, make_source=lambda device: ArraySource(speech(), realtime=True),
                          prompter=ScriptedPrompter(), recognizer=ScriptedRecognizer(list(FINALS)),  # type: ignore[arg-type]
                          list_devices=lambda: [], journal_folder=folder / "journal", tray_available=False)
    window.show()
    mode = window.insert_mode
    finals: list[str] = []
    inserted: list[str] = []
    shown: list[bool] = []
    done: list[bool] = []

    def report() -> None:
        if done or not finals or len(inserted) < len(finals) or window.dictation.running:
            return
        done.append(True)
        print(json.dumps({"finals": finals, "inserted": inserted, "indicator_shown": any(shown)},
                         ensure_ascii=False), flush=True)
        window.close()  # the normal closing path: the insertion thread ends, then Qt quits

    def on_event(event: object) -> None:
        if isinstance(event, Final):
            finals.append(event.utterance.text)
            shown.append(mode.indicator.isVisible())
        elif isinstance(event, Finished):
            QTimer.singleShot(0, report)

    window.dictation.pipeline_event.connect(on_event)

    def on_inserted(insertion: object) -> None:
        inserted.append(getattr(insertion, "text", ""))
        report()

    def start() -> None:
        mode.toggle_action.setChecked(True)
        if not mode.enabled:
            print(json.dumps({"error": window.message_bar.text()}), flush=True)
            window.close()
            return
        assert mode.insertions is not None
        mode.insertions.inserted.connect(on_inserted)
        print("ready", flush=True)

    QTimer.singleShot(0, start)
    QTimer.singleShot(120_000, window.close)
    code = int(app.exec())
    return code if done else 1


if __name__ == "__main__":
    raise SystemExit(main())
