"""Which backend and dtype run a checkpoint on this CPU.

The candidates are torch fp32 (the reference), torch bf16 (only where the CPU has native bf16),
and ONNX Runtime fp32 and int8, narrowed by the options. A lone candidate is used once it
passes the parity probe; several are each probed and timed on the probe audio, and the fastest
that passes is used. The measurements are remembered per checkpoint, CPU, thread count and
library versions (``store``), so later starts choose without measuring, and without loading
the torch weights when an ONNX model is chosen. Whatever fails or disagrees falls back to
torch fp32, with a warning where the user asked for it.
"""

from __future__ import annotations

import copy
import importlib.metadata
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livekr.backends.fast import record_processor, remembered_onnx
from livekr.backends.onnx_runtime import (
    EXPORT_FORMAT,
    BackendUnavailable,
    OnnxRecognizer,
    conversion_file,
    export_fp32,
    import_onnxruntime,
    model_folder,
    open_session,
    quantize_int8,
)
from livekr.backends.parity import agreement, probe_audio
from livekr.backends.store import MEASUREMENTS_FILE, Entry, Measurement, MeasurementStore, cache_dir
from livekr.checkpoint import model_digest, model_files, processor_files
from livekr.config import RecognizerOptions
from livekr.cpu import CpuInfo, this_cpu
from livekr.messages import Message
from livekr.recognizer import CTCRecognizer, PosteriorRecognizer, check_recognizer, torch_recognizer

log = logging.getLogger(__name__)

TIMED_RUNS = 2
"""Forward passes timed per candidate after the probe's own (which warms it up); the fastest counts."""


@dataclass(frozen=True)
class Candidate:
    """One way to run the model on the CPU."""

    backend: str
    """"torch" or "onnx"."""
    dtype: str
    """"fp32", "bf16" (torch) or "int8" (onnx)."""

    @property
    def name(self) -> str:
        return f"{self.backend} {self.dtype}"


REFERENCE = Candidate("torch", "fp32")
"""What every other candidate is compared with, and falls back to."""


def candidates(backend: str, dtype: str, cpu_bf16: bool, onnx: bool) -> list[Candidate]:
    """The candidates ``backend`` and ``dtype`` (as planned: no impossible combination left)
    allow on a CPU with or without native bf16, with or without ONNX Runtime; never empty."""
    pool: list[Candidate] = []
    if backend in ("auto", "torch"):
        pool += [Candidate("torch", d) for d in ("fp32", "bf16") if d == "fp32" or cpu_bf16]
    if backend in ("auto", "onnx") and onnx:
        pool += [Candidate("onnx", "fp32"), Candidate("onnx", "int8")]
    if dtype != "auto":
        pool = [c for c in pool if c.dtype == dtype]
    return pool or [REFERENCE]


def pick(cands: list[Candidate], measured: dict[str, Measurement], min_agreement: float) -> Candidate:
    """The fastest of ``cands`` whose measurement passes ``min_agreement`` (torch fp32 always
    passes); torch fp32 when none does. Every candidate must be in ``measured``."""
    passing = [c for c in cands if c == REFERENCE or passes(measured[c.name], min_agreement)]
    return min(passing, key=lambda c: measured[c.name].forward_s) if passing else REFERENCE


def passes(m: Measurement, min_agreement: float) -> bool:
    return not m.error and m.agreement >= min_agreement


@dataclass(frozen=True)
class CpuLoad:
    """What ``load_on_cpu`` needs of a load that ``load_recognizer`` began."""

    ref: str
    offline: bool
    processor: Any
    frame_s: float
    dtype_name: str
    """As planned: "auto", "fp32", "bf16" (the CPU has it natively) or "int8"."""
    options: RecognizerOptions
    warm_up: bool
    progress: Callable[[str], None]


