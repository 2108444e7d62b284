"""Speech recognition with a CTC checkpoint: the ``Recognizer`` interface, device choice and
the loader.

Decoding is ``livekr.ctc``'s (numpy only). The ``Recognizer`` interface needs only numpy;
torch and transformers are imported when a checkpoint is loaded, so the rest of livekr can
be used and tested without them. On the CPU the loader may run the model with ONNX Runtime
or in bf16 instead of torch fp32 (``livekr.backends``); every backend gives the same
``PosteriorRecognizer`` interface.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from livekr.checkpoint import (
    ModelLoadError as ModelLoadError,
)
from livekr.checkpoint import (
    check_local_checkpoint,
    load_config,
    load_processor,
    load_weights,
    model_files,
)
from livekr.checkpoint import (
    hub_unreachable as hub_unreachable,
)
from livekr.checkpoint import (
    looks_like_path as looks_like_path,
)
from livekr.config import SAMPLE_RATE, RecognizerOptions
from livekr.ctc import TokenTable, mean_confidence, vocabulary_problem
from livekr.hub_api import DownloadError, check_repo_id
from livekr.hub_download import DownloadProgress, ProgressLines, downloaded_folder, fetch_model
from livekr.transcript import CharSpan

log = logging.getLogger(__name__)

MIN_AUDIO_SAMPLES = SAMPLE_RATE // 10
"""Shorter audio is padded with silence: the feature encoder needs a few frames."""
WARM_UP_SAMPLES = SAMPLE_RATE
"""One second of silence runs through a freshly loaded model (weights paged in, outputs checked)."""

Progress = Callable[[str], None]
"""Receives one-line messages about slow steps of a load (converting, measuring)."""


@dataclass(frozen=True)
class Recognition:
    """What the recognizer heard in one piece of audio."""

    text: str
    chars: tuple[CharSpan, ...]
    """One entry per non-space character of ``text``, times relative to the audio start."""
    confidence: float
    """Mean character confidence, 0..1 (0 when nothing was recognised)."""
    audio_s: float
    forward_s: float
    """Wall time of the model's forward pass and decoding."""


class Recognizer(Protocol):
    """Turns one utterance of 16 kHz mono float32 audio into text.

    ``recognize`` is called from one thread at a time (the pipeline's worker).
    """

    name: str
    device_label: str

    def recognize(self, audio: np.ndarray) -> Recognition: ...


@dataclass(frozen=True)
class DevicePlan:
    """Where the model will run, decided before loading it."""

    device: str
    dtype_name: str
    """"fp32", "fp16", "bf16" or "int8"; "auto" on the CPU, where the loader measures."""
    label: str
    """For people, e.g. "CPU fp32"."""


def plan_device(
    options: RecognizerOptions, cuda_available: bool, bf16_on_cuda: bool, cpu_bf16: bool = False
) -> DevicePlan:
    """Choose device and dtype (``options`` are valid: ``RecognizerOptions`` checks them);
    degraded choices are logged as warnings, never silent. ``cpu_bf16``: the CPU computes bf16
    natively (``livekr.cpu``)."""
    device = options.device
    if device == "auto":
        device = "cuda" if cuda_available and options.backend != "onnx" else "cpu"
    elif device.startswith("cuda") and not cuda_available:
        log.warning("CUDA was asked for but is not available; using the CPU")
        device = "cpu"
    on_cuda = device.startswith("cuda")
    if on_cuda and options.backend == "onnx":
        log.warning("the ONNX backend runs on the CPU only; using torch on %s", device)
    return DevicePlan(device, *_plan_dtype(options, on_cuda, bf16_on_cuda, cpu_bf16))


