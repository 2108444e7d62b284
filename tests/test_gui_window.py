"""The real window, offscreen, driven through real sessions with array sources and a scripted
recognizer (and once with a tiny real checkpoint). Waits on signals; never sleeps."""

from __future__ import annotations

import gc
import json
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile
from PySide6.QtCore import QSettings

from livekr.audio import ArraySource, AudioError, AudioSource
from livekr.config import SAMPLE_RATE
from livekr.events import Final, Finished
from livekr.export import from_json
from livekr.gui.app import build_window, source_factory
from livekr.gui.main_window import MainWindow
from livekr.gui.settings import GROUPS, AppSettings, save_settings
from livekr.hotwords import Hotword
from livekr.journal import list_discarded, read_journal
from livekr.transcript import Transcript
from tests.conftest import ScriptedRecognizer, silence

SESSION_TIMEOUT_MS = 20_000
HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")


class ScriptedPrompter:
    """Answers the window's questions from attributes and records what was asked."""

    def __init__(self, recover: bool = True, unsaved: str = "discard",
                 save_path: Path | None = None, clear: bool = True) -> None:
        self.recover = recover
        self.unsaved = unsaved
        self.path = save_path
        self.clear = clear
        self.asked: list[str] = []

    def offer_recovery(self, parent: object, transcript: Transcript) -> bool:
        self.asked.append(f"recover {len(transcript.utterances)}")
        return self.recover

    def confirm_clear(self, parent: object) -> bool:
        self.asked.append("clear")
        return self.clear

    def ask_unsaved(self, parent: object, saved_to: Path | None) -> str:
        self.asked.append("unsaved" if saved_to is None else f"unsaved {saved_to.name}")
        return self.unsaved

    def save_path(self, parent: object, suggested: Path) -> Path | None:
        self.asked.append("save_path")
        return self.path

    def checkpoint_folder(self, parent: object, start: Path) -> Path | None:
        return None

    def hub_id(self, parent: object) -> str | None:
        return None

    def show_info(self, parent: object, title: str, text: str) -> None:
        self.asked.append(f"info {text}")

    def edit_settings(self, parent: object, settings: AppSettings) -> AppSettings | None:
        self.asked.append("settings")
        return self.settings

    def edit_custom_words(self, parent: object, words: list[Hotword], default_boost: float
                          ) -> list[Hotword] | None:
        self.asked.append(f"custom words {len(words)}")
        return self.custom_words

    def corrections_folder(self, parent: object, suggested: Path) -> Path | None:
        self.asked.append("corrections folder")
        return self.corrections

    def choose_first_model(self, parent: object, choices: list) -> str:  # type: ignore[type-arg]
        self.asked.append("first model " + " ".join(c.ref + ("*" if c.recommended else "") for c in choices))
        return self.first_model

    settings: AppSettings | None = None
    custom_words: list[Hotword] | None = None
    first_model = ""
    corrections: Path | None = None


class HoldingSource(ArraySource):
    """Plays samples as fast as possible, but holds at ``hold_s`` until ``release`` is set
    (or the session is stopped), so a test can act in the middle of an utterance."""

    def __init__(self, samples: np.ndarray, hold_s: float) -> None:
        super().__init__(samples)
        self.hold_samples = int(hold_s * SAMPLE_RATE)
        self.release = threading.Event()
        self.given = 0

    def read(self, timeout_s: float) -> np.ndarray | None:
        if self.given >= self.hold_samples and not self.release.wait(timeout_s):
            return np.zeros(0, np.float32)
        block = super().read(timeout_s)
        if block is not None:
            self.given += block.size
        return block

    def stop(self) -> None:
        super().stop()
        self.release.set()  # a stopped source ends: read() returns None from now on


