"""What the operating system must provide besides Python packages, how to tell whether it
is there, and how to install it on each platform: a display and the system libraries of
Qt's xcb platform plugin for the window, and a Korean font. (PortAudio, for the
microphone, is ``livekr.microphone``'s.)

Stdlib only and Qt-free: ``livekr doctor`` and the start of the window share it. What needs
Qt to find out runs Qt in a subprocess.
"""

from __future__ import annotations

import ctypes.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping

DOCTOR_HINT = "`livekr doctor` checks everything livekr needs"
PROBE_TIMEOUT_S = 30.0
"""Longest wait for a probe that runs a program (fc-list, a Python with Qt)."""

QT_LIBRARIES: dict[str, str] = {
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libxkbcommon.so.0": "libxkbcommon0",
}
"""System libraries that PySide6's QtGui loads on Linux (soname → the Debian/Ubuntu package
that has it); without one, ``import PySide6.QtWidgets`` fails."""

XCB_LIBRARIES: dict[str, str] = {
    "libxcb.so.1": "libxcb1",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
}
"""System libraries of Qt's xcb platform plugin (the window on X11) that the PySide6 wheel
does not bring (``ldd libqxcb.so``; soname → Debian/Ubuntu package). Without one Qt aborts at
start: "Could not load the Qt platform plugin "xcb"."""

_MISSING_SONAME = re.compile(r"(lib[\w.+-]+?\.so[\d.]*): cannot open shared object file")

_QT_FONTS_SCRIPT = (
    "from PySide6.QtGui import QFontDatabase, QGuiApplication\n"
    "app = QGuiApplication([])\n"
    "print('\\n'.join(QFontDatabase.families(QFontDatabase.WritingSystem.Korean)))\n"
)
_QT_VERSION_SCRIPT = "import PySide6, PySide6.QtWidgets; print(PySide6.__version__)"


def is_linux_like(platform: str = sys.platform) -> bool:
    """True where the window needs an X11 or Wayland display (not Windows, not macOS)."""
    return not platform.startswith(("win", "darwin", "cygwin"))


def apt_install(packages: list[str]) -> str:
    return f"sudo apt install {' '.join(packages)}"


def library_loads(soname: str) -> bool:
    """True when the dynamic loader finds and loads ``soname`` (as Qt's plugin would need it)."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_libraries(libraries: Mapping[str, str],
                      loads: Callable[[str], bool] = library_loads) -> list[str]:
    """The sonames among ``libraries`` (soname → package) that the system lacks."""
    return [soname for soname in libraries if not loads(soname)]


def package_for_import_error(message: str) -> str | None:
    """The Debian/Ubuntu package that would bring the shared library an import error names
    ("libEGL.so.1: cannot open shared object file" → "libegl1"); None when it names none we know."""
    match = _MISSING_SONAME.search(message)
    if match is None:
        return None
    return {**QT_LIBRARIES, **XCB_LIBRARIES}.get(match.group(1))


def qt_import_fix(error: BaseException, platform: str = sys.platform) -> str:
    """What to install when importing PySide6's widgets failed with ``error``."""
    if isinstance(error, ModuleNotFoundError) and (error.name or "").split(".")[0] == "PySide6":
        return "install it: pip install PySide6-Essentials"
    package = package_for_import_error(str(error))
    if package is not None:
        return f"install the missing library (Debian/Ubuntu: {apt_install([package])})"
    if is_linux_like(platform):
        packages = apt_install(sorted(QT_LIBRARIES.values()))
        return f"install Qt's system libraries (Debian/Ubuntu: {packages}), or reinstall PySide6-Essentials"
    if platform.startswith("win"):
        return ("install the Microsoft Visual C++ Redistributable, or reinstall PySide6-Essentials "
                "(pip install --force-reinstall PySide6-Essentials)")
    return "reinstall PySide6-Essentials (pip install --force-reinstall PySide6-Essentials)"


def first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def explain_qt_import_error(error: BaseException, platform: str = sys.platform) -> str:
    """Why the window cannot load Qt and what to install, in one line."""
    return f"the window cannot load Qt ({first_line(error)}): {qt_import_fix(error, platform)}; {DOCTOR_HINT}"


def qt_platform_name(env: Mapping[str, str]) -> str:
    """The platform plugin ``QT_QPA_PLATFORM`` asks for first ("xcb", "wayland", "offscreen"),
    without its arguments; empty when it is not set."""
    return env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()