def _plan_dtype(
    options: RecognizerOptions, on_cuda: bool, bf16_on_cuda: bool, cpu_bf16: bool
) -> tuple[str, str]:
    """(dtype name, label) for the device chosen; each impossible request warns once."""
    dtype = options.dtype
    if on_cuda:
        if dtype in ("auto", "int8"):
            if dtype == "int8":
                log.warning("int8 runs only with the ONNX backend on the CPU; using FP16 on the GPU")
            dtype = "fp16"
        if dtype == "bf16" and not bf16_on_cuda:
            log.warning("this GPU has no BF16 support; using FP16 instead")
            dtype = "fp16"
        return dtype, f"GPU {dtype}"
    if dtype == "fp16":
        log.warning("FP16 is not supported on the CPU; using FP32 instead")
        dtype = "fp32"
    if dtype == "bf16" and not cpu_bf16:
        log.warning("this CPU has no native BF16 (no AMX or AVX512-BF16): BF16 would run about 25x "
                    "slower than FP32; using FP32 instead")
        dtype = "fp32"
    if dtype == "bf16" and options.backend == "onnx":
        log.warning("the ONNX backend has no BF16 path; using FP32 with ONNX Runtime")
        dtype = "fp32"
    if dtype == "int8" and options.backend == "torch":
        log.warning("int8 needs the ONNX backend (--backend onnx); using FP32 with torch")
        dtype = "fp32"
    return dtype, f"CPU {dtype}"


def load_recognizer(
    ref: str,
    options: RecognizerOptions | None = None,
    warm_up: bool = True,
    *,
    progress: Progress | None = None,
    import_onnxruntime: Callable[[], Any] | None = None,
    cache: Path | None = None,
    download_progress: Callable[[DownloadProgress], None] | None = None,
    cancel: threading.Event | None = None,
) -> PosteriorRecognizer:
    """Load a CTC checkpoint from a folder or a Hugging Face hub id.

    Raises ``ModelLoadError`` with a one-line reason for anything that is not a loadable,
    sound CTC checkpoint: damaged files, a config.json that does not fit the weights, a
    vocabulary that does not fit the output layer. Weights are read from safetensors only,
    straight into the planned dtype; remote code is never run. ``warm_up`` runs one forward
    pass on a second of silence, so the weights are paged in and the first utterance does
    not pay for it, and checks that its outputs are finite (damaged weights give NaN).

    A hub id loads from its folder under ``models_dir()/hub`` (``livekr.hub_download``), which
    is downloaded first where the hub can be reached: ``download_progress`` receives its
    progress (default: a line every few seconds through ``progress``), and setting ``cancel``
    stops it with ``DownloadCancelled`` (what arrived is kept; the next load resumes). A model
    that transformers downloaded before, or any model while the hub is unreachable, loads from
    transformers' cache instead. The recognizer's ``name`` is the hub id either way.

    On the CPU, ``options.backend``/``dtype`` "auto" try ONNX Runtime (fp32, int8) and native
    bf16 against torch fp32 on first use: each must pass a parity probe, the fastest is used and
    remembered per checkpoint and CPU under ``cache`` (default ``livekr.backends.store.cache_dir()``).
    ``progress`` receives a line before each slow step (default: logged at INFO);
    ``import_onnxruntime`` returns the ``onnxruntime`` module or raises ImportError (tests pass a
    failing one to take the path of a machine without it). A model whose ONNX conversion was
    chosen on this CPU before starts from that conversion without importing torch
    (``livekr.backends.fast``).
    """
    options = options or RecognizerOptions()
    say = progress if progress is not None else log.info
    if looks_like_path(ref):
        check_local_checkpoint(Path(ref).expanduser())
        name = source = str(Path(ref).expanduser())
        offline = False
    else:
        name = ref
        source, offline = hub_source(ref, download_progress or ProgressLines(say), cancel)
    recognizer = _load(source, offline, options, warm_up, say, import_onnxruntime, cache)
    recognizer.name = name
    return recognizer