class FailingSource(ArraySource):
    """Delivers its samples, then fails like an unplugged microphone."""

    def read(self, timeout_s: float) -> np.ndarray | None:
        block = super().read(timeout_s)
        if block is None:
            raise AudioError("the input device 'USB mic' stopped delivering audio (unplugged?)")
        return block


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Models, config and journal folders of this test only."""
    for env, sub in (("LIVEKR_MODELS_DIR", "models"), ("LIVEKR_CONFIG_DIR", "config"),
                     ("LIVEKR_STATE_DIR", "state")):
        (tmp_path / sub).mkdir()
        monkeypatch.setenv(env, str(tmp_path / sub))
    return tmp_path


@pytest.fixture
def speech(speak: Callable[..., np.ndarray]) -> Callable[[int], np.ndarray]:
    """``n`` synthetic Korean sentences with pauses long enough to end each utterance."""
    sentences = ("안녕하세요 반갑습니다", "오늘 날씨가 좋습니다")

    def make(n: int) -> np.ndarray:
        parts = [silence(0.3)]
        for s in sentences[:n]:
            parts += [speak(s), silence(1.2)]
        return np.concatenate(parts)

    return make


WindowFactory = Callable[..., MainWindow]


@pytest.fixture
def make_window(qtbot, isolated: Path) -> Iterator[WindowFactory]:  # type: ignore[no-untyped-def]
    windows: list[MainWindow] = []

    def make(sources: list[AudioSource] | None = None, recognizer: object | None = None,
             prompter: ScriptedPrompter | None = None, settings: AppSettings | None = None,
             store_file: str = "", **kwargs: object) -> MainWindow:
        store = QSettings(store_file or str(isolated / f"settings{len(windows)}.ini"),
                          QSettings.Format.IniFormat)
        if settings is not None:
            save_settings(store, settings)
        queue = list(sources or [])
        kwargs.setdefault("make_source", lambda device: queue.pop(0))
        kwargs.setdefault("tray_available", False)  # closing closes, whatever the desktop has
        window = build_window(
            store=store,
            prompter=prompter or ScriptedPrompter(),
            recognizer=recognizer,  # type: ignore[arg-type]
            list_devices=lambda: [],
            journal_folder=isolated / "state" / "journal",
            **kwargs,  # type: ignore[arg-type]
        )
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        if window.dictation.busy:
            window.dictation.stop()
            qtbot.waitUntil(lambda w=window: not w.dictation.busy, timeout=SESSION_TIMEOUT_MS)
        if isinstance(window.prompter, ScriptedPrompter):
            window.prompter.unsaved = "discard"
        window.close()
        window.deleteLater()
    # Collect this test's garbage now, while none of its threads runs: left to a later
    # collection, PySide wrappers of its widgets could be freed in the middle of another
    # test's event processing, with that test's worker threads running.
    windows.clear()
    gc.collect()


def app_settings(**changes: object) -> AppSettings:
    """``AppSettings`` with options changed by name, whatever group declares them."""
    settings = AppSettings()
    for name, value in changes.items():
        group = next(g for g in GROUPS if hasattr(getattr(settings, g), name))
        settings = settings.with_options(group, **{name: value})
    return settings


def finished(qtbot, window: MainWindow, timeout_ms: int = SESSION_TIMEOUT_MS):  # type: ignore[no-untyped-def]
    """A ``waitSignal`` for the ``Finished`` event of the window's running session."""
    return qtbot.waitSignal(window.dictation.pipeline_event, timeout=timeout_ms,
                            check_params_cb=lambda event: isinstance(event, Finished))