def display_missing(env: Mapping[str, str], platform: str = sys.platform) -> bool:
    """True on Linux and other X11/Wayland systems when Qt has no display to open: neither
    DISPLAY nor WAYLAND_DISPLAY is set, and QT_QPA_PLATFORM names no other platform."""
    if not is_linux_like(platform):
        return False
    return not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or qt_platform_name(env))


DISPLAY_FIX = ("start livekr in a desktop session (over ssh: `ssh -X`; without a screen: "
               "`xvfb-run livekr`); `livekr transcribe` and `livekr listen` need no display")


def uses_xcb(env: Mapping[str, str], platform: str = sys.platform) -> bool:
    """True when Qt will open the window through its xcb plugin (X11): asked for by
    QT_QPA_PLATFORM, or the only display is an X11 one."""
    if not is_linux_like(platform):
        return False
    asked = qt_platform_name(env)
    if asked:
        return asked == "xcb"
    return bool(env.get("DISPLAY")) and not env.get("WAYLAND_DISPLAY")


def window_start_problem(
    env: Mapping[str, str] = os.environ,
    platform: str = sys.platform,
    loads: Callable[[str], bool] = library_loads,
) -> str | None:
    """Why the window cannot start here, when that is known before Qt starts (Qt itself would
    abort the process with a terse message); None when it may start."""
    if display_missing(env, platform):
        return f"no display to open the window on (DISPLAY and WAYLAND_DISPLAY are not set): {DISPLAY_FIX}"
    if uses_xcb(env, platform):
        missing = missing_libraries(XCB_LIBRARIES, loads)
        if missing:
            packages = apt_install([XCB_LIBRARIES[soname] for soname in missing])
            return (f"Qt's X11 platform plugin (xcb) needs {', '.join(missing)}: install "
                    f"(Debian/Ubuntu: {packages}); {DOCTOR_HINT}")
    return None


def korean_font_fix(platform: str = sys.platform) -> str:
    """How to get a Korean font on this platform."""
    if platform.startswith("win"):
        return ("Windows ships Malgun Gothic: add the Korean supplemental fonts "
                "(Settings ▸ Apps ▸ Optional features)")
    if platform.startswith("darwin"):
        return "macOS ships Apple SD Gothic Neo: restore it in Font Book"
    return ("install a Korean font (Debian/Ubuntu: sudo apt install fonts-noto-cjk, or fonts-nanum; "
            "Fedora: sudo dnf install google-noto-sans-cjk-fonts)")


def korean_font_warning(families: list[str], platform: str = sys.platform) -> str | None:
    """What the window says at start when no font ``families`` cover Korean; None when some do."""
    if families:
        return None
    return (f"no Korean font is installed, so Korean text shows as empty boxes: {korean_font_fix(platform)}; "
            f"{DOCTOR_HINT}")


def parse_fc_list(text: str) -> list[str]:
    """Font families from ``fc-list … family`` output (each line "Name,Other name,…"),
    first names only, sorted, without repeats."""
    return sorted({line.split(",")[0].strip() for line in text.splitlines() if line.strip()})


def korean_font_families(platform: str = sys.platform) -> list[str]:
    """Installed font families that cover Korean: ``fc-list :lang=ko`` where fontconfig's tools
    exist, else Qt's font database in a subprocess (off-screen on Linux). Raises RuntimeError
    when neither can tell."""
    if shutil.which("fc-list"):
        done = _run(["fc-list", ":lang=ko", "family"], None)
        return parse_fc_list(done)
    env = dict(os.environ)
    if is_linux_like(platform):
        env["QT_QPA_PLATFORM"] = "offscreen"
    return parse_fc_list(_run([sys.executable, "-c", _QT_FONTS_SCRIPT], env))


def qt_version() -> str:
    """PySide6's version, from a subprocess that imports its widgets; raises ImportError with
    the subprocess's last error line when that fails."""
    try:
        return _run([sys.executable, "-c", _QT_VERSION_SCRIPT], None).strip()
    except RuntimeError as e:
        if "No module named 'PySide6'" in str(e):
            raise ModuleNotFoundError(str(e), name="PySide6") from e
        raise ImportError(str(e)) from e


def _run(command: list[str], env: dict[str, str] | None) -> str:
    """The stdout of ``command``; RuntimeError with its last stderr line when it fails."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env,
                              timeout=PROBE_TIMEOUT_S, check=False)
    except (OSError, subprocess.SubprocessError) as e:
        raise RuntimeError(f"{command[0]} failed: {e}") from e
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise RuntimeError(lines[-1] if lines else f"{command[0]} exited with status {done.returncode}")
    return done.stdout
