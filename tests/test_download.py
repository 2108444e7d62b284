"""Downloading hub models (``livekr.hub_download``) from a stand-in hub on 127.0.0.1: progress,
the safetensors-only choice of files, timeouts, resume, damage, cancel and the lock."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from livekr.hub_download import (
    DownloadCancelled,
    DownloadError,
    DownloadOptions,
    DownloadProgress,
    ProgressLines,
    describe,
    downloaded_folder,
    downloaded_models,
    fetch_model,
    hub_folder,
)
from livekr.hub_transfer import STAGING_FOLDER, ProgressMeter
from tests.hub_server import StandInHub, folder_files

REF = "someone/tiny-ko"
WEIGHTS = bytes(range(256)) * 1200  # 300 kB: many chunks of ``OPTIONS.chunk_bytes``
SMALL = {
    "config.json": b'{"architectures": ["Wav2Vec2ForCTC"]}',
    "vocab.json": b'{"<pad>": 0, "|": 1}',
    "preprocessor_config.json": b"{}",
    "tokenizer_config.json": b"{}",
}
NOT_WANTED = {"pytorch_model.bin": b"pickle" * 100, "README.md": b"# tiny", "model.onnx": b"onnx" * 100}
OPTIONS = DownloadOptions(connect_timeout_s=5.0, read_timeout_s=5.0, chunk_bytes=16 * 1024,
                          progress_every_s=0.0)
SHORT = DownloadOptions(connect_timeout_s=0.5, read_timeout_s=0.5, chunk_bytes=16 * 1024)


@pytest.fixture
def hub() -> Iterator[StandInHub]:
    with StandInHub() as server:
        server.add_repo(REF, {**SMALL, **NOT_WANTED, "model.safetensors": WEIGHTS})
        yield server


def fetch(hub: StandInHub, root: Path, options: DownloadOptions = OPTIONS,
          progress: Callable[[DownloadProgress], None] | None = None,
          cancel: threading.Event | None = None) -> Path:
    return fetch_model(REF, dest_root=root, endpoint=hub.endpoint, options=options, progress=progress,
                       cancel=cancel)


def part_of(root: Path, name: str) -> Path:
    return hub_folder(REF, root) / STAGING_FOLDER / f"{name}.part"


def test_full_download_reports_progress_and_takes_only_safetensors(hub: StandInHub, tmp_path: Path) -> None:
    seen: list[DownloadProgress] = []
    folder = fetch(hub, tmp_path, progress=seen.append)
    assert folder == hub_folder(REF, tmp_path) == tmp_path / "someone--tiny-ko"
    assert downloaded_folder(REF, tmp_path) == folder
    assert {p.name for p in folder.iterdir() if not p.name.startswith(".")} == {*SMALL, "model.safetensors"}
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    assert not (folder / STAGING_FOLDER).exists()
    assert sorted(hub.fetched()) == sorted([*SMALL, "model.safetensors", "model.safetensors"])  # + redirect
    total = sum(map(len, SMALL.values())) + len(WEIGHTS)
    assert {p.total_bytes for p in seen} == {total} and {p.ref for p in seen} == {REF}
    done = [p.done_bytes for p in seen]
    assert done == sorted(done) and done[0] == 0 and done[-1] == total
    assert len(seen) > len(WEIGHTS) // OPTIONS.chunk_bytes  # a report per chunk here (progress_every_s 0)
    assert seen[-1].eta_s == 0.0
    assert [m.ref for m in downloaded_models(tmp_path)] == [REF]
    # complete: the next call answers from the folder, without the network
    asked = len(hub.requests)
    assert fetch(hub, tmp_path) == folder and len(hub.requests) == asked


def test_weights_from_the_conversion_pull_request(tmp_path: Path) -> None:
    with StandInHub() as hub:
        hub.add_repo(REF, {**SMALL, "pytorch_model.bin": b"pickle" * 100})
        hub.add_conversion_pr(REF, 2, {"model.safetensors": b"stale"}, status="closed")
        pr_sha = hub.add_conversion_pr(REF, 5, {**SMALL, "model.safetensors": WEIGHTS})
        folder = fetch(hub, tmp_path)
        assert (folder / "model.safetensors").read_bytes() == WEIGHTS
        assert "pytorch_model.bin" not in hub.fetched()
        assert "/api/models/someone/tiny-ko/revision/refs/pr/5" in [s.path for s in hub.requests]
        assert any(s.path == f"/someone/tiny-ko/resolve/{pr_sha}/model.safetensors" for s in hub.requests)
        marker = json.loads((folder / ".livekr-download.json").read_text(encoding="utf-8"))
        assert marker["weights_revision"] == "refs/pr/5"


def test_no_safetensors_anywhere_is_a_clear_error(tmp_path: Path) -> None:
    with StandInHub() as hub:
        hub.add_repo(REF, {**SMALL, "pytorch_model.bin": b"pickle"})
        with pytest.raises(DownloadError, match=r"no safetensors weights.*never PyTorch pickles"):
            fetch(hub, tmp_path)
        assert "pytorch_model.bin" not in hub.fetched()


def test_sharded_weights_come_with_their_index(tmp_path: Path) -> None:
    index = {"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}
    shards = {"model-00001-of-00002.safetensors": WEIGHTS[:1000], "model-00002-of-00002.safetensors": WEIGHTS}
    with StandInHub() as hub:
        hub.add_repo(REF, {**SMALL, **shards, "model.safetensors.index.json": json.dumps(index).encode(),
                           "model-00001-of-00002.bin": b"pickle"})
        folder = fetch(hub, tmp_path)
    assert all((folder / name).read_bytes() == data for name, data in shards.items())
    assert not (folder / "model-00001-of-00002.bin").exists()


def test_unknown_model_says_so(hub: StandInHub, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=r"no model nobody/nothing on the Hugging Face hub.*HTTP 401"):
        fetch_model("nobody/nothing", dest_root=tmp_path, endpoint=hub.endpoint, options=OPTIONS)
    hub.faults.status["/api/models/someone/tiny-ko/revision/main"] = 404
    with pytest.raises(DownloadError, match="private or gated"):
        fetch(hub, tmp_path)


def test_not_a_hub_id_is_refused(tmp_path: Path) -> None:
    for ref in ("../etc", "a/b/c", "owner/..", "justaname"):
        with pytest.raises(DownloadError, match="not a Hugging Face model id"):
            fetch_model(ref, dest_root=tmp_path, endpoint="http://127.0.0.1:9")
        assert downloaded_folder(ref, tmp_path) is None


def test_a_server_that_never_answers_times_out(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # connections are accepted by the kernel; nothing ever answers
    try:
        t0 = time.monotonic()
        answer = r"did not answer within 0\.5 s; check your connection or proxy"
        with pytest.raises(DownloadError, match=answer):
            fetch_model(REF, dest_root=tmp_path, endpoint=f"http://127.0.0.1:{listener.getsockname()[1]}",
                        options=SHORT)
        assert time.monotonic() - t0 < 10 * SHORT.read_timeout_s  # a generous bound, not a timing
    finally:
        listener.close()


def test_a_refused_connection_fails_at_once(tmp_path: Path) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    with pytest.raises(DownloadError, match="refused the connection; check your connection or proxy"):
        fetch_model(REF, dest_root=tmp_path, endpoint=f"http://127.0.0.1:{port}", options=SHORT)


def test_a_stall_mid_file_is_an_error_and_the_next_call_resumes(hub: StandInHub, tmp_path: Path) -> None:
    hub.faults.stall_after["model.safetensors"] = 50_000
    with pytest.raises(DownloadError, match=r"model.safetensors stalled: no data .* for 0\.5 s.*resumes"):
        fetch(hub, tmp_path, options=SHORT)
    assert part_of(tmp_path, "model.safetensors").stat().st_size == 50_000
    assert downloaded_folder(REF, tmp_path) is None
    fetch(hub, tmp_path)
    assert hub.ranges("model.safetensors") == [None, "bytes=50000-"]


def test_a_dropped_connection_resumes_with_a_range_request(hub: StandInHub, tmp_path: Path) -> None:
    hub.faults.drop_after["model.safetensors"] = 100_000
    with pytest.raises(DownloadError, match=r"ended after 100 kB of 307 kB of model.safetensors.*resumes"):
        fetch(hub, tmp_path)
    assert downloaded_folder(REF, tmp_path) is None
    seen: list[DownloadProgress] = []
    folder = fetch(hub, tmp_path, progress=seen.append)
    assert hub.ranges("model.safetensors") == [None, "bytes=100000-"]
    got = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    assert got == hashlib.sha256(WEIGHTS).hexdigest()
    assert seen[0].done_bytes >= 100_000  # what the first call left counts as done
    assert hub.fetched().count("config.json") == 1  # files already in place are not fetched again


def test_a_server_that_ignores_range_starts_the_file_over(hub: StandInHub, tmp_path: Path) -> None:
    hub.faults.drop_after["model.safetensors"] = 100_000
    with pytest.raises(DownloadError):
        fetch(hub, tmp_path)
    hub.faults.ignore_range = True
    folder = fetch(hub, tmp_path)
    assert hub.ranges("model.safetensors") == [None, "bytes=100000-"]
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS


def test_a_complete_part_is_finished_after_416(hub: StandInHub, tmp_path: Path) -> None:
    hub.faults.drop_after["model.safetensors"] = 0
    with pytest.raises(DownloadError, match="ended after 0 B"):
        fetch(hub, tmp_path)
    # as if a download ended between the last byte and the move into place
    part_of(tmp_path, "model.safetensors").write_bytes(WEIGHTS)
    folder = fetch(hub, tmp_path)
    assert hub.ranges("model.safetensors") == [None, f"bytes={len(WEIGHTS)}-"]
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS


def test_damaged_bytes_are_an_error_and_the_part_is_removed(hub: StandInHub, tmp_path: Path) -> None:
    hub.faults.damage.add("model.safetensors")
    with pytest.raises(DownloadError, match=r"safetensors of someone/tiny-ko arrived damaged.*SHA-256"):
        fetch(hub, tmp_path)
    assert not part_of(tmp_path, "model.safetensors").exists()
    assert not (hub_folder(REF, tmp_path) / "model.safetensors").exists()
    assert fetch(hub, tmp_path) == hub_folder(REF, tmp_path)


def test_a_damaged_part_left_by_an_earlier_download_is_caught(hub: StandInHub, tmp_path: Path) -> None:
    hub.faults.drop_after["model.safetensors"] = 1000
    with pytest.raises(DownloadError, match="ended after"):
        fetch(hub, tmp_path)
    part_of(tmp_path, "model.safetensors").write_bytes(b"\0" * 1000)
    with pytest.raises(DownloadError, match="arrived damaged"):
        fetch(hub, tmp_path)
    assert hub.ranges("model.safetensors") == [None, "bytes=1000-"]
    assert not part_of(tmp_path, "model.safetensors").exists()


def test_cancel_before_the_start(hub: StandInHub, tmp_path: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(DownloadCancelled, match="cancelled"):
        fetch(hub, tmp_path, cancel=cancel)
    assert hub.requests == []


def test_cancel_from_another_thread_keeps_the_part_and_the_next_call_resumes(
    hub: StandInHub, tmp_path: Path
) -> None:
    cancel, midway, cancelled = threading.Event(), threading.Event(), threading.Event()
    outcome: list[BaseException] = []

    def progress(p: DownloadProgress) -> None:
        if p.file == "model.safetensors" and p.done_bytes > 100_000 and not midway.is_set():
            midway.set()
            cancelled.wait()  # the download thread waits here until the test has cancelled

    def download() -> None:
        try:
            fetch(hub, tmp_path, progress=progress, cancel=cancel)
        except BaseException as e:
            outcome.append(e)

    worker = threading.Thread(target=download)
    worker.start()
    assert midway.wait(30)
    cancel.set()
    cancelled.set()
    worker.join()
    assert len(outcome) == 1 and isinstance(outcome[0], DownloadCancelled)
    assert "cancelled with" in str(outcome[0]) and "resumes" in str(outcome[0])
    kept = part_of(tmp_path, "model.safetensors").stat().st_size
    assert 90_000 < kept < len(WEIGHTS)
    assert downloaded_folder(REF, tmp_path) is None
    folder = fetch(hub, tmp_path)
    assert hub.ranges("model.safetensors")[-1] == f"bytes={kept}-"
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS


def test_a_second_download_of_the_same_model_is_refused(hub: StandInHub, tmp_path: Path) -> None:
    inside, finish = threading.Event(), threading.Event()
    outcome: list[object] = []

    def progress(p: DownloadProgress) -> None:
        inside.set()
        finish.wait()

    def download() -> None:
        try:
            outcome.append(fetch(hub, tmp_path, progress=progress))
        except BaseException as e:
            outcome.append(e)

    worker = threading.Thread(target=download)
    worker.start()
    assert inside.wait(30)
    try:
        with pytest.raises(DownloadError, match="being downloaded by another livekr window or process"):
            fetch(hub, tmp_path)
    finally:
        finish.set()
        worker.join()
    assert outcome == [hub_folder(REF, tmp_path)]


def test_a_new_commit_on_the_hub_starts_over(hub: StandInHub, tmp_path: Path) -> None:
    hub.faults.drop_after["model.safetensors"] = 100_000
    with pytest.raises(DownloadError):
        fetch(hub, tmp_path)
    hub.add_repo(REF, {**SMALL, "model.safetensors": WEIGHTS[::-1]})  # main moved on
    folder = fetch(hub, tmp_path)
    assert hub.ranges("model.safetensors") == [None, None]
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS[::-1]


def test_describe_and_the_meter() -> None:
    p = DownloadProgress(REF, "model.safetensors", 340_000_000, 1_200_000_000, 25_000_000, 34.4)
    assert describe(p) == "340 MB of 1.2 GB · 25 MB/s · 34 s left"
    assert describe(DownloadProgress(REF, "x", 0, 95_000_000, 0.0, None)) == "0 B of 95 MB"
    assert describe(DownloadProgress(REF, "x", 5, 5, 10.0, 0.0)) == "5 B of 5 B · 10 B/s"
    slow = DownloadProgress(REF, "x", 0, 10**9, 1e6, 7500)
    assert describe(slow) == "0 B of 1.0 GB · 1.0 MB/s · 2 h 05 min left"
    now = [0.0]
    seen: list[DownloadProgress] = []
    meter = ProgressMeter(REF, 1000, 100, 0.2, seen.append, clock=lambda: now[0])
    meter.start("a")
    meter.advance("a", 100)  # within 0.2 s of the start: no report
    now[0] = 0.5
    meter.advance("a", 100)  # 200 bytes in 0.5 s
    assert [p.done_bytes for p in seen] == [100, 300] and seen[-1].speed_bytes_per_s == pytest.approx(400)
    assert seen[-1].eta_s == pytest.approx(700 / 400)
    now[0] = 1.0
    meter.advance("b", 100)  # 100 bytes in 0.5 s: the speed moves toward 200
    assert 200 < seen[-1].speed_bytes_per_s < 400 and seen[-1].file == "b"


def test_downloaded_folder_needs_every_listed_file(hub: StandInHub, tmp_path: Path) -> None:
    assert downloaded_folder(REF, tmp_path) is None
    folder = fetch(hub, tmp_path)
    (folder / "vocab.json").unlink()
    assert downloaded_folder(REF, tmp_path) is None and downloaded_models(tmp_path) == []
    assert fetch(hub, tmp_path) == folder  # and a new download completes it
    assert hub.fetched().count("vocab.json") == 2 and hub.fetched().count("config.json") == 1


@pytest.mark.slow
def test_load_recognizer_downloads_a_hub_model_and_keeps_its_id(
    tiny_wav2vec2: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from livekr.config import RecognizerOptions
    from livekr.recognizer import load_recognizer

    monkeypatch.setenv("LIVEKR_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    options = RecognizerOptions(device="cpu", backend="torch", dtype="fp32")
    seen: list[DownloadProgress] = []
    with StandInHub() as hub:
        hub.add_repo(REF, {**folder_files(tiny_wav2vec2), **NOT_WANTED})
        monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
        recognizer = load_recognizer(REF, options, warm_up=False, download_progress=seen.append,
                                     cache=tmp_path / "cache")
    assert recognizer.name == REF
    assert seen and seen[-1].done_bytes == seen[-1].total_bytes
    assert "pytorch_model.bin" not in hub.fetched()
    assert downloaded_folder(REF) == tmp_path / "models" / "hub" / "someone--tiny-ko"
    # the stand-in hub is gone: the downloaded folder loads without it
    again = load_recognizer(REF, options, warm_up=False, cache=tmp_path / "cache")
    assert again.name == REF and again.tokens == recognizer.tokens


def test_progress_lines_come_every_few_seconds_and_at_the_end() -> None:
    now = [0.0]
    lines: list[str] = []
    show = ProgressLines(lines.append, every_s=2.0, clock=lambda: now[0])
    for t, done in ((0.0, 0), (1.0, 10), (2.5, 20), (3.0, 100), (3.1, 100)):
        now[0] = t
        show(DownloadProgress(REF, "model.safetensors", done, 100, 0.0, None))
    assert lines == [f"downloading {REF}: 0 B of 100 B", f"downloading {REF}: 20 B of 100 B",
                     f"downloading {REF}: 100 B of 100 B"]


def test_a_name_that_is_neither_a_folder_nor_a_hub_id_is_refused() -> None:
    from livekr.recognizer import ModelLoadError, load_recognizer

    with pytest.raises(ModelLoadError, match="no such checkpoint folder, and not a Hugging Face model id"):
        load_recognizer("no-such-model-here")


def test_livekr_models_lists_downloaded_hub_models(
    hub: StandInHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from livekr.cli_info import cmd_models

    monkeypatch.setenv("LIVEKR_MODELS_DIR", str(tmp_path))
    folder = fetch_model(REF, endpoint=hub.endpoint, options=OPTIONS)
    assert folder == tmp_path / "hub" / "someone--tiny-ko"
    assert cmd_models(argparse.Namespace()) == 0
    out = capsys.readouterr().out
    assert f"# downloaded from the Hugging Face hub into {tmp_path / 'hub'}" in out
    assert f"{REF}  307 kB  {folder}" in out.splitlines()


def test_download_console_on_a_terminal_and_in_a_log() -> None:
    import io

    from livekr.console import DownloadConsole

    now = [0.0]
    log_stream = io.StringIO()
    logged = DownloadConsole(log_stream, tty=False, clock=lambda: now[0])
    terminal_stream = io.StringIO()
    terminal = DownloadConsole(terminal_stream, tty=True)
    for t, done in ((0.0, 0), (1.0, 50), (6.0, 60), (6.5, 100)):
        now[0] = t
        for console in (logged, terminal):
            console(DownloadProgress(REF, "model.safetensors", done, 100, 0.0, None))
    assert log_stream.getvalue().splitlines() == [
        f"livekr: downloading {REF}: {size} of 100 B" for size in ("0 B", "60 B", "100 B")
    ]
    lines = terminal_stream.getvalue().split("\r")[1:]
    assert len(lines) == 4 and lines[-1] == f"livekr: downloading {REF}: 100 B of 100 B\x1b[K\n"
    assert not logged.downloading and not terminal.downloading


def test_ctrl_c_cancels_the_download_then_interrupts() -> None:
    import io
    import signal

    from livekr.console import DownloadConsole

    stream = io.StringIO()
    with pytest.raises(KeyboardInterrupt), DownloadConsole(stream, tty=False) as console:
        signal.raise_signal(signal.SIGINT)  # before the download: an ordinary interrupt
    assert not console.cancel.is_set()
    with pytest.raises(KeyboardInterrupt) as info, DownloadConsole(stream, tty=False) as console:
        console(DownloadProgress(REF, "model.safetensors", 10, 100, 0.0, None))
        signal.raise_signal(signal.SIGINT)  # during it: a request to cancel
        assert console.cancel.is_set()
        raise DownloadCancelled("the download of someone/tiny-ko was cancelled")
    assert isinstance(info.value.__cause__, DownloadCancelled)
    assert "cancelling the download" in stream.getvalue()
    assert "livekr: the download of someone/tiny-ko was cancelled" in stream.getvalue()
    with pytest.raises(KeyboardInterrupt), DownloadConsole(stream, tty=False) as console:
        console(DownloadProgress(REF, "model.safetensors", 10, 100, 0.0, None))
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)  # a second one stops at once
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.slow
def test_the_command_line_shows_the_download_and_ctrl_c_cancels_it(
    tiny_wav2vec2: Path, tmp_path: Path
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import wave

    from tests.conftest import REPO

    audio = tmp_path / "silence.wav"
    with wave.open(str(audio), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * 16000)
    with StandInHub() as hub:
        hub.add_repo(REF, folder_files(tiny_wav2vec2))
        hub.faults.stall_after["model.safetensors"] = 50_000
        env = {**os.environ, "HF_HUB_OFFLINE": "0", "HF_ENDPOINT": hub.endpoint, "PYTHONPATH": str(REPO),
               "LIVEKR_MODELS_DIR": str(tmp_path / "models")}
        command = [sys.executable, "-m", "livekr", "transcribe", str(audio), "-m", REF, "--backend", "torch"]
        proc = subprocess.Popen(command, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stderr is not None
        assert hub.stalled.wait(120)  # the download is under way
        proc.send_signal(signal.SIGINT)
        lines = [proc.stderr.readline()]
        while "cancelling the download" not in lines[-1] and lines[-1]:
            lines.append(proc.stderr.readline())
        hub.release.set()  # the stalled transfer moves on, and the download notices the cancel
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, "".join(lines) + err
        assert "the download of someone/tiny-ko was cancelled with" in err and "Traceback" not in err
        assert downloaded_folder(REF, tmp_path / "models" / "hub") is None
        done = subprocess.run(command, env=env, text=True, capture_output=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert re.search(r"downloading someone/tiny-ko: (\S+ \S+) of \1( ·|\n)", done.stderr), done.stderr
        assert downloaded_folder(REF, tmp_path / "models" / "hub") is not None