def run_session(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """Press Record and wait for the session (which ends with its source) to finish."""
    with finished(qtbot, window):
        window.record_button.click()


def test_partial_shows_then_final_replaces_it(qtbot, make_window, speech) -> None:
    audio = speech(1)
    source = HoldingSource(audio, hold_s=1.3)
    window = make_window([source], ScriptedRecognizer(["안녕하세요 반갑습니다"]))
    window.record_button.click()
    qtbot.waitUntil(lambda: window.view.partial_text() != "", timeout=SESSION_TIMEOUT_MS)
    assert window.view.committed_text() == ""
    assert window.view.toPlainText() == "안녕하세요 반갑습니다"  # grey partial, in place
    with finished(qtbot, window):
        source.release.set()
    assert window.view.committed_text() == "안녕하세요 반갑습니다"
    assert window.view.partial_text() == ""
    assert window.view.toPlainText() == "안녕하세요 반갑습니다"
    assert window.record_button.text() == window.record_action.text()
    assert "test" in window.status.device.text()


def test_stop_drains_the_utterance_in_progress(qtbot, make_window, speech) -> None:
    source = HoldingSource(speech(1), hold_s=1.3)
    window = make_window([source], ScriptedRecognizer(["가나다"]))
    window.record_button.click()
    qtbot.waitUntil(lambda: window.view.partial_text() != "", timeout=SESSION_TIMEOUT_MS)
    assert window.dictation.session.utterances == []
    with finished(qtbot, window):
        window.record_action.trigger()  # Stop (Ctrl+R / F5)
    assert [u.text for u in window.dictation.session.utterances] == ["가나다"]
    assert window.view.committed_text() == "가나다"
    assert not window.dictation.running


def test_two_sessions_form_one_timeline_with_stats(qtbot, make_window, speech) -> None:
    audio = speech(2)
    window = make_window([ArraySource(audio), ArraySource(audio)],
                         ScriptedRecognizer(["하나", "둘"]),
                         settings=app_settings(partials=False))
    run_session(qtbot, window)
    first = list(window.dictation.session.utterances)
    assert len(first) == 2
    run_session(qtbot, window)
    doc = window.dictation.session
    assert len(doc.utterances) == 4
    assert [u.index for u in doc.utterances] == [0, 1, 2, 3]
    session_s = doc.end_s / 2
    assert abs(session_s - audio.size / SAMPLE_RATE) < 0.05  # stream time of one session
    assert doc.utterances[2].start_s >= session_s > doc.utterances[1].end_s
    assert window.view.committed_text() == "하나\n둘\n하나\n둘"
    assert "s" in window.status.latency.text() and "0.0" in window.status.backlog.text()
    assert window.meter.updates > 50


def test_level_meter_moves_while_the_model_is_busy(qtbot, make_window, speech) -> None:
    gate = threading.Event()
    recognizer = ScriptedRecognizer(["가"], gate=gate)
    window = make_window([ArraySource(speech(1), realtime=True)], recognizer)
    window.record_button.click()
    qtbot.waitUntil(recognizer.entered.is_set, timeout=SESSION_TIMEOUT_MS)
    shown = window.meter.updates
    qtbot.waitUntil(lambda: window.meter.updates > shown + 10, timeout=SESSION_TIMEOUT_MS)
    assert recognizer.returned == 0  # the worker is still inside its first forward pass
    with finished(qtbot, window):
        gate.set()
        window.dictation.stop()


def test_failed_model_switch_keeps_the_old_model(qtbot, make_window, speech, tmp_path) -> None:
    scripted = ScriptedRecognizer(["그대로"])
    window = make_window([ArraySource(speech(1))], scripted)
    empty = tmp_path / "not-a-checkpoint"
    empty.mkdir()
    with qtbot.waitSignal(window.dictation.model_failed, timeout=SESSION_TIMEOUT_MS) as failed:
        window.models.choose(str(empty))
    assert "config.json" in failed.args[1]
    assert "config.json" in window.message_bar.text()
    assert window.dictation.recognizer is scripted
    qtbot.waitUntil(lambda: not window.dictation.loader.busy)
    run_session(qtbot, window)
    assert window.view.committed_text() == "그대로"


def test_device_lost_mid_session_keeps_the_transcript(qtbot, make_window, speech) -> None:
    window = make_window([FailingSource(speech(1))], ScriptedRecognizer(["남는다"]),
                         settings=app_settings(partials=False))
    with qtbot.waitSignal(window.message_shown, timeout=SESSION_TIMEOUT_MS) as shown:
        run_session(qtbot, window)
    assert "unplugged" in shown.args[0]
    assert "unplugged" in window.message_bar.text()
    assert window.view.committed_text() == "남는다"
    assert not window.dictation.running


def test_no_model_and_unopenable_source_explain_themselves(qtbot, make_window) -> None:
    window = make_window([], None)
    window.record_button.click()
    assert window.message_bar.isVisible() and window.message_bar.text()
    assert not window.dictation.running

    def no_device(device: str) -> AudioSource:
        raise AudioError("no microphone found: connect one")

    window.dictation._source_factory = no_device
    window.dictation.recognizer = ScriptedRecognizer()
    window.record_button.click()
    assert "no microphone" in window.message_bar.text()


def test_recovery_after_a_kill_continues_the_old_journal(qtbot, make_window, speech, isolated) -> None:
    first = make_window([ArraySource(speech(2))], ScriptedRecognizer(["첫째", "둘째"]),
                        settings=app_settings(partials=False))
    run_session(qtbot, first)
    journals = list((isolated / "state" / "journal").glob("*.jsonl"))
    assert len(journals) == 1
    first.hide()  # "killed": never closed; a real kill releases the journal's lock, as this does
    first.dictation.session.close(clean=False)

    prompter = ScriptedPrompter(recover=True)
    second = make_window([ArraySource(speech(1))], ScriptedRecognizer(["셋째"]), prompter=prompter,
                         settings=app_settings(partials=False))
    assert second.offer_recovery()
    assert prompter.asked == ["recover 2"]
    assert second.view.committed_text() == "첫째\n둘째"
    assert second.dictation.session.dirty
    assert second.dictation.session.journal.path == journals[0]  # adopted: nothing copied
    run_session(qtbot, second)
    assert [u.text for u in read_journal(journals[0]).utterances] == ["첫째", "둘째", "셋째"]
    assert [u.index for u in second.dictation.session.utterances] == [0, 1, 2]


def test_no_to_recovery_keeps_the_text_recoverable_and_offers_the_next(
        qtbot, make_window, speech, isolated) -> None:
    for texts in (["오래된"], ["새로운"]):
        window = make_window([ArraySource(speech(1))], ScriptedRecognizer(texts),
                             settings=app_settings(partials=False))
        run_session(qtbot, window)
        window.hide()
        window.dictation.session.close(clean=False)
    prompter = ScriptedPrompter(recover=False)
    third = make_window([], ScriptedRecognizer(), prompter=prompter)
    assert not third.offer_recovery()
    assert prompter.asked == ["recover 1", "recover 1"]  # both sessions, one after the other
    discarded = list_discarded(isolated / "state" / "journal")
    assert sorted(u.text for item in discarded for u in item.transcript.utterances) == ["새로운", "오래된"]


def test_save_in_each_format_and_keep_audio(qtbot, make_window, speech, tmp_path) -> None:
    audio = speech(2)
    out = tmp_path / "out"
    out.mkdir()
    prompter = ScriptedPrompter(save_path=out / "talk.json")
    window = make_window([ArraySource(audio)], ScriptedRecognizer(["하나 둘", "셋"]),
                         prompter=prompter, settings=app_settings(partials=False, keep_audio=True))
    run_session(qtbot, window)
    assert window.files.save_as()
    saved = from_json((out / "talk.json").read_text(encoding="utf-8"))
    assert saved.utterances == window.dictation.session.utterances
    info = soundfile.info(str(out / "talk.flac"))
    assert info.samplerate == SAMPLE_RATE
    assert abs(info.frames - audio.size) < SAMPLE_RATE // 10
    for fmt in ("txt", "srt", "vtt"):
        assert window.files.save_to(out / f"talk.{fmt}")
    assert (out / "talk.txt").read_text(encoding="utf-8") == "하나 둘\n셋\n"
    first = window.dictation.session.utterances[0]
    minutes, ms = divmod(round(first.start_s * 1000), 60_000)
    stamp = f"{minutes // 60:02d}:{minutes % 60:02d}:{ms // 1000:02d},{ms % 1000:03d}"
    assert f"1\n{stamp} --> " in (out / "talk.srt").read_text(encoding="utf-8")
    assert (out / "talk.vtt").read_text(encoding="utf-8").startswith("WEBVTT")
    assert not window.dictation.session.dirty
    window.close()  # saved: closes without asking
    assert "unsaved" not in prompter.asked
    assert not window.isVisible()
    assert not list((tmp_path / "state" / "journal").glob("*.jsonl"))


def test_closing_while_recording_drains_then_saves(qtbot, make_window, speech, tmp_path) -> None:
    source = HoldingSource(speech(1), hold_s=1.3)
    target = tmp_path / "closing.txt"
    prompter = ScriptedPrompter(unsaved="save", save_path=target)
    window = make_window([source], ScriptedRecognizer(["마지막 말"]), prompter=prompter)
    window.record_button.click()
    qtbot.waitUntil(lambda: window.view.partial_text() != "", timeout=SESSION_TIMEOUT_MS)
    window.close()
    assert window.isVisible()  # still draining, the GUI keeps running
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=SESSION_TIMEOUT_MS)
    assert target.read_text(encoding="utf-8") == "마지막 말\n"
    assert prompter.asked == ["unsaved", "save_path"]
    assert not list((tmp_path / "state" / "journal").glob("*.jsonl"))


