"""Models in the window: loads and downloads with progress and Cancel, the Model menu usable
meanwhile, the first-run chooser, and quitting during a load. Offscreen; waits on signals."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from livekr.gui.first_run import first_run_choices
from livekr.gui.i18n import tr
from livekr.gui.load_panel import byte_size, download_text
from livekr.hub_download import DownloadCancelled, DownloadProgress
from livekr.speed_probe import MODEL_GFLOP_PER_AUDIO_S, estimate, probe_gflops, recommend
from tests.conftest import ScriptedRecognizer
from tests.test_gui_window import (  # noqa: F401  (fixtures)
    SESSION_TIMEOUT_MS,
    ScriptedPrompter,
    isolated,
    make_window,
)

BIG = "kresnik/wav2vec2-large-xlsr-korean"
SMALL = "Bingsu/distilhubert-ko-zeroth"


class Download:
    """A load function that 'downloads' in steps the test releases, and honours cancel."""

    def __init__(self, total: int = 1_200_000_000) -> None:
        self.total = total
        self.step = threading.Semaphore(0)
        self.started: list[str] = []
        self.reached = threading.Event()

    def __call__(self, ref: str, options: object, *, progress: object = None,
                 download_progress=None, cancel: threading.Event | None = None) -> ScriptedRecognizer:  # type: ignore[no-untyped-def]
        self.started.append(ref)
        assert download_progress is not None and cancel is not None
        for done in (0, self.total // 4, self.total // 2, self.total):
            download_progress(DownloadProgress(ref, "model.safetensors", done, self.total, 25e6,
                                               (self.total - done) / 25e6))
            self.reached.set()
            while not self.step.acquire(timeout=0.05):
                if cancel.is_set():
                    raise DownloadCancelled(f"downloading {ref} was cancelled")
        return ScriptedRecognizer()



def test_download_shows_name_size_progress_speed_and_time_left(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    download = Download()
    window = make_window([], None, load_model=download)
    with qtbot.waitSignal(window.dictation.model_download, timeout=SESSION_TIMEOUT_MS):
        window.models.choose(BIG)
    panel = window.load_panel
    qtbot.waitUntil(lambda: panel.isVisible() and panel.bar.maximum() > 0, timeout=SESSION_TIMEOUT_MS)
    assert BIG in panel.title.text() and "1.2 GB" in panel.title.text()
    assert panel.detail.text() == download_text(
        DownloadProgress(BIG, "", 0, download.total, 25e6, download.total / 25e6))
    assert "25 MB/s" in panel.detail.text() and tr("time_left", time="").strip() in panel.detail.text()
    with qtbot.waitSignal(window.dictation.model_download, timeout=SESSION_TIMEOUT_MS):
        download.step.release()
    qtbot.waitUntil(lambda: panel.bar.value() == 250, timeout=SESSION_TIMEOUT_MS)
    assert panel.detail.text().startswith("25 %")
    # Record while it downloads says so instead of "choose a model first"
    with qtbot.waitSignal(window.message_shown, timeout=SESSION_TIMEOUT_MS) as shown:
        window.record_button.click()
    assert shown.args[0] == tr("model_still_loading", name=BIG)
    with qtbot.waitSignal(window.dictation.model_ready, timeout=SESSION_TIMEOUT_MS):
        for _ in range(3):
            download.step.release()
    qtbot.waitUntil(lambda: not panel.isVisible(), timeout=SESSION_TIMEOUT_MS)
    assert window.status.model.text() == BIG


def test_cancel_stops_the_download_and_keeps_the_previous_model(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    download = Download()
    old = ScriptedRecognizer()
    window = make_window([], old, load_model=download)
    with qtbot.waitSignal(window.dictation.model_download, timeout=SESSION_TIMEOUT_MS):
        window.models.choose(BIG)
    with qtbot.waitSignal(window.dictation.model_cancelled, timeout=SESSION_TIMEOUT_MS) as cancelled:
        window.load_panel.cancel_button.click()
    assert cancelled.args == [BIG]
    assert window.dictation.loading == ""  # Record no longer says a model is on its way
    qtbot.waitUntil(lambda: not window.dictation.loader.busy, timeout=SESSION_TIMEOUT_MS)
    assert window.dictation.recognizer is old and not window.load_panel.isVisible()
    assert window.message_bar.text() == ""  # a cancel is not an error


def test_the_model_menu_stays_usable_and_another_choice_replaces_the_download(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    download = Download()
    window = make_window([], None, load_model=download)
    with qtbot.waitSignal(window.dictation.model_download, timeout=SESSION_TIMEOUT_MS):
        window.models.choose(BIG)
    window.model_menu.rebuild()
    entries = {a.data(): a for a in window.model_menu.actions() if a.data()}
    assert entries[SMALL].isEnabled() and entries[BIG].text().endswith(tr("menu_loading"))
    with qtbot.waitSignal(window.dictation.model_cancelled, timeout=SESSION_TIMEOUT_MS):
        entries[SMALL].trigger()
    download.step.release(8)
    with qtbot.waitSignal(window.dictation.model_ready, timeout=SESSION_TIMEOUT_MS) as ready:
        for _ in range(4):
            download.step.release()
    assert ready.args[0] == SMALL and download.started == [BIG, SMALL]
    assert window.dictation.model_ref == SMALL


def test_a_failed_load_says_why_in_the_bar(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    from livekr.hub_download import DownloadError

    def load(ref: str, options: object, **_: object) -> ScriptedRecognizer:
        raise DownloadError("the hub did not answer within 10 s")

    window = make_window([], None, load_model=load)
    with qtbot.waitSignal(window.dictation.loading_finished, timeout=SESSION_TIMEOUT_MS):
        window.models.choose(BIG)
    assert "10" in window.message_bar.text() and not window.load_panel.isVisible()


def test_first_run_offers_the_published_models_and_loads_the_choice(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    prompter = ScriptedPrompter()
    prompter.first_model = SMALL
    loads: list[str] = []

    def load(ref: str, options: object, **_: object) -> ScriptedRecognizer:
        loads.append(ref)
        return ScriptedRecognizer()

    window = make_window([], None, prompter=prompter, load_model=load)
    choices = first_run_choices(cpu_gflops=10.0, cuda=False)  # a slow CPU
    with qtbot.waitSignal(window.dictation.model_ready, timeout=SESSION_TIMEOUT_MS):
        window.models.offer_first_model(choices)
    assert prompter.asked[-1] == f"first model {BIG} {SMALL}*"  # the fast one is recommended here
    assert loads == [SMALL]


def test_first_run_later_leaves_no_model_and_says_where_to_get_one(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    prompter = ScriptedPrompter()
    window = make_window([], None, prompter=prompter, load_model=Download())
    with qtbot.waitSignal(window.message_shown, timeout=SESSION_TIMEOUT_MS) as shown:
        window.models.offer_first_model(first_run_choices(cpu_gflops=400.0, cuda=False))
    assert prompter.asked[-1] == f"first model {BIG}* {SMALL}"  # a fast CPU: the accurate one
    assert shown.args[0] == tr("no_model_yet") and not window.dictation.loader.busy


def test_speed_estimates_follow_the_probe_and_the_gpu() -> None:
    slow, fast = probe_gflops(0.05) / 100, probe_gflops(0.05)
    assert slow > 0 and fast > slow
    big = MODEL_GFLOP_PER_AUDIO_S[BIG]
    assert estimate(big, 10.0).rtf > estimate(big, 400.0).rtf
    assert not estimate(big, 10.0).fits_realtime and estimate(big, 10.0, cuda=True).fits_realtime
    speeds = {BIG: estimate(big, 10.0), SMALL: estimate(MODEL_GFLOP_PER_AUDIO_S[SMALL], 10.0)}
    assert recommend(speeds, [BIG, SMALL]) == SMALL
    assert recommend({BIG: estimate(big, 1.0), SMALL: estimate(1000.0, 1.0)}, [BIG, SMALL]) == BIG


@pytest.mark.parametrize(("count", "text"), [(0, "0 B"), (950_000, "950 KB"), (3.4e8, "340 MB"),
                                             (1.2e9, "1.2 GB")])
def test_byte_sizes_for_people(count: float, text: str) -> None:
    assert byte_size(count) == text


def test_quitting_during_a_download_cancels_it_and_closes(qtbot, make_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    download = Download()
    window = make_window([], None, load_model=download)
    with qtbot.waitSignal(window.dictation.model_download, timeout=SESSION_TIMEOUT_MS):
        window.models.choose(BIG)
    with qtbot.waitSignal(window.dictation.idle, timeout=SESSION_TIMEOUT_MS):
        window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=SESSION_TIMEOUT_MS)
    assert window.dictation.recognizer is None
