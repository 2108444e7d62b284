"""``livekr doctor`` and the start-up messages about what the system lacks: every check with
fake probes for each of its branches, the hub check against local servers (never the real
hub), and the real command once."""

from __future__ import annotations

import http.server
import json
import socket
import sys
import threading
import urllib.error
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from livekr import doctor
from livekr.audio import AudioError
from livekr.cli import main
from livekr.cpu import CpuInfo
from livekr.doctor import HUB_PROBE_MODEL, OK, PROBLEM, WARNING, Check
from livekr.microphone import PORTAUDIO_HINT, InputDevice
from livekr.reachability import call_within
from livekr.system import (
    XCB_LIBRARIES,
    explain_qt_import_error,
    korean_font_warning,
    package_for_import_error,
    parse_fc_list,
    window_start_problem,
)

HUNG_TIMEOUT_S = 0.2
"""The hub check's timeout against a server that never answers."""


def raising(error: BaseException) -> Callable[..., Any]:
    def probe(*args: Any) -> Any:
        raise error

    return probe


def audio_error(cause: BaseException) -> AudioError:
    """An AudioError chained to ``cause``, as ``livekr.microphone`` raises them."""
    try:
        raise AudioError("the microphone cannot be used") from cause
    except AudioError as e:
        return e


def loads_all_but(*missing: str) -> Callable[[str], bool]:
    return lambda soname: soname not in missing


# -- audio ------------------------------------------------------------------------------


def test_portaudio_found_missing_or_without_sounddevice() -> None:
    sd = SimpleNamespace(get_portaudio_version=lambda: (1246720, "PortAudio V19.7.0-devel, revision 147"))
    assert doctor.check_portaudio(lambda: sd) == Check("PortAudio", OK, "PortAudio V19.7.0-devel")

    missing = doctor.check_portaudio(raising(audio_error(OSError("PortAudio library not found"))))
    assert missing.status == PROBLEM
    assert "PortAudio library not found" in missing.detail
    assert missing.fix == PORTAUDIO_HINT and "libportaudio2" in missing.fix

    no_package = doctor.check_portaudio(raising(audio_error(ModuleNotFoundError("sounddevice"))))
    assert (no_package.status, no_package.fix) == (PROBLEM, "pip install sounddevice")


def test_microphones_counted_with_the_default_or_explained() -> None:
    usb = InputDevice(3, "USB Mic", 1, 48000.0, "ALSA", True)
    built_in = InputDevice(0, "Built-in", 2, 44100.0, "ALSA", False)
    assert doctor.check_microphones(lambda: [built_in, usb]) == Check(
        "microphones", OK, "2 found; default: USB Mic")
    assert "livekr uses Built-in" in doctor.check_microphones(lambda: [built_in]).detail

    none = doctor.check_microphones(list)
    assert (none.status, none.detail) == (WARNING, "none found")
    assert "livekr --demo FILE" in none.fix

    no_portaudio = doctor.check_microphones(raising(audio_error(OSError("PortAudio library not found"))))
    assert no_portaudio.status == WARNING and "PortAudio" in no_portaudio.fix

    broken = doctor.check_microphones(raising(audio_error(RuntimeError("Error querying host API -9999"))))
    assert broken.status == WARNING
    assert "-9999" in broken.detail and "PulseAudio" in broken.fix


# -- the window --------------------------------------------------------------------------


def test_pyside_found_missing_or_without_a_system_library() -> None:
    assert doctor.check_pyside(lambda: "6.12.0") == Check("Qt (PySide6)", OK, "PySide6 6.12.0")

    absent = doctor.check_pyside(raising(ModuleNotFoundError("No module named 'PySide6'", name="PySide6")))
    assert absent.status == PROBLEM and "pip install PySide6-Essentials" in absent.fix

    egl = ImportError("libEGL.so.1: cannot open shared object file: No such file or directory")
    no_egl = doctor.check_pyside(raising(egl), platform="linux")
    assert no_egl.status == PROBLEM
    assert "libEGL.so.1" in no_egl.detail and "sudo apt install libegl1" in no_egl.fix

    dll = ImportError("DLL load failed while importing QtGui: The specified module could not be found.")
    assert "Visual C++" in doctor.check_pyside(raising(dll), platform="win32").fix