def load_on_cpu(
    job: CpuLoad, import_ort: Callable[[], Any] | None, cache: Path | None
) -> PosteriorRecognizer:
    """The recognizer for ``job`` on this CPU, chosen as the module docstring says."""
    cpu = this_cpu()
    ort = _runtime(import_ort or import_onnxruntime, job)
    cands = candidates(job.options.backend, job.dtype_name, cpu.native_bf16, ort is not None)
    if cands == [REFERENCE]:
        return torch_fp32(job)
    files = model_files(job.ref, job.offline)
    if not files:
        log.warning("%s: cannot find config.json and model.safetensors to key a conversion; using torch "
                    "fp32", job.ref)
        return torch_fp32(job)
    digest = model_digest(files)
    cache = cache or cache_dir()
    store = MeasurementStore(cache / MEASUREMENTS_FILE)
    key = measurement_key(digest, cpu, job.options.threads, ort)
    entry = store.get(key)
    measured = dict(entry.measured) if entry is not None else {}
    builder = Builder(job, ort, model_folder(cache, digest), cpu)
    missing = [c for c in cands if c.name not in measured]
    made: PosteriorRecognizer | None = None
    if missing:
        job.progress(Message("backend.measuring", names=", ".join(c.name for c in cands)))
        made = measure(builder, missing, measured, job.options.min_agreement)
    choice = pick(cands, measured, job.options.min_agreement)
    _explain(job, cands, measured, choice)
    try:
        recognizer = made if made is not None and _is(made, choice) else builder.build(choice)
    except BackendUnavailable as e:  # remembered, but its conversion cannot be made again
        log.warning("%s: %s cannot run (%s); using torch fp32", job.ref, choice.name, e)
        measured[choice.name] = Measurement(0.0, 0.0, str(e))
        choice = REFERENCE
        recognizer = builder.build(choice)
    remembered = Entry(job.ref, cpu.describe(), measured, choice.name, job.options.threads)
    if remembered != entry:
        store.put(key, remembered)
    if choice != REFERENCE:
        recognizer.set_agreement(measured[choice.name].agreement)
    if recognizer.backend == "onnx":  # the next start can skip torch
        sources = processor_files(job.ref, job.offline)
        record_processor(builder.folder, job.processor, recognizer.tokens, sources)
    return recognizer


def torch_fp32(job: CpuLoad) -> CTCRecognizer:
    return torch_recognizer(job.ref, job.offline, job.processor, "cpu", "fp32", job.warm_up)


def measurement_key(digest: str, cpu: CpuInfo, threads: int, ort: Any) -> str:
    """Measurements hold for this model on this CPU with these threads and library versions
    (read from the installed packages' metadata, so that no library must be imported)."""
    ort_version = getattr(ort, "__version__", "none")
    versions = f"torch={_version('torch')}|ort={ort_version}|v{EXPORT_FORMAT}"
    return f"{digest}|{cpu.key}|threads={threads}|{versions}"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "none"


def load_remembered(ref: str, offline: bool, options: RecognizerOptions,
                    import_ort: Callable[[], Any] | None, cache: Path | None, warm_up: bool
                    ) -> PosteriorRecognizer | None:
    """The ONNX model chosen for ``ref`` on this CPU before, started without torch
    (``livekr.backends.fast``), checked like any other; None where that is not possible."""
    if options.backend == "torch" or options.device not in ("auto", "cpu"):
        return None
    try:
        ort = (import_ort or import_onnxruntime)()
    except (ImportError, BackendUnavailable):
        return None
    files = model_files(ref, offline)
    if not files:
        return None
    cpu = this_cpu()

    def onnx_file(folder: Path, dtype: str) -> Path:
        return conversion_file(folder, dtype, reduce_range=not cpu.int8_dot)

    def key_of(digest: str) -> str:
        return measurement_key(digest, cpu, options.threads, ort)

    sources = processor_files(ref, offline)
    recognizer = remembered_onnx(ref, files, sources, options, cache or cache_dir(), key_of, onnx_file, ort)
    if recognizer is not None:
        check_recognizer(recognizer, warm_up)
    return recognizer


def _runtime(import_ort: Callable[[], Any], job: CpuLoad) -> Any:
    """The onnxruntime module, or None (with a warning when the options ask for it)."""
    if job.options.backend == "torch":
        return None
    try:
        return import_ort()
    except (ImportError, BackendUnavailable) as e:
        if job.options.backend == "onnx" or job.dtype_name == "int8":
            log.warning("ONNX Runtime is not available (%s): pip install onnx onnxruntime; using torch", e)
        return None


def _is(recognizer: PosteriorRecognizer, c: Candidate) -> bool:
    return recognizer.backend == c.backend and recognizer.dtype_name == c.dtype


