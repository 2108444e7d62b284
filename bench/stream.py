"""Streaming benchmark: live latency, partial cadence, file real-time factor, memory.

Run from the repository root::

    .venv/bin/python bench/stream.py [--arch xls-r-300m] [--dtype bf16] [--clips 12] [--out F]

Prints one JSON object on stdout (progress on stderr). Each architecture × dtype is
measured in a fresh subprocess (so peak memory is its own): a real-time session with
partials, then file transcription by livekr and by transformers' chunked ASR pipeline on
the same model. Models are random-weight checkpoints of the real architectures built
locally (``trainer.scratch``), so the text is garbage: this measures speed, not accuracy.
See ``bench/README.md`` for what every number means.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
from stream_metrics import summarize_file, summarize_live
from stream_worker import (
    MIB,
    RssSampler,
    load_and_warm,
    max_rss_mib,
    progress,
    run_baseline,
    run_file,
    run_live,
)

from livekr.audio import StreamResampler
from livekr.cli import limit_heap_fragmentation
from livekr.config import SAMPLE_RATE, SegmenterOptions
from livekr.recognizer import CTCRecognizer
from livekr.text import build_vocab, normalize

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SPEECH_DIR = REPO.parent / "shared" / "data" / "ko_speech"
DEFAULT_MODELS_DIR = Path(tempfile.gettempdir()) / "livekr-bench-models"
ARCHS = ("xls-r-300m", "distilhubert")
DTYPES = ("fp32", "bf16")
DEFAULT_CLIPS = 12
DEFAULT_SEED = 0
DEFAULT_CHUNK_LENGTH_S = 10.0
DEFAULT_GAP_S = 1.2
"""Pause between clips (and before the first, after the last): longer than the end silence."""
GAP_NOISE_RMS = 1e-4
"""Gaussian noise in the pauses, about -80 dBFS: not digital silence, far below speech."""
LATENCY_OVER_FORWARD_TARGET = 1.2
BASELINE_SPEEDUP_TARGET = 2.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--arch", action="append", choices=ARCHS, help="repeatable; default: both")
    p.add_argument("--dtype", action="append", choices=DTYPES, help="repeatable; default: both")
    p.add_argument("--clips", type=int, default=DEFAULT_CLIPS, help="speech clips in the stream")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="clip choice and gap noise")
    p.add_argument(
        "--gap-s",
        type=float,
        default=DEFAULT_GAP_S,
        help="pause before, between and after the clips (seconds)",
    )
    p.add_argument(
        "--chunk-length-s",
        type=float,
        default=DEFAULT_CHUNK_LENGTH_S,
        help="chunk length of the transformers baseline (seconds)",
    )
    p.add_argument(
        "--speech",
        type=Path,
        default=DEFAULT_SPEECH_DIR,
        help="folder with manifest.jsonl (default: ../shared/data/ko_speech)",
    )
    p.add_argument(
        "--models-dir",
        type=Path,
        default=DEFAULT_MODELS_DIR,
        help="where the random-weight checkpoints are built and reused",
    )
    p.add_argument("--out", type=Path, help="also write the JSON here")
    p.add_argument("--worker", nargs=3, metavar=("ARCH", "DTYPE", "RESULT"), help=argparse.SUPPRESS)
    p.add_argument("--model-folder", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.clips < 1:
        p.error("--clips must be at least 1")
    if args.gap_s <= SegmenterOptions().end_silence_ms / 1000:
        p.error("--gap-s must be longer than the segmenter's end silence")
    return args


# -- the audio ---------------------------------------------------------------------------


def read_manifest(speech_dir: Path) -> list[dict[str, Any]]:
    """The clips of ``speech_dir/manifest.jsonl``; exits with a message when it is missing."""
    manifest = speech_dir / "manifest.jsonl"
    if not manifest.is_file():
        sys.exit(
            f"bench/stream.py: no speech manifest at {manifest}. The benchmark needs the real "
            "Korean speech clips (../shared/data/ko_speech next to the repository); pass "
            "--speech DIR to point at a folder with manifest.jsonl and its clips."
        )
    with manifest.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def choose_clips(manifest: list[dict[str, Any]], count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` distinct clips, chosen reproducibly from ``seed``."""
    if count > len(manifest):
        sys.exit(f"bench/stream.py: --clips {count} but the manifest has {len(manifest)} clips")
    order = np.random.default_rng(seed).permutation(len(manifest))[:count]
    return [manifest[int(i)] for i in order]


def read_clip(path: Path) -> np.ndarray:
    """A clip as mono float32 at 16 kHz."""
    audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    return StreamResampler(rate)(audio.mean(axis=1), last=True)


