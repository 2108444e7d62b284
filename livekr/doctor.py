"""``livekr doctor``: what livekr needs on this machine, one line each, with the fix for what
is missing: PortAudio and a microphone; Qt, a display and the xcb plugin's libraries; a
Korean font; torch, the CPU and ONNX Runtime; the models folder and its disk; the hub.

Qt-free; heavy imports happen inside the checks. Every check is a top-level function that
takes its probes as parameters (the real ones by default) and returns a ``Check``; tests
pass fakes.
"""

from __future__ import annotations

import http.client
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from livekr.cpu import CpuInfo, this_cpu
from livekr.models import list_checkpoints, models_dir
from livekr.reachability import call_within, describe_network_error, fetch_status
from livekr.system import (
    DISPLAY_FIX,
    XCB_LIBRARIES,
    apt_install,
    display_missing,
    first_line,
    is_linux_like,
    korean_font_families,
    korean_font_fix,
    library_loads,
    missing_libraries,
    qt_import_fix,
    qt_platform_name,
    qt_version,
    uses_xcb,
)

Status = Literal["ok", "warning", "problem"]
OK: Status = "ok"
WARNING: Status = "warning"
"""livekr works, with less (no microphone, no hub, little disk)."""
PROBLEM: Status = "problem"
"""Something livekr needs is missing; ``livekr doctor`` exits 1."""

MIN_FREE_BYTES = 2 * 1000**3
"""Less free disk than this where models are kept is a warning: the largest published model
is 1.2 GB."""
HUB_TIMEOUT_S = 5.0
"""How long each step of the hub request (connect, answer) may take."""
HUB_GRACE_S = 1.0
"""Added to ``HUB_TIMEOUT_S`` for the whole request, name lookup included."""
HUB_PROBE_MODEL = "Bingsu/distilhubert-ko-zeroth"
DEFAULT_HUB_ENDPOINT = "https://huggingface.co"
OFFLINE_VALUES = frozenset({"1", "ON", "YES", "TRUE"})
"""Values of HF_HUB_OFFLINE that huggingface_hub takes as set."""
NAME_WIDTH = 16
"""Width of the name column of the human output (the longest check name)."""
TORCH_GPU_FIX = ("install the CUDA build of torch: the command for your system is on "
                 "https://pytorch.org/get-started/locally/")
NETWORK_FIX = ("check the network and any proxy (HTTPS_PROXY), or set HF_ENDPOINT to a mirror; "
               "without the hub, pass a checkpoint folder with --model")


@dataclass(frozen=True)
class Check:
    """The outcome of one check: one line of ``livekr doctor``."""

    name: str
    """What was checked ("PortAudio", "Korean font", …)."""
    status: Status
    """ok, warning (livekr works, with less) or problem (something it needs is missing)."""
    detail: str
    """What was found, one line."""
    fix: str = ""
    """What to do about it, in plain words; empty when ok."""


# -- audio ------------------------------------------------------------------------------


def _import_sounddevice() -> Any:
    from livekr.microphone import import_sounddevice

    return import_sounddevice()


def _list_microphones() -> list[Any]:
    from livekr.microphone import list_input_devices

    return list(list_input_devices())


def check_portaudio(import_sd: Callable[[], Any] = _import_sounddevice) -> Check:
    """sounddevice imports, and with it the PortAudio library (``import_sd`` raises livekr's
    AudioError, whose cause is the ImportError or the OSError of the missing library)."""
    from livekr.audio import AudioError
    from livekr.microphone import PORTAUDIO_HINT, SOUNDDEVICE_HINT

    try:
        sd = import_sd()
    except AudioError as e:
        if isinstance(e.__cause__, ImportError):
            return Check("PortAudio", PROBLEM, "the sounddevice package is not installed", SOUNDDEVICE_HINT)
        cause = first_line(e.__cause__ or e)
        return Check("PortAudio", PROBLEM, f"the PortAudio library is missing ({cause})", PORTAUDIO_HINT)
    version = sd.get_portaudio_version()[1]
    return Check("PortAudio", OK, str(version).split(",")[0])


