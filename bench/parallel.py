"""How a file's finals best use the cores: one forward pass at a time on all threads, several
side by side on one thread each (what ``livekr transcribe`` does by default), or one padded
batch (what helps on a GPU).

    .venv/bin/python bench/parallel.py [--arch distilhubert] [--backend torch onnx]

Eight utterances of 2–8 s (noise; the forward cost does not depend on the words) through a
random-weight checkpoint of the real architecture, loaded with livekr's own loader. Wall time
of all eight, best of ``--repeats``, for each way; ratios against one at a time on one thread.
``--busy N`` keeps N other processes spinning meanwhile, as on a desktop where other programs
want the cores too.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from stream import DEFAULT_MODELS_DIR, ensure_checkpoint, write_report

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from livekr.config import RecognizerOptions  # noqa: E402
from livekr.cpu import describe, this_cpu  # noqa: E402
from livekr.text import build_vocab  # noqa: E402

SECONDS = (3, 5, 7, 4, 6, 8, 2, 5)


def one_at_a_time(recognizer: Any, clips: list[np.ndarray]) -> float:
    t0 = time.perf_counter()
    for clip in clips:
        recognizer.log_posteriors(clip)
    return time.perf_counter() - t0


def side_by_side(recognizer: Any, clips: list[np.ndarray], workers: int) -> float:
    todo = iter(clips)
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                clip = next(todo, None)
            if clip is None:
                return
            recognizer.log_posteriors(clip)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def padded_batches(model: Any, clips: list[np.ndarray], size: int) -> float:
    """torch only: batches of ``size`` clips of similar length, zero-padded to the longest."""
    import torch

    ordered = sorted(clips, key=len)
    t0 = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, len(ordered), size):
            group = ordered[i:i + size]
            longest = max(len(c) for c in group)
            batch = np.stack([np.pad(c, (0, longest - len(c))) for c in group])
            model(torch.from_numpy(batch))
    return time.perf_counter() - t0


def torch_model(recognizer: Any) -> Any:
    return recognizer.model


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--arch", default="distilhubert")
    p.add_argument("--backend", nargs="+", default=["torch", "onnx"])
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    p.add_argument("--busy", type=int, default=0, help="other processes spinning on the CPU meanwhile")
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    cores = this_cpu().cores
    print(describe(), file=sys.stderr)
    folder = ensure_checkpoint(args.models_dir, args.arch, build_vocab(["안녕하세요 반갑습니다"], "jamo"))
    rng = np.random.default_rng(0)
    clips = [(0.1 * rng.standard_normal(s * 16000)).astype(np.float32) for s in SECONDS]
    report: dict = {"cpu": describe(), "arch": args.arch, "cores": cores, "audio_s": sum(SECONDS),
                    "busy_processes": args.busy, "results": {}}
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        measure(args, folder, clips, cores, report)
    finally:
        for spinner in spinners:
            spinner.kill()
    write_report(report, args.out)


def measure(args: argparse.Namespace, folder: Path, clips: list[np.ndarray], cores: int,
            report: dict) -> None:
    from livekr.recognizer import load_recognizer

    for backend in args.backend:
        rows = {}
        for threads in sorted({1, cores}):
            recognizer = load_recognizer(str(folder), RecognizerOptions(
                device="cpu", backend=backend, dtype="fp32", threads=threads, min_agreement=0.0))
            recognizer.log_posteriors(clips[0])
            rows[f"one at a time, {threads} thread(s)"] = min(
                one_at_a_time(recognizer, clips) for _ in range(args.repeats))
            if threads == 1 and cores > 1:
                rows[f"{cores} side by side, 1 thread each"] = min(
                    side_by_side(recognizer, clips, cores) for _ in range(args.repeats))
            if backend == "torch" and threads == cores:
                rows[f"padded batches of 4, {threads} thread(s)"] = min(
                    padded_batches(torch_model(recognizer), clips, 4) for _ in range(args.repeats))
        base = rows["one at a time, 1 thread(s)"]
        report["results"][backend] = {k: {"s": round(v, 3), "speedup": round(base / v, 2)}
                                      for k, v in rows.items()}
        for k, v in rows.items():
            print(f"{backend} fp32 {k}: {v:.2f} s (x{base / v:.2f})", file=sys.stderr)


if __name__ == "__main__":
    main()
