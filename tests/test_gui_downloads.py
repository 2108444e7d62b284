"""The window downloading a hub model from a stand-in hub on 127.0.0.1, through the real
``load_recognizer``: progress in the panel, Cancel, a refused and a hung hub, and a
download that ends with the model in use. Offscreen; waits on signals."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import transformers  # noqa: F401  (imported here, not for the first time in a load's thread while

# the previous tests' windows are being deleted: that combination has crashed PySide)
from livekr.gui.i18n import set_language, tr
from livekr.hub_download import downloaded_folder
from livekr.recognizer import load_recognizer
from tests.hub_server import StandInHub, folder_files
from tests.test_gui_window import (  # noqa: F401  (fixtures)
    HANGUL,
    SESSION_TIMEOUT_MS,
    app_settings,
    isolated,
    make_window,
)

REF = "kresnik/wav2vec2-large-xlsr-korean"
TORCH_CPU = {"device": "cpu", "backend": "torch", "dtype": "fp32", "language": "ko"}
HUNG_TIMEOUT_MS = 60_000
"""A hung hub ends by the downloader's own read timeout (10 s); this only bounds the wait."""


@pytest.fixture(autouse=True)
def korean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    set_language("ko")
    yield
    set_language("en")


@pytest.fixture
def hub(tiny_wav2vec2: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StandInHub]:
    with StandInHub() as server:
        server.add_repo(REF, folder_files(tiny_wav2vec2))
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        yield server


@pytest.mark.slow
def test_a_download_shows_its_progress_and_ends_with_the_model_in_use(qtbot, make_window, hub) -> None:  # type: ignore[no-untyped-def]
    window = make_window([], None, load_model=load_recognizer, settings=app_settings(**TORCH_CPU))
    seen: list[int] = []
    window.dictation.model_download.connect(lambda ref, p: seen.append(p.done_bytes))
    with qtbot.waitSignal(window.dictation.loading_finished, timeout=HUNG_TIMEOUT_MS):
        window.models.choose(REF)
    assert window.dictation.recognizer is not None and window.dictation.model_ref == REF
    assert seen and seen == sorted(seen)
    assert window.status.model.text() == REF and not window.load_panel.isVisible()
    assert downloaded_folder(REF) is not None


@pytest.mark.slow
def test_cancel_during_a_stalled_download_keeps_what_arrived(qtbot, make_window, hub) -> None:  # type: ignore[no-untyped-def]
    hub.faults.stall_after["model.safetensors"] = 20_000
    window = make_window([], None, load_model=load_recognizer, settings=app_settings(**TORCH_CPU))
    window.models.choose(REF)
    qtbot.waitUntil(hub.stalled.is_set, timeout=HUNG_TIMEOUT_MS)
    assert window.load_panel.isVisible() and REF in window.load_panel.title.text()
    with qtbot.waitSignal(window.dictation.model_cancelled, timeout=HUNG_TIMEOUT_MS):
        window.load_panel.cancel_button.click()
        hub.release.set()  # data flows again: the download sees the cancel at its next chunk
    qtbot.waitUntil(lambda: not window.dictation.loader.busy, timeout=HUNG_TIMEOUT_MS)
    assert window.dictation.recognizer is None and window.message_bar.text() == ""
    assert downloaded_folder(REF) is None
    # the next try resumes and completes
    with qtbot.waitSignal(window.dictation.model_ready, timeout=HUNG_TIMEOUT_MS):
        window.models.choose(REF)
    assert any(r and r != "bytes=0-" for r in hub.ranges("model.safetensors"))


def test_a_refused_hub_says_so_in_korean(qtbot, make_window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    window = make_window([], None, load_model=load_recognizer, settings=app_settings(**TORCH_CPU))
    failed: list[str] = []
    window.dictation.model_failed.connect(lambda ref, reason: failed.append(reason))
    with qtbot.waitSignal(window.dictation.loading_finished, timeout=HUNG_TIMEOUT_MS):
        window.models.choose(REF)
    assert len(failed) == 1 and HANGUL.search(failed[0]) and "Error" not in failed[0]
    assert window.message_bar.text().startswith(tr("model_failed", reason="").strip())
    assert not window.load_panel.isVisible()


def test_a_hung_hub_ends_in_a_message_and_the_window_closes_cleanly(qtbot, make_window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # the kernel accepts; nothing ever answers (a proxy or captive portal)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{listener.getsockname()[1]}")
    try:
        window = make_window([], None, load_model=load_recognizer, settings=app_settings(**TORCH_CPU))
        with qtbot.waitSignal(window.dictation.model_failed, timeout=HUNG_TIMEOUT_MS) as failed:
            window.models.choose(REF)
        assert "10" in failed.args[1]  # says how long it waited
        # quitting during a hung load: the load is cancelled and the window closes
        window.models.choose(REF)
        with qtbot.waitSignal(window.dictation.idle, timeout=HUNG_TIMEOUT_MS):
            window.close()
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=HUNG_TIMEOUT_MS)
    finally:
        listener.close()