def check_microphones(list_devices: Callable[[], Sequence[Any]] = _list_microphones) -> Check:
    """PortAudio's capture devices (``InputDevice``s): how many, and the default one."""
    from livekr.audio import AudioError

    try:
        devices = list_devices()
    except AudioError as e:
        if isinstance(e.__cause__, (ImportError, OSError)):
            return Check("microphones", WARNING, "not listed: PortAudio is missing", "see PortAudio above")
        return Check("microphones", WARNING, f"cannot list them: {first_line(e.__cause__ or e)}",
                     "check that the sound system runs (Linux: PipeWire or PulseAudio); "
                     "`livekr devices` lists what is found")
    if not devices:
        return Check(
            "microphones", WARNING, "none found",
            "connect one and check that the system sees it (macOS and Windows: allow microphone access "
            "in the privacy settings); without one, `livekr transcribe` and `livekr --demo FILE` work",
        )
    default = next((d for d in devices if d.is_default), None)
    named = f"default: {default.name}" if default else f"no default; livekr uses {devices[0].name}"
    return Check("microphones", OK, f"{len(devices)} found; {named}")


# -- the window --------------------------------------------------------------------------


def check_pyside(version: Callable[[], str] = qt_version, platform: str = sys.platform) -> Check:
    """PySide6's widgets import (``version`` gives PySide6's version or raises ImportError)."""
    try:
        found = version()
    except ImportError as e:
        return Check("Qt (PySide6)", PROBLEM, f"cannot import PySide6: {first_line(e)}",
                     qt_import_fix(e, platform))
    return Check("Qt (PySide6)", OK, f"PySide6 {found}")


def check_display(env: Mapping[str, str] = os.environ, platform: str = sys.platform) -> Check:
    """A display for the window: on Linux and the like DISPLAY, WAYLAND_DISPLAY or QT_QPA_PLATFORM."""
    if not is_linux_like(platform):
        return Check("display", OK, "the system's own window system")
    if display_missing(env, platform):
        return Check("display", WARNING, "none: DISPLAY and WAYLAND_DISPLAY are not set", DISPLAY_FIX)
    names = ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "DISPLAY")
    found = [f"{name}={env[name]}" for name in names if env.get(name)]
    return Check("display", OK, ", ".join(found))


def check_xcb_libraries(
    loads: Callable[[str], bool] = library_loads,
    env: Mapping[str, str] = os.environ,
    platform: str = sys.platform,
) -> Check:
    """The system libraries of Qt's xcb plugin (X11): a problem when the window would use it."""
    name = "Qt xcb libraries"
    if not is_linux_like(platform):
        return Check(name, OK, "not needed on this system")
    missing = missing_libraries(XCB_LIBRARIES, loads)
    if not missing:
        return Check(name, OK, f"all {len(XCB_LIBRARIES)} found")
    status = PROBLEM if uses_xcb(env, platform) else WARNING
    now = qt_platform_name(env) or "no X11"
    where = "" if status == PROBLEM else f" (needed for a window on X11; now {now})"
    fix = f"Debian/Ubuntu: {apt_install([XCB_LIBRARIES[soname] for soname in missing])}"
    return Check(name, status, f"missing {', '.join(missing)}{where}", fix)


def check_korean_font(fonts: Callable[[], list[str]] = korean_font_families,
                      platform: str = sys.platform) -> Check:
    """A font that covers Korean (``fonts`` lists the families; RuntimeError when it cannot tell)."""
    try:
        found = fonts()
    except (RuntimeError, OSError) as e:
        return Check("Korean font", WARNING, f"cannot tell: {first_line(e)}", korean_font_fix(platform))
    if not found:
        return Check("Korean font", PROBLEM, "none installed: Korean text would show as empty boxes",
                     korean_font_fix(platform))
    more = f" and {len(found) - 3} more" if len(found) > 3 else ""
    return Check("Korean font", OK, ", ".join(found[:3]) + more)


# -- computing ---------------------------------------------------------------------------


def _import_torch() -> Any:
    import torch

    return torch


def _nvidia_driver_present() -> bool:
    return shutil.which("nvidia-smi") is not None