def test_clear_asks_and_model_info(qtbot, make_window, speech) -> None:
    prompter = ScriptedPrompter(clear=False)
    window = make_window([ArraySource(speech(1))], ScriptedRecognizer(["지울까"]),
                         prompter=prompter, settings=app_settings(partials=False))
    run_session(qtbot, window)
    window.clear_action.trigger()
    assert window.view.committed_text() == "지울까"
    prompter.clear = True
    window.clear_action.trigger()
    assert window.view.committed_text() == "" and window.dictation.session.utterances == []
    window.models.show_info()
    assert prompter.asked[-1].startswith("info scripted")


@pytest.mark.slow
def test_demo_with_a_tiny_real_checkpoint(qtbot, make_window, tiny_wav2vec2, speak,
                                          isolated) -> None:
    wav = isolated / "demo.wav"
    clip = np.concatenate([silence(0.3), speak("대한민국은 민주공화국이다"), silence(1.0)])
    soundfile.write(wav, clip, SAMPLE_RATE)
    window = make_window(make_source=source_factory(str(wav)), demo_name=wav.name)
    finals: list[object] = []
    window.dictation.pipeline_event.connect(
        lambda event: finals.append(event) if isinstance(event, Final) else None)
    with finished(qtbot, window, timeout_ms=60_000):
        window.dictation.load_model(str(tiny_wav2vec2))
    assert window.dictation.model_ref == str(tiny_wav2vec2)
    label = window.dictation.recognizer.device_label
    assert label.startswith("CPU") and window.status.device.text() == label
    assert window.status.busy.isHidden() and wav.name in window.status.source.text()
    assert finals, f"the demo file produced no final ({window.message_bar.text()})"
    assert HANGUL.search(window.view.committed_text())
    recent = json.loads((isolated / "config" / "recent_models.json").read_text(encoding="utf-8"))
    assert recent == [str(tiny_wav2vec2)]


