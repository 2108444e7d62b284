"""Screenshots of the real window in two scenes, for the README (run under xvfb-run).

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/screenshot_scenes.py download \\
        --weights DIR --out assets/download.png
    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/screenshot_scenes.py files \\
        --model DIR --out assets/files.png

``indicator``: dictation into another program: ``tests/insert_target.py`` (a Tk text field in
its own process) has the focus, livekr types ``assets/sample_ko.flac``'s finals into it with
``--model``, and the shot of the whole X screen shows the indicator over it with a partial.
``download``: the first-start download of ``kresnik/wav2vec2-large-xlsr-korean`` from a
stand-in hub on 127.0.0.1 (``tests/hub_server.py``) that serves the checkpoint folder
``--weights`` (a full-size model gives the real size) at ``--rate`` MB/s; the shot is taken a
few seconds in, then the download is cancelled. ``files``: ``assets/sample_ko.flac`` and a
second file queued with File ▸ Transcribe Files; the shot is taken while the second runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))
HUB_ID = "kresnik/wav2vec2-large-xlsr-korean"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("scene", choices=("download", "files", "indicator"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--weights", type=Path,
                        help="download: the checkpoint folder the stand-in hub serves")
    parser.add_argument("--rate", type=float, default=25.0, help="download: MB/s")
    parser.add_argument("--after-s", type=float, default=6.0, help="download: seconds before the shot")
    parser.add_argument("--model", type=Path, help="files: the checkpoint folder to transcribe with")
    parser.add_argument("--lang", default="ko", choices=("ko", "en"))
    parser.add_argument("--size", default="1100x680")
    return parser.parse_args()


def private_dirs() -> Path:
    work = Path(tempfile.mkdtemp(prefix="livekr-scene-"))
    for env, sub in (("LIVEKR_MODELS_DIR", "models"), ("LIVEKR_CONFIG_DIR", "config"),
                     ("LIVEKR_STATE_DIR", "state"), ("LIVEKR_CACHE_DIR", "cache")):
        os.environ[env] = str(work / sub)
    return work


def make_window(args: argparse.Namespace, work: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    kwargs.setdefault("tray_available", False)
    from PySide6.QtCore import QSettings
    from screenshot import QuietPrompter

    from livekr.gui.app import build_window, source_factory
    from livekr.gui.settings import AppSettings, WindowOptions, save_settings

    store = QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)
    save_settings(store, AppSettings(window=WindowOptions(language=args.lang, font_pt=17)))
    kwargs.setdefault("make_source", source_factory(None))
    window = build_window(store=store, prompter=QuietPrompter(),  # type: ignore[arg-type]
                          list_devices=lambda: [], **kwargs)  # type: ignore[arg-type]
    width, height = (int(v) for v in args.size.split("x"))
    window.resize(width, height)
    window.show()
    return window


def shoot(pixmap, out: Path) -> None:  # type: ignore[no-untyped-def]
    """Save ``pixmap`` (a window's ``grab()`` or the screen's) to ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if not pixmap.save(str(out)):
        raise SystemExit(f"could not write {out}")
    print(f"saved {out}", flush=True)


def download_scene(args: argparse.Namespace, work: Path) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from tests.hub_server import StandInHub, folder_files

    if args.weights is None:
        raise SystemExit("download: give --weights, a checkpoint folder for the stand-in hub to serve")
    app = QApplication([sys.argv[0]])
    with StandInHub() as hub:
        hub.add_repo(HUB_ID, folder_files(args.weights))
        hub.faults.rate_bytes_per_s = args.rate * 1e6
        os.environ["HF_ENDPOINT"] = hub.endpoint
        os.environ["HF_HUB_OFFLINE"] = "0"
        window = make_window(args, work)

        def take() -> None:
            shoot(window.grab(), args.out)
            window.close()

        window.dictation.model_download.connect(
            lambda ref, progress: None if hasattr(take, "armed") else (
                setattr(take, "armed", True), QTimer.singleShot(int(args.after_s * 1000), take)))
        window.dictation.idle.connect(app.quit)
        QTimer.singleShot(0, lambda: window.models.choose(HUB_ID))
        QTimer.singleShot(300_000, lambda: app.exit(2))
        return app.exec()


def files_scene(args: argparse.Namespace, work: Path) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from screenshot import demo_audio, phrases

    from livekr.recognizer import load_recognizer

    if args.model is None:
        raise SystemExit("files: give --model, a checkpoint folder")
    app = QApplication([sys.argv[0]])
    second = demo_audio(work / "회의-메모.wav", phrases(12))
    window = make_window(args, work, load_model=load_recognizer)
    jobs = window.dictation.files
    taken: list[bool] = []

    def on_changed(job) -> None:  # type: ignore[no-untyped-def]
        if job.path == second and job.percent >= 40 and not taken:
            taken.append(True)
            shoot(window.grab(), args.out)
            jobs.cancel_all()
            QTimer.singleShot(0, window.close)

    jobs.job_changed.connect(on_changed)
    queue = [REPO / "assets" / "sample_ko.flac", second]
    window.dictation.model_ready.connect(lambda ref, device: jobs.add(queue))
    window.dictation.idle.connect(lambda: app.quit() if taken else None)
    QTimer.singleShot(0, lambda: window.models.choose(str(args.model)))
    QTimer.singleShot(300_000, lambda: app.exit(2))
    return app.exec()


def indicator_scene(args: argparse.Namespace, work: Path) -> int:
    import subprocess

    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from livekr.audio import FileSource
    from livekr.events import Final, Partial
    from livekr.recognizer import load_recognizer

    if args.model is None:
        raise SystemExit("indicator: give --model, a checkpoint folder")
    app = QApplication([sys.argv[0]])
    target = subprocess.Popen([sys.executable, str(REPO / "tests" / "insert_target.py")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert target.stdout is not None and target.stdin is not None
    window_id = target.stdout.readline().split()[1]
    sample = REPO / "assets" / "sample_ko.flac"
    window = make_window(args, work, load_model=load_recognizer,
                         make_source=lambda device: FileSource(str(sample), realtime=True))
    window.resize(520, 300)
    window.move(480, 430)
    finals: list[str] = []

    def take() -> None:
        shoot(QGuiApplication.primaryScreen().grabWindow(0), args.out)
        window.dictation.stop()
        target.stdin.close()  # type: ignore[union-attr]
        QTimer.singleShot(0, window.close)

    def on_event(event: object) -> None:
        if isinstance(event, Final):
            finals.append(event.utterance.text)
        elif isinstance(event, Partial) and event.text and len(finals) >= 2 and not hasattr(take, "armed"):
            take.armed = True
            QTimer.singleShot(300, take)

    def start(ref: str, device: str) -> None:
        window.insert_mode.toggle_action.setChecked(True)
        subprocess.run(["xdotool", "windowfocus", "--sync", window_id], check=True)
        window.dictation.start()

    window.dictation.pipeline_event.connect(on_event)
    window.dictation.model_ready.connect(start)
    window.dictation.idle.connect(lambda: app.quit() if hasattr(take, "armed") else None)
    QTimer.singleShot(0, lambda: window.models.choose(str(args.model)))
    QTimer.singleShot(300_000, lambda: app.exit(2))
    code = app.exec()
    target.wait()
    return code


def main() -> int:
    args = parse_args()
    work = private_dirs()
    scenes = {"download": download_scene, "files": files_scene, "indicator": indicator_scene}
    try:
        return scenes[args.scene](args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