def check_torch(import_torch: Callable[[], Any] = _import_torch,
                nvidia_driver: Callable[[], bool] = _nvidia_driver_present) -> Check:
    """torch imports; whether it can use a CUDA GPU, and a warning when an NVIDIA driver is
    there but torch cannot use it."""
    try:
        torch = import_torch()
    except (ImportError, OSError) as e:
        return Check("torch", PROBLEM, f"cannot import torch: {first_line(e)}",
                     f"pip install torch (for an NVIDIA GPU: {TORCH_GPU_FIX})")
    version = torch.__version__
    if torch.cuda.is_available():
        return Check("torch", OK, f"{version}, CUDA GPU: {torch.cuda.get_device_name(0)}")
    if not nvidia_driver():
        return Check("torch", OK, f"{version}, CPU only (no CUDA GPU)")
    if torch.version.cuda is None:
        return Check("torch", WARNING, f"{version} is the CPU build, but an NVIDIA GPU is here",
                     TORCH_GPU_FIX)
    return Check("torch", WARNING, f"{version} (CUDA {torch.version.cuda}) cannot use the NVIDIA GPU",
                 "update the NVIDIA driver, or install the torch build for your CUDA version "
                 "(https://pytorch.org/get-started/locally/)")


def check_cpu(cpu: Callable[[], CpuInfo] = this_cpu) -> Check:
    """The CPU and whether it computes bf16 natively (informative: never fails)."""
    return Check("CPU", OK, cpu().describe())


def _import_onnxruntime() -> Any:
    import onnxruntime

    return onnxruntime


def check_onnxruntime(import_ort: Callable[[], Any] = _import_onnxruntime) -> Check:
    """ONNX Runtime, the CPU backend that is usually fastest; without it torch runs the model."""
    try:
        ort = import_ort()
    except (ImportError, OSError) as e:
        return Check("ONNX Runtime", WARNING, f"not available ({first_line(e)}): models run on torch",
                     "pip install onnxruntime onnx")
    return Check("ONNX Runtime", OK, f"{ort.__version__} ({', '.join(ort.get_available_providers())})")


# -- storage -----------------------------------------------------------------------------


def existing_ancestor(path: Path) -> Path:
    """``path`` or the nearest folder above it that exists."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(path.anchor or ".")


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def check_models_folder(folder: Path | None = None, writable: Callable[[Path], bool] = _writable) -> Check:
    """livekr's models folder (default ``models_dir()``): a folder we can write, or can create,
    and the checkpoints in it."""
    folder = models_dir() if folder is None else folder
    fix = "make it writable, or set LIVEKR_MODELS_DIR to a folder you can write"
    if folder.exists() and not folder.is_dir():
        return Check("models folder", PROBLEM, f"{folder} is not a folder",
                     "move that file away, or set LIVEKR_MODELS_DIR to a folder")
    if not folder.exists():
        parent = existing_ancestor(folder)
        if writable(parent):
            return Check("models folder", OK, f"{folder} (not created yet; no local checkpoints)")
        return Check("models folder", WARNING, f"{folder} cannot be created: {parent} is not writable", fix)
    count = len(list_checkpoints(folder))
    detail = f"{folder}: {count} checkpoint{'' if count == 1 else 's'}"
    if not writable(folder):
        return Check("models folder", WARNING, f"{detail}; not writable: the trainer cannot save there",
                     fix)
    return Check("models folder", OK, detail)


def hub_cache_dir() -> Path:
    """Where huggingface_hub keeps downloaded models (HF_HUB_CACHE, HF_HOME honoured)."""
    try:
        from huggingface_hub import constants
    except ImportError:
        return Path.home() / ".cache" / "huggingface" / "hub"
    return Path(constants.HF_HUB_CACHE)


def _free_bytes(path: Path) -> int:
    return shutil.disk_usage(path).free


def check_disk_space(
    folders: Sequence[Path] | None = None,
    free_bytes: Callable[[Path], int] = _free_bytes,
    min_free_bytes: int = MIN_FREE_BYTES,
) -> Check:
    """Free disk where models are kept (default: the models folder and the hub's download
    cache); a warning below ``min_free_bytes`` in either."""
    folders = [models_dir(), hub_cache_dir()] if folders is None else folders
    free = {folder: free_bytes(existing_ancestor(folder)) for folder in folders}
    least = min(free, key=lambda folder: free[folder])
    detail = f"{free[least] / 1e9:.1f} GB free in {least}"
    if free[least] < min_free_bytes:
        return Check("disk space", WARNING, f"only {detail}; the largest published model is 1.2 GB",
                     "free some disk, or set LIVEKR_MODELS_DIR and HF_HOME to a larger disk")
    return Check("disk space", OK, detail)


# -- the hub -----------------------------------------------------------------------------


def hub_url(env: Mapping[str, str]) -> str:
    """The hub API address of a small published model, under HF_ENDPOINT when it is set."""
    endpoint = (env.get("HF_ENDPOINT") or DEFAULT_HUB_ENDPOINT).rstrip("/")
    return f"{endpoint}/api/models/{HUB_PROBE_MODEL}"


def describe_http_status(status: int, url: str) -> tuple[Status, str, str]:
    """(status, detail, fix) for the hub's HTTP answer ``status``."""
    host = urlparse(url).netloc
    if 200 <= status < 400:
        return OK, f"{host} answers (HTTP {status})", ""
    if status == 404:
        return (WARNING, f"{host} answers HTTP 404 for {HUB_PROBE_MODEL}: not a Hugging Face hub?",
                "check HF_ENDPOINT (unset it for https://huggingface.co)")
    if status in (401, 403, 407):
        return (WARNING, f"{host} refuses the request (HTTP {status})",
                "a proxy or firewall may block it; check HTTPS_PROXY, or set HF_ENDPOINT to a mirror")
    return WARNING, f"{host} answers HTTP {status}", "the hub may be down; try again later"


