"""Forward time per backend, dtype and thread count, on real speech, in one process.

Run from the repository root::

    .venv/bin/python bench/forward.py [--arch distilhubert] [--seconds 2 7 19] [--threads 1 2] [--runs 3]

Each candidate is loaded with ``livekr.recognizer.load_recognizer`` (``min_agreement`` 0, so
every one runs; its parity with torch fp32 is reported) and times ``log_posteriors`` on the
first ``--seconds`` of joined real clips; the fastest of ``--runs`` counts. Candidates run in
turns, each length in turn, so load on a shared machine spreads over all of them. bf16 runs
only where the CPU has native bf16 (``livekr.cpu``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
from joined import build_stream, join_many, load_clips
from stream import DEFAULT_MODELS_DIR, DEFAULT_SPEECH_DIR, cpu_pressure, ensure_checkpoint, write_report

from livekr.backends.choice import time_forward
from livekr.config import SAMPLE_RATE, RecognizerOptions
from livekr.text import build_vocab, normalize

CANDIDATES = (("torch", "fp32"), ("torch", "bf16"), ("onnx", "fp32"), ("onnx", "int8"))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--arch", default="distilhubert", choices=("distilhubert", "xls-r-300m"))
    p.add_argument("--seconds", nargs="+", type=float, default=[2.0, 7.0, 19.0])
    p.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--speech", type=Path, default=DEFAULT_SPEECH_DIR)
    p.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    p.add_argument("--out", type=Path)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    args = parse_args(argv)
    from livekr.cpu import describe, this_cpu
    from livekr.recognizer import load_recognizer

    manifest = args.speech / "manifest.jsonl"
    rows = [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines() if line.strip()]
    folder = ensure_checkpoint(args.models_dir, args.arch, build_vocab([normalize(r["text"]) for r in rows],
                                                                      "jamo"))
    speech = build_stream(join_many(load_clips(manifest), [max(args.seconds) + 1.0], 0), 0.2, 0).audio
    cands = [c for c in CANDIDATES if c[1] != "bf16" or this_cpu().native_bf16]
    loaded = {}
    for threads in args.threads:
        for backend, dtype in cands:
            options = RecognizerOptions(device="cpu", backend=backend, dtype=dtype, threads=threads,
                                        min_agreement=0.0)
            loaded[(backend, dtype, threads)] = load_recognizer(str(folder), options)
    print(f"CPU: {describe()}; {args.arch}", file=sys.stderr)
    results: dict[str, dict[str, Any]] = {}
    pressure = [cpu_pressure()]
    for seconds in args.seconds:
        audio = speech[: round(seconds * SAMPLE_RATE)]
        for (backend, dtype, threads), recognizer in loaded.items():
            import torch

            torch.set_num_threads(threads)  # torch's count is per process; ONNX sessions keep their own
            name = f"{backend} {dtype} {threads}t"
            entry = results.setdefault(name, {"device": recognizer.device_label})
            entry[f"{seconds:g}s"] = round(time_forward(recognizer, audio, args.runs), 4)
    pressure.append(cpu_pressure())
    reference = {k: v for k, v in results["torch fp32 1t"].items() if k != "device"}
    for name, entry in results.items():
        speedups = [reference[k] / entry[k] for k in reference]
        entry["speedup_vs_torch_fp32_1t"] = round(float(np.median(speedups)), 2)
        print(f"  {name:<16} {entry['device']:<34} " + "  ".join(f"{k} {entry[k]:.3f} s" for k in reference)
              + f"  ×{entry['speedup_vs_torch_fp32_1t']}", file=sys.stderr)
    report = {"cpu": describe(), "arch": args.arch, "runs": args.runs, "results": results,
              "cpu_pressure": pressure}
    write_report(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