def test_switching_model_mid_session_drains_then_continues(qtbot, make_window, speech) -> None:
    old, new = ScriptedRecognizer(["옛 모델"]), ScriptedRecognizer(["새 모델"])
    source = HoldingSource(speech(1), hold_s=1.3)
    loads: list[str] = []

    def load(ref: str, options: object, **_: object) -> ScriptedRecognizer:
        loads.append(ref)
        return new

    window = make_window([source, ArraySource(speech(1))], old, load_model=load,
                         settings=app_settings(partials=True))
    window.record_button.click()
    qtbot.waitUntil(lambda: window.view.partial_text() != "", timeout=SESSION_TIMEOUT_MS)
    window.models.choose("other/model")
    qtbot.waitUntil(lambda: len(window.dictation.session.utterances) == 2
                    and not window.dictation.running, timeout=SESSION_TIMEOUT_MS)
    assert loads == ["other/model"]
    assert window.dictation.recognizer is new
    assert window.view.committed_text() == "옛 모델\n새 모델"
    assert window.status.model.text() == "other/model"


def test_cancelling_the_save_at_close_keeps_the_window(qtbot, make_window, speech) -> None:
    source = HoldingSource(speech(1), hold_s=1.3)
    prompter = ScriptedPrompter(unsaved="cancel")
    window = make_window([source], ScriptedRecognizer(["남아 있기"]), prompter=prompter)
    window.record_button.click()
    qtbot.waitUntil(lambda: window.view.partial_text() != "", timeout=SESSION_TIMEOUT_MS)
    window.close()
    qtbot.waitUntil(lambda: "unsaved" in prompter.asked, timeout=SESSION_TIMEOUT_MS)
    assert window.isVisible() and window.view.committed_text() == "남아 있기"
    assert window.closing.progress is None and not window.dictation.running
    assert window.dictation.session.journal is not None  # still autosaved