def hub_source(ref: str, download_progress: Callable[[DownloadProgress], None],
               cancel: threading.Event | None) -> tuple[str, bool]:
    """(what to load, offline) for hub id ``ref``: its downloaded folder (downloaded now where
    needed and possible), or ``ref`` itself, offline, for transformers' cache."""
    try:
        check_repo_id(ref)
    except DownloadError as e:
        raise ModelLoadError("checkpoint.not_folder_nor_id", ref=ref) from e
    folder = downloaded_folder(ref)
    if folder is None:
        if model_files(ref, offline=True) or hub_unreachable() is not None:
            return ref, True
        folder = fetch_model(ref, progress=download_progress, cancel=cancel)
    check_local_checkpoint(folder)
    return str(folder), False


def _load(ref: str, offline: bool, options: RecognizerOptions, warm_up: bool, say: Progress,
          import_onnxruntime: Callable[[], Any] | None, cache: Path | None) -> PosteriorRecognizer:
    """The recognizer of checkpoint ``ref`` (a folder, or a hub id in transformers' cache), as
    ``load_recognizer`` describes."""
    from livekr.backends.choice import load_remembered

    remembered = load_remembered(ref, offline, options, import_onnxruntime, cache, warm_up)
    if remembered is not None:
        return remembered
    import torch

    config = load_config(ref, offline, looks_like_path(ref))
    processor = load_processor(ref, offline)
    cuda = torch.cuda.is_available()
    from livekr.cpu import this_cpu

    plan = plan_device(options, cuda, cuda and torch.cuda.is_bf16_supported(), this_cpu().native_bf16)
    if plan.device != "cpu":
        return torch_recognizer(ref, offline, processor, plan.device, plan.dtype_name, warm_up)
    from livekr.backends.choice import CpuLoad, load_on_cpu

    _set_torch_threads(torch, options.threads)
    frame_s = getattr(config, "inputs_to_logits_ratio", 320) / SAMPLE_RATE
    job = CpuLoad(ref, offline, processor, frame_s, plan.dtype_name, options, warm_up, say)
    return load_on_cpu(job, import_onnxruntime, cache)


_torch_default_threads: list[int] = []
"""torch's own thread count, read before livekr first changes it."""


def _set_torch_threads(torch: Any, threads: int) -> None:
    """Set torch's (process-wide) intra-op threads; 0 restores its default."""
    if not _torch_default_threads:
        _torch_default_threads.append(torch.get_num_threads())
    torch.set_num_threads(threads or _torch_default_threads[0])


def torch_recognizer(
    ref: str, offline: bool, processor: Any, device: str, dtype_name: str, warm_up: bool
) -> CTCRecognizer:
    """The checkpoint as a torch ``CTCRecognizer`` on ``device`` in ``dtype_name``, checked
    (``check_recognizer``)."""
    import torch

    dtype = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[dtype_name]
    model = load_weights(ref, offline, dtype).to(device=device, dtype=dtype).eval()
    label = f"{'GPU' if device.startswith('cuda') else 'CPU'} {dtype_name}"
    recognizer = CTCRecognizer(model, processor, device, ref, label)
    check_recognizer(recognizer, warm_up)
    return recognizer


def check_recognizer(recognizer: PosteriorRecognizer, warm_up: bool) -> None:
    """``ModelLoadError`` unless the vocabulary fits the output layer and (with ``warm_up``)
    a second of silence gives finite outputs."""
    ref = recognizer.name
    problem = vocabulary_problem(recognizer.tokens, recognizer.outputs)
    if problem is not None:
        raise ModelLoadError("recognizer.vocab_mismatch", ref=ref, problem=problem)
    if warm_up and not np.isfinite(recognizer.log_posteriors(np.zeros(WARM_UP_SAMPLES, np.float32))).all():
        dtype = recognizer.dtype_name
        if dtype in ("fp32", "int8"):
            raise ModelLoadError("recognizer.non_finite", ref=ref)
        raise ModelLoadError("recognizer.non_finite_dtype", ref=ref, dtype=dtype)