def test_display_needed_only_on_linux_and_found_in_the_environment() -> None:
    none = doctor.check_display({}, "linux")
    assert none.status == WARNING and "xvfb-run" in none.fix
    assert doctor.check_display({"DISPLAY": ":0"}, "linux") == Check("display", OK, "DISPLAY=:0")
    assert doctor.check_display({"WAYLAND_DISPLAY": "wayland-0"}, "linux").status == OK
    offscreen = doctor.check_display({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert offscreen.detail == "QT_QPA_PLATFORM=offscreen"
    assert doctor.check_display({}, "win32").status == OK
    assert doctor.check_display({}, "darwin").status == OK


def test_xcb_libraries_name_the_packages_to_install() -> None:
    assert doctor.check_xcb_libraries(loads_all_but(), {"DISPLAY": ":0"}, "linux").status == OK

    x11 = {"DISPLAY": ":0"}
    lacking = loads_all_but("libxcb-icccm.so.4", "libxcb-keysyms.so.1")
    missing = doctor.check_xcb_libraries(lacking, x11, "linux")
    assert missing.status == PROBLEM  # the window would use xcb: Qt would abort
    assert missing.detail == "missing libxcb-icccm.so.4, libxcb-keysyms.so.1"
    assert missing.fix == "Debian/Ubuntu: sudo apt install libxcb-icccm4 libxcb-keysyms1"

    wayland = {"WAYLAND_DISPLAY": "wayland-0"}
    on_wayland = doctor.check_xcb_libraries(loads_all_but("libxkbcommon-x11.so.0"), wayland, "linux")
    assert on_wayland.status == WARNING and "libxkbcommon-x11-0" in on_wayland.fix
    asked_for_xcb = {"QT_QPA_PLATFORM": "xcb"}
    forced = doctor.check_xcb_libraries(loads_all_but("libxcb-cursor.so.0"), asked_for_xcb, "linux")
    assert forced.status == PROBLEM

    # not looked for where there is no xcb
    assert doctor.check_xcb_libraries(raising(AssertionError("looked")), {}, "darwin").status == OK


def test_korean_font_found_missing_or_unknown() -> None:
    found = doctor.check_korean_font(lambda: ["NanumGothic", "Noto Sans CJK KR", "A", "B"], "linux")
    assert found == Check("Korean font", OK, "NanumGothic, Noto Sans CJK KR, A and 1 more")

    none = doctor.check_korean_font(list, "linux")
    assert none.status == PROBLEM and "empty boxes" in none.detail
    assert "fonts-noto-cjk" in none.fix and "fonts-nanum" in none.fix
    assert "Malgun Gothic" in doctor.check_korean_font(list, "win32").fix
    assert "Apple SD Gothic Neo" in doctor.check_korean_font(list, "darwin").fix

    unknown = doctor.check_korean_font(raising(RuntimeError("fc-list failed")), "linux")
    assert unknown.status == WARNING and "fc-list failed" in unknown.detail


def test_font_list_parsing_and_the_window_warning() -> None:
    text = "NanumGothic,나눔고딕\nNoto Sans CJK KR,Noto Sans CJK KR Bold\nNanumGothic\n\n"
    assert parse_fc_list(text) == ["NanumGothic", "Noto Sans CJK KR"]
    assert korean_font_warning(["NanumGothic"]) is None
    warning = korean_font_warning([], "linux")
    assert warning is not None and "fonts-noto-cjk" in warning and "livekr doctor" in warning


# -- computing ---------------------------------------------------------------------------


def fake_torch(cuda_available: bool, cuda_build: str | None = "12.8") -> SimpleNamespace:
    return SimpleNamespace(
        __version__="2.13.0",
        cuda=SimpleNamespace(is_available=lambda: cuda_available, get_device_name=lambda i: "NVIDIA H100"),
        version=SimpleNamespace(cuda=cuda_build),
    )


def test_torch_with_a_gpu_on_the_cpu_or_missing() -> None:
    gpu = doctor.check_torch(lambda: fake_torch(True), lambda: True)
    assert gpu == Check("torch", OK, "2.13.0, CUDA GPU: NVIDIA H100")
    cpu = doctor.check_torch(lambda: fake_torch(False, None), lambda: False)
    assert cpu == Check("torch", OK, "2.13.0, CPU only (no CUDA GPU)")

    cpu_build = doctor.check_torch(lambda: fake_torch(False, None), lambda: True)
    assert cpu_build.status == WARNING and "pytorch.org" in cpu_build.fix
    old_driver = doctor.check_torch(lambda: fake_torch(False, "12.8"), lambda: True)
    assert old_driver.status == WARNING and "driver" in old_driver.fix

    missing = doctor.check_torch(raising(ModuleNotFoundError("No module named 'torch'")), lambda: False)
    assert missing.status == PROBLEM and missing.fix.startswith("pip install torch")


def test_cpu_says_whether_bf16_is_native() -> None:
    amx = CpuInfo("Intel Xeon 8480+", frozenset({"avx512f", "amx_bf16"}), 8)
    assert "; native bf16;" in doctor.check_cpu(lambda: amx).detail
    avx2 = CpuInfo("Intel Core i5", frozenset({"avx2"}), 4)
    assert doctor.check_cpu(lambda: avx2) == Check("CPU", OK, "Intel Core i5 (avx2; no native bf16; 4 CPUs)")


def test_onnxruntime_found_or_missing() -> None:
    ort = SimpleNamespace(__version__="1.31.1", get_available_providers=lambda: ["CPUExecutionProvider"])
    assert doctor.check_onnxruntime(lambda: ort) == Check("ONNX Runtime", OK, "1.31.1 (CPUExecutionProvider)")
    missing = doctor.check_onnxruntime(raising(ModuleNotFoundError("No module named 'onnxruntime'")))
    assert missing.status == WARNING and "pip install onnxruntime" in missing.fix


# -- storage -----------------------------------------------------------------------------


def test_models_folder_with_checkpoints_not_created_not_writable_or_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    assert "not created yet" in doctor.check_models_folder(folder).detail
    assert doctor.check_models_folder(folder).status == OK
    assert doctor.check_models_folder(folder, writable=lambda p: False).status == WARNING

    (folder / "mine").mkdir(parents=True)
    (folder / "mine" / "config.json").write_text("{}")
    (folder / "notes").mkdir()
    assert doctor.check_models_folder(folder) == Check("models folder", OK, f"{folder}: 1 checkpoint")
    read_only = doctor.check_models_folder(folder, writable=lambda p: False)
    assert read_only.status == WARNING and "LIVEKR_MODELS_DIR" in read_only.fix

    file = tmp_path / "file"
    file.write_text("")
    assert doctor.check_models_folder(file).status == PROBLEM


def test_disk_space_warns_below_two_gigabytes_where_models_are_kept(tmp_path: Path) -> None:
    models, cache = tmp_path / "models", tmp_path / "cache" / "hub"
    free = {tmp_path: 50 * 10**9}
    plenty = doctor.check_disk_space([models, cache], free.__getitem__)
    assert plenty == Check("disk space", OK, f"50.0 GB free in {models}")

    cache.mkdir(parents=True)
    free[cache] = 700 * 10**6
    low = doctor.check_disk_space([models, cache], free.__getitem__)
    assert low.status == WARNING
    assert low.detail.startswith(f"only 0.7 GB free in {cache}") and "HF_HOME" in low.fix


# -- the hub -----------------------------------------------------------------------------


class HubHandler(http.server.BaseHTTPRequestHandler):
    """Answers the probe model's API address like the hub, anything else with 404."""

    def do_GET(self) -> None:
        found = self.path == f"/api/models/{HUB_PROBE_MODEL}"
        body = json.dumps({"id": HUB_PROBE_MODEL} if found else {"error": "not found"}).encode()
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Local servers are reached directly, whatever proxy this machine has."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def hub_server(no_proxy: None) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HubHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_hub_answers_through_hf_endpoint(hub_server: str) -> None:
    check = doctor.check_hub({"HF_ENDPOINT": hub_server + "/"}, timeout_s=5.0)
    assert check == Check("Hugging Face hub", OK, f"{hub_server.removeprefix('http://')} answers (HTTP 200)")


def test_hub_http_404_says_to_check_the_endpoint(hub_server: str) -> None:
    check = doctor.check_hub({"HF_ENDPOINT": f"{hub_server}/not-a-hub"}, timeout_s=5.0)
    assert check.status == WARNING
    assert "HTTP 404" in check.detail and "HF_ENDPOINT" in check.fix


def test_hub_connection_refused(no_proxy: None) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    check = doctor.check_hub({"HF_ENDPOINT": f"http://127.0.0.1:{port}"}, timeout_s=5.0)
    assert check.status == WARNING
    assert check.detail == f"127.0.0.1:{port} refused the connection"
    assert "HTTPS_PROXY" in check.fix


def test_hub_that_accepts_and_never_answers_ends_by_the_timeout(no_proxy: None) -> None:
    release = threading.Event()
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(30.0)  # bounds the accepting thread should the client never come

        def hold() -> None:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                release.wait()

        holder = threading.Thread(target=hold, daemon=True)
        holder.start()
        try:
            check = doctor.check_hub({"HF_ENDPOINT": f"http://127.0.0.1:{server.getsockname()[1]}"},
                                     timeout_s=HUNG_TIMEOUT_S)
        finally:
            release.set()
            holder.join()
    assert check.status == WARNING
    assert check.detail == f"no answer from 127.0.0.1 within {HUNG_TIMEOUT_S:g} s"


def test_hub_name_lookup_failure_offline_and_bad_endpoint() -> None:
    dns = urllib.error.URLError(socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    check = doctor.check_hub({}, timeout_s=1.0, fetch=raising(dns))
    assert check.detail == "cannot look up huggingface.co (DNS): Name or service not known"
    assert check.status == WARNING

    offline = doctor.check_hub({"HF_HUB_OFFLINE": "1"}, fetch=raising(AssertionError("asked the hub")))
    assert offline.status == WARNING and "HF_HUB_OFFLINE" in offline.detail

    bad = doctor.check_hub({"HF_ENDPOINT": "huggingface.co"}, timeout_s=1.0)
    assert bad.status == WARNING and "HF_ENDPOINT" in bad.fix


@pytest.mark.parametrize(("status", "outcome", "words"), [
    (200, OK, "HTTP 200"), (403, WARNING, "refuses"), (503, WARNING, "HTTP 503"),
])
def test_hub_http_statuses(status: int, outcome: str, words: str) -> None:
    check = doctor.check_hub({"HF_ENDPOINT": "https://hub.example"}, fetch=lambda url, t: status)
    assert check.status == outcome and words in check.detail


def test_call_within_returns_raises_or_gives_up() -> None:
    assert call_within(5.0, lambda a, b: a + b, 2, 3) == 5
    with pytest.raises(ConnectionRefusedError):
        call_within(5.0, raising(ConnectionRefusedError()))
    release = threading.Event()
    with pytest.raises(TimeoutError):
        call_within(0.05, release.wait)
    release.set()


# -- all of them -------------------------------------------------------------------------


def test_a_check_that_crashes_is_a_problem_not_a_traceback() -> None:
    def check_flux_capacitor() -> Check:
        raise KeyError("gigawatts")

    check = doctor.run_check(check_flux_capacitor)
    assert check.name == "flux capacitor" and check.status == PROBLEM
    assert "KeyError" in check.detail


def test_lines_are_aligned_and_summarised() -> None:
    checks = [Check("PortAudio", OK, "V19"), Check("Korean font", PROBLEM, "none", "install one")]
    lines = [doctor.format_check(c) for c in checks]
    assert lines == ["PortAudio         ok       V19", "Korean font       problem  none  fix: install one"]
    assert doctor.summary(checks) == "1 problem, 0 warnings"
    assert doctor.summary(checks[:1]) == "everything livekr needs is here"
    assert doctor.has_problem(checks) and not doctor.has_problem(checks[:1])


def test_the_real_doctor_has_a_line_per_check_and_fails_only_on_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # never the real hub
    monkeypatch.setenv("LIVEKR_MODELS_DIR", str(tmp_path / "models"))
    code = main(["doctor"])
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == len(doctor.CHECKS)
    statuses = [line[doctor.NAME_WIDTH:].split()[0] for line in lines]
    assert set(statuses) <= {OK, WARNING, PROBLEM}
    assert code == (1 if PROBLEM in statuses else 0)
    assert "HF_HUB_OFFLINE" in lines[-1]
    assert "problem" in err  # the summary

    code = main(["doctor", "--json"])
    checks = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in checks] == [line[: doctor.NAME_WIDTH].strip() for line in lines]
    assert all(set(c) == {"name", "status", "detail", "fix"} for c in checks)
    assert code == (1 if any(c["status"] == PROBLEM for c in checks) else 0)


# -- what the window says before Qt starts -------------------------------------------------


def test_window_start_problems_are_found_before_qt_starts() -> None:
    everything = loads_all_but()
    assert window_start_problem({}, "linux", everything) is not None
    assert "xvfb-run" in (window_start_problem({}, "linux", everything) or "")
    assert window_start_problem({"DISPLAY": ":0"}, "linux", everything) is None
    assert window_start_problem({}, "darwin", everything) is None
    assert window_start_problem({}, "win32", everything) is None

    lacking = loads_all_but("libxcb-cursor.so.0")
    problem = window_start_problem({"DISPLAY": ":0"}, "linux", lacking)
    assert problem is not None and "sudo apt install libxcb-cursor0" in problem and "livekr doctor" in problem
    # Wayland, or a platform asked for by name, does not need the xcb libraries
    assert window_start_problem({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, "linux", lacking) is None
    assert window_start_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux", lacking) is None


def test_qt_import_errors_name_the_package() -> None:
    assert package_for_import_error("libxcb-icccm.so.4: cannot open shared object file") == "libxcb-icccm4"
    assert package_for_import_error("libGL.so.1: cannot open shared object file: No such file") == "libgl1"
    assert package_for_import_error("something else") is None
    assert set(XCB_LIBRARIES.values()) >= {"libxcb-icccm4", "libxcb-keysyms1", "libxkbcommon-x11-0"}
    message = explain_qt_import_error(ImportError("libEGL.so.1: cannot open shared object file"), "linux")
    assert "sudo apt install libegl1" in message and "livekr doctor" in message


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="displays are a Linux matter")
def test_the_window_without_a_display_fails_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert main([]) == 1
    err = capsys.readouterr().err
    assert err.startswith("livekr: error: no display") and err.count("\n") == 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sonames are Linux's")
def test_libraries_are_looked_for_as_the_loader_finds_them() -> None:
    from livekr.system import library_loads

    assert library_loads("libc.so.6")
    assert not library_loads("libxcb-livekr-nonexistent.so.9")


def test_trainer_scripts_without_the_training_extra_say_what_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from trainer.entry import run

    (tmp_path / "needs_jiwer_livekr_test.py").write_text("import jiwer.missing_part_for_livekr_test\n")
    sys.path.insert(0, str(tmp_path))
    try:
        assert run("needs_jiwer_livekr_test", "livekr-eval", []) == 1
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("needs_jiwer_livekr_test", None)
    with pytest.raises(ModuleNotFoundError):  # not the extra's: a real error
        run("no_such_module_livekr_test", "livekr-eval", [])
    err = capsys.readouterr().err
    assert err == ("livekr-eval: the training extra is not installed (jiwer.missing_part_for_livekr_test is "
                   "missing): pip install 'livekr[train]'\n")
