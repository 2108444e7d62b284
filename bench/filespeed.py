"""File transcription, whole process: ``livekr transcribe`` against transformers' chunked pipeline.

Run from the repository root::

    .venv/bin/python bench/filespeed.py [--arch distilhubert] [--clips 40] [--threads 1] [--repeats 2]

Builds minutes of real Korean speech (clips of ``../shared/data/ko_speech`` with pauses, as
``stream.py`` does), writes it to a WAV, and times each command from its start to its exit
(interpreter start, imports, model load, reading, inference, writing): ``livekr transcribe``
with the backend livekr picks (``auto``, measured once per checkpoint and CPU in a first,
untimed run that is reported apart), ``livekr transcribe --backend torch --dtype fp32`` (what
the backend adds), and ``bench/baseline_asr.py`` (``pipeline(chunk_length_s=10)``, torch fp32),
in turns, on the same random-weight checkpoint of the real architecture.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
from stream import (
    DEFAULT_MODELS_DIR,
    DEFAULT_SPEECH_DIR,
    build_stream,
    choose_clips,
    cpu_pressure,
    ensure_checkpoint,
    read_manifest,
    write_report,
)
from stream_metrics import chunked_input_s

from livekr.config import SAMPLE_RATE
from livekr.text import build_vocab, normalize

HERE = Path(__file__).resolve().parent
SPEEDUP_TARGET = 2.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--arch", default="distilhubert", choices=("distilhubert", "xls-r-300m"))
    p.add_argument("--clips", type=int, default=40)
    p.add_argument("--gap-s", type=float, default=1.2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--chunk-length-s", type=float, default=10.0)
    p.add_argument("--speech", type=Path, default=DEFAULT_SPEECH_DIR)
    p.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    p.add_argument("--out", type=Path)
    return p.parse_args(argv)


def timed(cmd: list[str]) -> float:
    """Wall seconds from starting ``cmd`` to its exit; raises when it fails."""
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} … exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return wall


def livekr_cmd(wav: Path, folder: Path, out: Path, threads: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "livekr", "transcribe", str(wav), "--model", str(folder),
            "--threads", str(threads), "--format", "json", "-o", str(out), *extra]


def speech_s(transcript: Path) -> tuple[float, int]:
    """Sum of the utterances' lengths in a livekr JSON transcript, and their characters."""
    utterances = json.loads(transcript.read_text(encoding="utf-8"))["utterances"]
    total = sum(u["end_s"] - u["start_s"] for u in utterances)
    chars = sum(len(u["text"].replace(" ", "")) for u in utterances)
    return total, chars


def median(values: list[float]) -> float:
    return round(float(np.median(values)), 3)


def run_rounds(commands: dict[str, list[str]], repeats: int
               ) -> tuple[float, dict[str, list[float]], list[dict[str, float] | None]]:
    """A first livekr run (it measures the backends once), then ``repeats`` rounds of every
    command in turn: (first run's wall s, wall s per command, CPU pressure around each round)."""
    first_s = timed(commands["livekr"])
    walls: dict[str, list[float]] = {name: [] for name in commands}
    pressure = [cpu_pressure()]
    for r in range(repeats):
        for name, cmd in commands.items():
            walls[name].append(timed(cmd))
            print(f"  round {r + 1}: {name} {walls[name][-1]:.1f} s", file=sys.stderr)
        pressure.append(cpu_pressure())
    return first_s, walls, pressure


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    args = parse_args(argv)
    from livekr.cpu import describe

    manifest = read_manifest(args.speech)
    vocab = build_vocab([normalize(r["text"]) for r in manifest], "jamo")
    folder = ensure_checkpoint(args.models_dir, args.arch, vocab)
    samples = build_stream(args.speech, choose_clips(manifest, args.clips, args.seed), args.seed, args.gap_s)
    audio_s = samples.size / SAMPLE_RATE
    with tempfile.TemporaryDirectory(prefix="livekr-filespeed-") as tmp:
        wav = Path(tmp) / "speech.wav"
        soundfile.write(str(wav), samples, SAMPLE_RATE, subtype="PCM_16")
        out = Path(tmp) / "out.json"
        base_out = Path(tmp) / "baseline.txt"
        commands = {
            "livekr": livekr_cmd(wav, folder, out, args.threads),
            "livekr_torch_fp32": livekr_cmd(wav, folder, Path(tmp) / "torch.json", args.threads,
                                            "--backend", "torch", "--dtype", "fp32"),
            "baseline": [sys.executable, str(HERE / "baseline_asr.py"), str(wav), str(folder),
                         "--threads", str(args.threads), "--chunk-length-s", str(args.chunk_length_s),
                         "-o", str(base_out)],
        }
        print(f"CPU: {describe()}; {audio_s:.0f} s of audio; first livekr run (measures backends once)",
              file=sys.stderr)
        first_s, walls, pressure = run_rounds(commands, args.repeats)
        covered_s, chars = speech_s(out)
        baseline_chars = len(base_out.read_text(encoding="utf-8").replace(" ", "").strip())
    from livekr.cpu import this_cpu
    from livekr.side_by_side import plan_file_decoding

    workers, threads = plan_file_decoding(0, args.threads, this_cpu().cores)
    backend = _chosen_backend(folder, threads)
    report: dict[str, Any] = {
        "cpu": describe(), "arch": args.arch, "threads": args.threads, "audio_s": round(audio_s, 1),
        "livekr_parallel_finals": workers, "livekr_threads_per_pass": threads,
        "clips": args.clips, "gap_s": args.gap_s, "livekr_backend": backend,
        "first_livekr_run_s": round(first_s, 2),
        "walls_s": {k: [round(w, 2) for w in v] for k, v in walls.items()},
        "median_s": {k: median(v) for k, v in walls.items()},
        "livekr_speech_s": round(covered_s, 1), "livekr_chars": chars, "baseline_chars": baseline_chars,
        "baseline_model_input_s": round(chunked_input_s(audio_s, args.chunk_length_s), 1),
        "cpu_pressure": pressure, "target": SPEEDUP_TARGET,
    }
    m = report["median_s"]
    report["baseline_over_livekr"] = round(m["baseline"] / m["livekr"], 3)
    report["baseline_over_livekr_torch_fp32"] = round(m["baseline"] / m["livekr_torch_fp32"], 3)
    report["input_ratio"] = round(report["baseline_model_input_s"] / max(covered_s, 1e-9), 3)
    print(f"baseline / livekr ({backend}): {report['baseline_over_livekr']}x; baseline / livekr torch "
          f"fp32: {report['baseline_over_livekr_torch_fp32']}x; input ratio {report['input_ratio']}",
          file=sys.stderr)
    write_report(report, args.out)
    return 0


def _chosen_backend(folder: Path, threads: int) -> str:
    from livekr.backends.store import MEASUREMENTS_FILE, MeasurementStore, cache_dir

    for entry in MeasurementStore(cache_dir() / MEASUREMENTS_FILE).entries().values():
        if entry.ref == str(folder) and entry.threads == threads:
            return entry.chosen
    return "unknown"


if __name__ == "__main__":
    sys.exit(main())