def _explain(
    job: CpuLoad, cands: list[Candidate], measured: dict[str, Measurement], choice: Candidate
) -> None:
    """Warn when what the options asked for cannot be used; otherwise log what was chosen."""
    least = job.options.min_agreement
    for c in (c for c in cands if c != REFERENCE and not passes(measured[c.name], least)):
        m = measured[c.name]
        why = m.error or (f"it picks the same token as torch fp32 on only {m.agreement:.1%} of the probe's "
                          f"frames (--min-agreement {least:g})")
        asked = REFERENCE not in cands
        (log.warning if asked else log.info)("%s: not using %s: %s", job.ref, c.name, why)
    if REFERENCE not in cands and choice == REFERENCE:
        log.warning("%s: using torch fp32 instead", job.ref)
    ran = [c for c in cands if not measured[c.name].error]
    timings = ", ".join(f"{c.name} {measured[c.name].forward_s:.3f} s" for c in ran)
    log.info("%s: running with %s (probe forward: %s)", job.ref, choice.name, timings)


def measure(builder: Builder, missing: list[Candidate], measured: dict[str, Measurement],
            min_agreement: float) -> PosteriorRecognizer | None:
    """Probe and time each of ``missing`` into ``measured``; returns the fastest passing one
    built here (the others are released as soon as they lose), or None."""
    probe = probe_audio()
    reference = builder.reference()
    expected = reference.log_posteriors(probe)
    best: PosteriorRecognizer | None = None
    best_s = float("inf")
    for c in missing:
        try:
            recognizer = builder.build(c)
            got = expected if c == REFERENCE else recognizer.log_posteriors(probe)
            forward_s = time_forward(recognizer, probe)
        except Exception as e:  # any failure of a candidate only rules it out; the reference loaded
            if c == REFERENCE:
                raise
            measured[c.name] = Measurement(0.0, 0.0, _first_line(e))
            continue
        measured[c.name] = m = Measurement(agreement(expected, got), forward_s)
        if passes(m, min_agreement) and m.forward_s < best_s:
            best, best_s = recognizer, m.forward_s
        del recognizer
    return best


def time_forward(recognizer: PosteriorRecognizer, audio: Any, runs: int = TIMED_RUNS) -> float:
    """Fastest of ``runs`` timed forward passes of ``audio``, in s."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        recognizer.log_posteriors(audio)
        times.append(time.perf_counter() - t0)
    return min(times)


class Builder:
    """Makes the recognizer of a candidate; the torch fp32 model is loaded once, when first
    needed (as the reference, or to convert from)."""

    def __init__(self, job: CpuLoad, ort: Any, folder: Path, cpu: CpuInfo) -> None:
        self.job = job
        self.ort = ort
        self.folder = folder
        self.cpu = cpu
        self._reference: CTCRecognizer | None = None

    def reference(self) -> CTCRecognizer:
        if self._reference is None:
            self._reference = torch_fp32(self.job)
        return self._reference

    def build(self, c: Candidate) -> PosteriorRecognizer:
        """The checked recognizer of ``c`` (``BackendUnavailable`` when it cannot run here)."""
        job = self.job
        if c == REFERENCE:
            return self.reference()
        if c.backend == "torch":
            if self._reference is None:
                return torch_recognizer(job.ref, job.offline, job.processor, "cpu", c.dtype, job.warm_up)
            import torch

            model = copy.deepcopy(self._reference.model).to(dtype=torch.bfloat16)
            recognizer: PosteriorRecognizer = CTCRecognizer(model, job.processor, "cpu", job.ref, "CPU bf16")
        else:
            recognizer = OnnxRecognizer(self._session(c.dtype), job.processor, job.ref, c.dtype, job.frame_s)
        check_recognizer(recognizer, job.warm_up)
        return recognizer

    def _session(self, dtype: str) -> Any:
        """A session of the cached conversion; one that cannot be opened is made again once."""
        path = self._onnx_file(dtype)
        try:
            return open_session(self.ort, path, self.job.options.threads)
        except BackendUnavailable as e:
            log.warning("the cached ONNX model %s cannot be used (%s); converting again", path, e)
            path.unlink(missing_ok=True)
        return open_session(self.ort, self._onnx_file(dtype), self.job.options.threads)

    def _onnx_file(self, dtype: str) -> Path:
        fp32 = conversion_file(self.folder, "fp32")
        if not fp32.is_file():
            fp32 = export_fp32(self.reference().model, self.folder, self.job.progress)
        if dtype == "fp32":
            return fp32
        return quantize_int8(fp32, self.job.progress, reduce_range=not self.cpu.int8_dot)



def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]