def check_hub(
    env: Mapping[str, str] = os.environ,
    timeout_s: float = HUB_TIMEOUT_S,
    fetch: Callable[[str, float], int] = fetch_status,
) -> Check:
    """Whether the Hugging Face hub (or HF_ENDPOINT) answers for a published model within
    ``timeout_s``; not asked when HF_HUB_OFFLINE is set."""
    name = "Hugging Face hub"
    if env.get("HF_HUB_OFFLINE", "").strip().upper() in OFFLINE_VALUES:
        return Check(name, WARNING, "HF_HUB_OFFLINE is set: models load only from folders and the cache",
                     "unset HF_HUB_OFFLINE to download models")
    url = hub_url(env)
    try:
        status = call_within(timeout_s + HUB_GRACE_S, fetch, url, timeout_s)
    except (OSError, http.client.HTTPException) as e:  # URLError, TimeoutError, ssl errors, garbage
        return Check(name, WARNING, describe_network_error(e, url, timeout_s), NETWORK_FIX)
    except ValueError as e:  # not a web address
        return Check(name, WARNING, f"cannot ask {url}: {first_line(e)}",
                     f"set HF_ENDPOINT to a web address, e.g. {DEFAULT_HUB_ENDPOINT}")
    outcome, detail, fix = describe_http_status(status, url)
    return Check(name, outcome, detail, fix)


# -- all of them -------------------------------------------------------------------------

CHECKS: tuple[Callable[[], Check], ...] = (
    check_portaudio, check_microphones, check_pyside, check_display, check_xcb_libraries,
    check_korean_font, check_torch, check_cpu, check_onnxruntime, check_models_folder,
    check_disk_space, check_hub,
)
"""Every check, in the order ``livekr doctor`` shows them."""


def run_check(check: Callable[[], Check]) -> Check:
    """``check()``; a check that fails unexpectedly is reported as a problem, not raised."""
    try:
        return check()
    except Exception as e:  # a doctor that crashes helps nobody
        name = getattr(check, "__name__", "check").removeprefix("check_").replace("_", " ")
        return Check(name, PROBLEM, f"the check itself failed: {type(e).__name__}: {first_line(e)}",
                     "please report this with the output of `livekr doctor`")


def format_check(check: Check, width: int = NAME_WIDTH) -> str:
    """One aligned line for people: name, status, what was found, and the fix when not ok."""
    line = f"{check.name:<{width}}  {check.status:<7}  {check.detail}"
    return f"{line}  fix: {check.fix}" if check.fix else line


def summary(checks: Iterable[Check]) -> str:
    """"2 problems, 1 warning", or that all is well."""
    statuses = [c.status for c in checks]
    problems, warnings = statuses.count(PROBLEM), statuses.count(WARNING)
    if not problems and not warnings:
        return "everything livekr needs is here"
    return f"{_count(problems, 'problem')}, {_count(warnings, 'warning')}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def has_problem(checks: Iterable[Check]) -> bool:
    return any(c.status == PROBLEM for c in checks)