def build_stream(speech_dir: Path, clips: list[dict[str, Any]], seed: int, gap_s: float) -> np.ndarray:
    """gap, clip, gap, clip, …, gap as one float32 array at 16 kHz; each gap is ``gap_s``
    seconds of faint noise."""
    rng = np.random.default_rng(seed)
    gap_samples = int(gap_s * SAMPLE_RATE)

    def gap() -> np.ndarray:
        return (rng.standard_normal(gap_samples) * GAP_NOISE_RMS).astype(np.float32)

    parts = [gap()]
    for clip in clips:
        parts += [read_clip(speech_dir / clip["audio"]), gap()]
    return np.concatenate(parts)


# -- checkpoints and the machine -----------------------------------------------------------


def ensure_checkpoint(models_dir: Path, arch: str, vocab: dict[str, int]) -> Path:
    """A random-weight checkpoint of ``arch`` over ``vocab``, built once and then reused
    (the folder name hashes the vocabulary and the architecture's shape)."""
    from trainer.scratch import ARCHITECTURES, save_checkpoint

    key = json.dumps([vocab, repr(ARCHITECTURES[arch])], sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    folder = models_dir / f"{arch}-jamo{len(vocab)}-{digest}"
    if (folder / "model.safetensors").is_file() and (folder / "vocab.json").is_file():
        return folder

    progress(f"building {arch} (random weights) in {folder}")
    models_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{arch}-", dir=models_dir))
    save_checkpoint(staging, arch, vocab)
    staging.rename(folder)
    return folder


def write_report(report: dict[str, Any], out: Path | None, indent: int = 1) -> None:
    """Print ``report`` as JSON on stdout, and write it to ``out`` too when given."""
    text = json.dumps(report, ensure_ascii=False, indent=indent)
    print(text)
    if out:
        out.write_text(text + "\n", encoding="utf-8")


def machine_facts() -> dict[str, Any]:
    """CPU, memory, library versions and load: what the numbers depend on."""
    import torch
    import transformers

    bf16 = getattr(torch.cpu, "_is_avx512_bf16_supported", None)
    model = next((line.split(":", 1)[1].strip() for line in _cpuinfo() if "model name" in line), "")
    return {
        "cpu_model": model or platform.processor(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_total_gib": round(_psutil_total_gib(), 1),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "torch_threads": torch.get_num_threads(),
        "bf16_native": bool(bf16()) if bf16 is not None else None,
        "amx_bf16": any("amx_bf16" in line for line in _cpuinfo() if line.startswith("flags")),
        "python": platform.python_version(),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "cpu_pressure_start": cpu_pressure(),
    }


def cpu_pressure() -> dict[str, float] | None:
    """Linux PSI ``some`` line of /proc/pressure/cpu: % of time tasks waited for a CPU."""
    try:
        line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return None
    fields = dict(item.split("=") for item in line.split()[1:])
    return {k: float(v) for k, v in fields.items() if k.startswith("avg")}


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


def _psutil_total_gib() -> float:
    import psutil

    return psutil.virtual_memory().total / 1024**3


# -- one configuration, in its own process -----------------------------------------------


def worker_main(args: argparse.Namespace) -> int:
    """Measure ``args.worker`` = (arch, dtype, result path); write the result JSON there."""
    arch, dtype, result_path = args.worker
    limit_heap_fragmentation()  # as the livekr command does at start
    sampler = RssSampler()
    clips = choose_clips(read_manifest(args.speech), args.clips, args.seed)
    samples = build_stream(args.speech, clips, args.seed, args.gap_s)
    audio_s = samples.size / SAMPLE_RATE
    seg = SegmenterOptions()
    recognizer, load = load_and_warm(args.model_folder, dtype)
    memory = {
        "after_load_mib": round(sampler.sample() / MIB, 1),
        "load_peak_mib": sampler.take_peak_mib(),
    }
    progress(f"{arch} {dtype}: loaded in {load['load_s']} s; playing {audio_s:.1f} s in real time")
    live = run_live(recognizer, samples, seg)
    memory["live_peak_mib"] = sampler.take_peak_mib()
    live_summary = summarize_live(live.events, live.calls, (live.started_s, live.finished_s), audio_s, seg)
    file_summary = measure_files(recognizer, samples, seg, args.chunk_length_s, sampler, memory)
    sampler.close()
    memory["process_peak_mib"] = max_rss_mib()
    result = {
        "arch": arch,
        "dtype": dtype,
        "device": recognizer.device_label,
        "load": load,
        "live": live_summary,
        "file": file_summary,
        "memory_mib": memory,
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "cpu_pressure_after": cpu_pressure(),
    }
    Path(result_path).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


def measure_files(
    recognizer: CTCRecognizer,
    samples: np.ndarray,
    seg: SegmenterOptions,
    chunk_length_s: float,
    sampler: RssSampler,
    memory: dict[str, float],
) -> dict[str, Any]:
    """livekr and the transformers baseline on the same temporary WAV; adds their peaks (MiB)
    to ``memory`` and returns the file summary."""
    with tempfile.TemporaryDirectory(prefix="livekr-bench-") as tmp:
        wav = Path(tmp) / "stream.wav"
        soundfile.write(str(wav), samples, SAMPLE_RATE, subtype="FLOAT")
        progress("file transcription by livekr (partials off)")
        livekr = run_file(recognizer, wav, seg)
        memory["file_peak_mib"] = sampler.take_peak_mib()
        progress(f"file transcription by transformers' pipeline (chunk_length_s={chunk_length_s})")
        baseline_wall_s, baseline_text = run_baseline(recognizer, wav, chunk_length_s)
        memory["baseline_peak_mib"] = sampler.take_peak_mib()
    audio_s = samples.size / SAMPLE_RATE
    summary = summarize_file(
        audio_s,
        livekr.wall_s,
        livekr.texts,
        livekr.speech_s,
        baseline_wall_s,
        baseline_text,
        chunk_length_s,
    )
    return summary | {"failures": livekr.failures}


# -- orchestration -------------------------------------------------------------------------


def run_configuration(args: argparse.Namespace, arch: str, dtype: str, folder: Path) -> dict:
    """Measure one arch × dtype in a fresh interpreter; its JSON result (or the error)."""
    with tempfile.TemporaryDirectory(prefix="livekr-bench-") as tmp:
        result_path = Path(tmp) / "result.json"
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            arch,
            dtype,
            str(result_path),
            "--model-folder",
            str(folder),
            "--speech",
            str(args.speech),
            "--clips",
            str(args.clips),
            "--seed",
            str(args.seed),
            "--gap-s",
            str(args.gap_s),
            "--chunk-length-s",
            str(args.chunk_length_s),
        ]
        done = subprocess.run(cmd, stdout=sys.stderr, check=False)
        if done.returncode != 0 or not result_path.is_file():
            return {"arch": arch, "dtype": dtype, "error": f"worker exited {done.returncode}"}
        return json.loads(result_path.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # inherited by the worker processes
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    args = parse_args(argv)
    if args.worker:
        return worker_main(args)
    started = time.perf_counter()
    manifest = read_manifest(args.speech)
    clips = choose_clips(manifest, args.clips, args.seed)
    vocab = build_vocab([normalize(r["text"]) for r in manifest], "jamo")
    archs, dtypes = args.arch or list(ARCHS), args.dtype or list(DTYPES)
    report: dict[str, Any] = {"machine": machine_facts(), "settings": settings(args, clips)}
    results = []
    for arch in archs:
        folder = ensure_checkpoint(args.models_dir, arch, vocab)
        for dtype in dtypes:
            progress(f"{arch} {dtype}: starting a fresh process")
            before = {
                "loadavg_before": [round(x, 2) for x in os.getloadavg()],
                "cpu_pressure_before": cpu_pressure(),
            }
            results.append(run_configuration(args, arch, dtype, folder) | before)
    report["results"] = results
    report["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    report["machine"]["cpu_pressure_end"] = cpu_pressure()
    report["wall_s"] = round(time.perf_counter() - started, 1)
    write_report(report, args.out, indent=2)
    return 0 if all("error" not in r for r in results) else 1


def settings(args: argparse.Namespace, clips: list[dict[str, Any]]) -> dict[str, Any]:
    """What was played and how livekr was configured (defaults of livekr.config)."""
    seg = SegmenterOptions()
    speech_s = sum(float(c["duration_s"]) for c in clips)
    total_s = speech_s + args.gap_s * (len(clips) + 1)
    return {
        "clips": len(clips),
        "clip_files": [c["audio"] for c in clips],
        "seed": args.seed,
        "gap_s": args.gap_s,
        "gap_noise_rms": GAP_NOISE_RMS,
        "audio_s": round(total_s, 2),
        "clip_audio_s": round(speech_s, 2),
        "end_silence_ms": seg.end_silence_ms,
        "frame_ms": seg.frame_ms,
        "post_roll_ms": seg.post_roll_ms,
        "baseline_chunk_length_s": args.chunk_length_s,
        "latency_over_forward_target": LATENCY_OVER_FORWARD_TARGET,
        "baseline_speedup_target": BASELINE_SPEEDUP_TARGET,
    }


if __name__ == "__main__":
    sys.exit(main())