class PosteriorRecognizer:
    """A CTC model behind any backend: log-posteriors of audio, decoded greedily.

    A backend implements ``log_posteriors``; features always come from the checkpoint's saved
    feature extractor (``features``), so every backend sees what the torch path sees.
    """

    backend = "torch"
    """"torch" or "onnx"."""

    def __init__(self, processor: Any, name: str, label: str, dtype_name: str, outputs: int,
                 frame_s: float) -> None:
        self.processor = processor
        self.name = name
        self.dtype_name = dtype_name
        self.base_label = label
        """The label without the parity figure, e.g. "CPU ONNX int8"."""
        self.device_label = label
        """For people, e.g. "CPU fp32" or "CPU ONNX int8 (parity 98.7%)"."""
        self.agreement: float | None = None
        """Share of probe frames on which this model picks the same token as torch fp32, 0..1;
        None for torch fp32 itself and on the GPU (not probed)."""
        tokens = getattr(processor, "tokens", None)  # a recorded processor carries its table
        if not isinstance(tokens, TokenTable):
            tokens = TokenTable.from_tokenizer(processor.tokenizer)
        self.tokens = tokens
        self.outputs = outputs
        """Classes of the CTC head (the ids the model can emit)."""
        self.frame_s = frame_s
        """Seconds of audio per output frame."""

    def set_agreement(self, agreement: float) -> None:
        """Record the parity probe's result; it shows in ``device_label``."""
        self.agreement = agreement
        self.device_label = f"{self.base_label} (parity {agreement:.1%})"

    def features(self, audio: np.ndarray) -> np.ndarray:
        """(1, samples) float32 model input: ``audio`` (1-D float32, 16 kHz; padded with silence to
        ``MIN_AUDIO_SAMPLES``) through the checkpoint's feature extractor."""
        samples = np.asarray(audio, dtype=np.float32)
        if samples.size < MIN_AUDIO_SAMPLES:
            samples = np.pad(samples, (0, MIN_AUDIO_SAMPLES - samples.size))
        features = self.processor.feature_extractor(samples, sampling_rate=SAMPLE_RATE, return_tensors="np")
        return np.asarray(features.input_values, dtype=np.float32)

    def log_posteriors(self, audio: np.ndarray) -> np.ndarray:
        """(frames, outputs) float32 log-softmax of 1-D float32 16 kHz audio. Called from one
        thread at a time."""
        raise NotImplementedError

    def recognize(self, audio: np.ndarray) -> Recognition:
        """Transcribe one utterance (1-D float32, 16 kHz). Called from one thread at a time."""
        t0 = time.perf_counter()
        text, chars = self.tokens.decode(self.log_posteriors(audio), self.frame_s)
        return Recognition(
            text=text,
            chars=chars,
            confidence=mean_confidence(chars),
            audio_s=audio.size / SAMPLE_RATE,
            forward_s=time.perf_counter() - t0,
        )


class CTCRecognizer(PosteriorRecognizer):
    """A loaded torch ``*ForCTC`` model with its processor."""

    def __init__(self, model: Any, processor: Any, device: str, name: str, label: str) -> None:
        import torch

        self._torch = torch
        self.model = model
        self.device = device
        self._dtype = next(model.parameters()).dtype
        head = getattr(model, "lm_head", None)
        outputs = int(getattr(head, "out_features", None) or model.config.vocab_size)
        ratio = getattr(model.config, "inputs_to_logits_ratio", 320)
        dtype_name = {torch.float32: "fp32", torch.float16: "fp16", torch.bfloat16: "bf16"}[self._dtype]
        super().__init__(processor, name, label, dtype_name, outputs, ratio / SAMPLE_RATE)

    def log_posteriors(self, audio: np.ndarray) -> np.ndarray:
        torch = self._torch
        values = torch.from_numpy(self.features(audio)).to(self.device, self._dtype)
        with torch.inference_mode():
            logits = self.model(values).logits[0]
            return torch.log_softmax(logits.float(), dim=-1).cpu().numpy()
