"""Drive the real livekr window through a demo session and save a screenshot.

Run it through scripts/screenshot.sh (under xvfb-run). Without --model it builds a small
wav2vec2 CTC checkpoint with RANDOM, UNTRAINED weights (trainer.scratch): the window, the
pipeline, the model loading and the decoding are all real, but the text it shows is random
Hangul, and every character is marked low-confidence. The folder is named so that the
status bar says so. The speech is espeak-ng's Korean voice reading constitution phrases.
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
PHRASES = REPO.parent / "shared" / "data" / "ko_text" / "constitution_phrases.txt"
FALLBACK_PHRASES = ("안녕하세요 반갑습니다", "대한민국은 민주공화국이다", "오늘 날씨가 좋습니다",
                    "모든 국민은 법 앞에 평등하다")
RANDOM_MODEL_NAME = "untrained-random-weights"


def phrases(n: int) -> list[str]:
    if PHRASES.is_file():
        lines = [x.strip() for x in PHRASES.read_text(encoding="utf-8").splitlines() if x.strip()]
        return lines[:n]
    return list(FALLBACK_PHRASES[:n])


def build_random_checkpoint(folder: Path, texts: list[str]) -> Path:
    """A small wav2vec2 CTC checkpoint with random weights and a syllable vocabulary."""
    import json

    from livekr.card import CARD_NAME
    from livekr.text import NORMALISER_VERSION, build_vocab, normalize
    from trainer.scratch import save_checkpoint

    corpus = texts + list(FALLBACK_PHRASES)
    if PHRASES.is_file():
        corpus += PHRASES.read_text(encoding="utf-8").splitlines()
    vocab = build_vocab([normalize(t) for t in corpus if t.strip()], "syllable")
    save_checkpoint(folder, "small-wav2vec2", vocab, seed=3)
    card = {"base_model": "none (random weights)", "vocab_kind": "syllable",
            "normaliser_version": NORMALISER_VERSION,
            "note": "untrained: for screenshots and smoke tests only; its text is random"}
    (folder / CARD_NAME).write_text(json.dumps(card, ensure_ascii=False, indent=1) + "\n",
                                    encoding="utf-8")
    return folder


def demo_audio(path: Path, texts: list[str]) -> Path:
    import numpy as np
    import soundfile

    from livekr.config import SAMPLE_RATE
    from trainer.synth import synthesize

    pause = np.zeros(int(1.0 * SAMPLE_RATE), dtype=np.float32)
    parts = [pause[: SAMPLE_RATE // 3]]
    for text in texts:
        parts += [synthesize(text), pause]
    soundfile.write(str(path), np.concatenate(parts), SAMPLE_RATE)
    return path


class QuietPrompter:
    """Answers every question without a dialog: nothing to recover, discard at exit."""

    def offer_recovery(self, *args: object) -> bool:
        return False

    def confirm_clear(self, *args: object) -> bool:
        return True

    def ask_unsaved(self, *args: object) -> str:
        return "discard"

    def save_path(self, *args: object) -> None:
        return None

    def checkpoint_folder(self, *args: object) -> None:
        return None

    def hub_id(self, *args: object) -> None:
        return None

    def show_info(self, *args: object) -> None:
        return None

    def edit_settings(self, *args: object) -> None:
        return None


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "assets" / "screenshot.png")
    parser.add_argument("--model", help="a trained checkpoint folder (default: random weights)")
    parser.add_argument("--finals", type=int, default=2, help="finals to wait for")
    parser.add_argument("--audio", type=Path, help="play this file (default: espeak-ng phrases)")
    parser.add_argument("--lang", default="ko", choices=("ko", "en"))
    parser.add_argument("--size", default="1100x680")
    return parser.parse_args()


def prepare(args: argparse.Namespace) -> tuple[Path, Path, Path]:
    """Private models/config/state folders, the model folder and the demo WAV."""
    work = Path(tempfile.mkdtemp(prefix="livekr-shot-"))
    for env, sub in (("LIVEKR_MODELS_DIR", "models"), ("LIVEKR_CONFIG_DIR", "config"),
                     ("LIVEKR_STATE_DIR", "state")):
        os.environ[env] = str(work / sub)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    texts = phrases(args.finals + 1)
    model = Path(args.model) if args.model else build_random_checkpoint(
        work / "models" / RANDOM_MODEL_NAME, texts)
    wav = args.audio.resolve() if args.audio else demo_audio(work / "demo-ko.wav", texts)
    return work, model, wav


def main() -> int:
    args = parse_args()
    work, model, wav = prepare(args)
    try:
        return run(args, work, model, wav)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path, model: Path, wav: Path) -> int:
    """Show the window, play the demo, save the screenshot after ``args.finals`` finals."""

    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from livekr.events import Final, Finished, Partial, PipelineEvent
    from livekr.gui.app import build_window, source_factory
    from livekr.gui.settings import AppSettings, WindowOptions, save_settings

    app = QApplication([sys.argv[0]])
    store = QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)
    save_settings(store, AppSettings(window=WindowOptions(language=args.lang, font_pt=19)))
    window = build_window(store=store, make_source=source_factory(str(wav)),
                          prompter=QuietPrompter(), list_devices=lambda: [],  # type: ignore[arg-type]
                          demo_name=wav.name)
    width, height = (int(v) for v in args.size.split("x"))
    window.resize(width, height)
    window.show()
    finals: list[object] = []
    shots: list[Path] = []

    def shoot() -> None:
        if shots:
            return
        shots.append(args.out)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(args.out)):
            print(f"could not write {args.out}", file=sys.stderr)
        print(f"saved {args.out} after {len(finals)} finals", flush=True)
        window.dictation.stop()

    def on_event(event: PipelineEvent) -> None:
        if isinstance(event, Final):
            finals.append(event)
        elif isinstance(event, Partial) and event.text and len(finals) >= args.finals:
            QTimer.singleShot(150, shoot)  # mid-utterance: the partial shows in grey
        elif isinstance(event, Finished):
            shoot()
            window.close()
            app.quit()

    window.dictation.pipeline_event.connect(on_event)
    window.dictation.model_failed.connect(lambda ref, why: (print(why), app.exit(1)))
    QTimer.singleShot(0, lambda: window.dictation.load_model(str(model)))
    QTimer.singleShot(120_000, lambda: app.exit(2))
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