def test_settings_apply_and_a_new_device_reloads_the_model(qtbot, make_window) -> None:
    loads: list[tuple[str, str]] = []

    def load(ref: str, options, **_) -> ScriptedRecognizer:  # type: ignore[no-untyped-def]
        loads.append((ref, options.device))
        return ScriptedRecognizer()

    prompter = ScriptedPrompter()
    window = make_window([], ScriptedRecognizer(), prompter=prompter, load_model=load)
    prompter.settings = app_settings(device="cpu", caption_mode=True, font_pt=20)
    with qtbot.waitSignal(window.dictation.loading_finished, timeout=SESSION_TIMEOUT_MS):
        window.settings_action.trigger()
    assert loads == [("scripted", "cpu")]
    assert window.caption_action.isChecked()
    assert window.view.document().defaultFont().pointSize() >= 30  # caption size
    window.bigger_action.trigger()
    assert window.settings.window.font_pt == 22
    stored = QSettings(window.store.fileName(), QSettings.Format.IniFormat)
    assert stored.value("window/font_pt") in (22, "22")


def test_a_model_load_ending_while_a_stopped_session_drains_does_not_restart_it(
        qtbot, make_window, speech) -> None:  # type: ignore[no-untyped-def]
    gate = threading.Event()
    old, new = ScriptedRecognizer(["끝"], gate=gate), ScriptedRecognizer(["새"])
    sources: list[AudioSource] = [ArraySource(speech(1), realtime=True)]
    window = make_window(sources, old, load_model=lambda ref, options, **_: new)
    window.record_button.click()
    qtbot.waitUntil(old.entered.is_set, timeout=SESSION_TIMEOUT_MS)  # the worker is held
    window.record_button.click()  # Stop: the session drains
    assert window.dictation.stopping
    with qtbot.waitSignal(window.dictation.model_ready, timeout=SESSION_TIMEOUT_MS):
        window.models.choose("other/model")
    with qtbot.waitSignal(window.dictation.idle, timeout=SESSION_TIMEOUT_MS):
        gate.set()
    assert not window.dictation.running and window.record_button.text() == "● Record"
    assert window.dictation.recognizer is new


def test_closing_asks_before_overwriting_a_file_saved_earlier(qtbot, make_window, speech,
                                                              tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "talk.txt"
    prompter = ScriptedPrompter(save_path=target, unsaved="discard")
    window = make_window([ArraySource(speech(1)), ArraySource(speech(1))],
                         ScriptedRecognizer(["처음", "나중"]), prompter=prompter,
                         settings=app_settings(partials=False))
    run_session(qtbot, window)
    assert window.files.save_as() and target.read_text(encoding="utf-8") == "처음\n"
    run_session(qtbot, window)
    window.close()
    assert "unsaved talk.txt" in prompter.asked  # the question names the file
    assert target.read_text(encoding="utf-8") == "처음\n"  # "discard": the file is as saved
    assert not window.isVisible()


STUCK_LOAD = """
import sys, threading
from pathlib import Path
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
from livekr.gui.app import build_window, leave

app = QApplication([])
never = threading.Event()
folder = Path(sys.argv[1])
window = build_window(store=QSettings(str(folder / "s.ini"), QSettings.Format.IniFormat),
                      make_source=lambda device: None, load_model=lambda ref, options, **_: never.wait(),
                      list_devices=lambda: [], journal_folder=folder / "journal")
window.show()
window.dictation.load_model("stuck/model")

def close_now():
    window.close()  # waits for the load ...
    window.closing.progress.canceled.emit()  # ... until the user picks "Close now"

QTimer.singleShot(0, close_now)
sys.exit(leave(app.exec(), window))
"""


def test_close_now_during_a_stuck_model_load_exits_cleanly(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", STUCK_LOAD, str(tmp_path)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "a model load was still running" in proc.stderr


def test_command_line_session_options_apply_to_this_run_only(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window([], ScriptedRecognizer(),
                         session_override={"input_device": "USB Mic", "keep_audio": True})
    assert window.dictation.input_device == "USB Mic"
    assert window.dictation.session.options.keep_audio
    stored = QSettings(window.store.fileName(), QSettings.Format.IniFormat)
    assert stored.value("session/keep_audio") is None  # the saved settings are untouched
