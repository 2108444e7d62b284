"""Speech recognition with a CTC checkpoint: loading, checking and device choice.

Decoding is ``livekr.ctc``'s (numpy only). The ``Recognizer`` interface needs only numpy;
torch and transformers are imported when a checkpoint is loaded, so the rest of livekr can
be used and tested without them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import numpy as np

from livekr.config import SAMPLE_RATE, RecognizerOptions
from livekr.ctc import TokenTable, mean_confidence, vocabulary_problem
from livekr.transcript import CharSpan

log = logging.getLogger(__name__)

MIN_AUDIO_SAMPLES = SAMPLE_RATE // 10
"""Shorter audio is padded with silence: the feature encoder needs a few frames."""


class ModelLoadError(Exception):
    """A checkpoint cannot be loaded; the message says why and what to do."""


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
    """"fp32", "fp16" or "bf16"."""
    label: str
    """For people, e.g. "CPU fp32"."""


def plan_device(options: RecognizerOptions, cuda_available: bool, bf16_on_cuda: bool) -> DevicePlan:
    """Choose device and dtype (``options`` are valid: ``RecognizerOptions`` checks them);
    degraded choices are logged as warnings, never silent."""
    device = options.device
    if device == "auto":
        device = "cuda" if cuda_available else "cpu"
    elif device.startswith("cuda") and not cuda_available:
        log.warning("CUDA was asked for but is not available; using the CPU")
        device = "cpu"
    on_cuda = device.startswith("cuda")
    dtype = options.dtype
    if dtype == "auto":
        dtype = "fp16" if on_cuda else "fp32"
    if dtype == "fp16" and not on_cuda:
        log.warning("FP16 is not supported on the CPU; using FP32 instead")
        dtype = "fp32"
    if dtype == "bf16" and on_cuda and not bf16_on_cuda:
        log.warning("this GPU has no BF16 support; using FP16 instead")
        dtype = "fp16"
    return DevicePlan(device, dtype, f"{'GPU' if on_cuda else 'CPU'} {dtype}")


CHECKPOINT_JSON_FILES = (
    *("config.json", "vocab.json", "preprocessor_config.json", "processor_config.json"),
    *("tokenizer_config.json", "special_tokens_map.json", "added_tokens.json"),
)
"""JSON files of a checkpoint folder; each must hold a JSON object where present."""
TRAINING_ONLY_WEIGHTS = ("masked_spec_embed",)
"""Weights used only in training (SpecAugment's mask vector), which older checkpoints lack;
transformers initialises them and inference never reads them."""


def _read_json_object(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; ``ModelLoadError`` naming the file if it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ModelLoadError(f"cannot read {path}: {e.strerror or e}") from e
    except ValueError as e:  # also UnicodeDecodeError
        raise ModelLoadError(
            f"{path} is not valid JSON ({_first_line(e)}); the file is damaged: restore it from "
            "where the checkpoint came from"
        ) from e
    if not isinstance(data, dict):
        raise ModelLoadError(
            f"{path} holds no JSON object; the file is damaged: restore it from where the checkpoint "
            "came from"
        )
    return data


def check_local_checkpoint(folder: Path) -> None:
    """Raise ``ModelLoadError`` unless ``folder`` looks like a Hugging Face CTC checkpoint:
    config.json and a non-empty vocab.json present, every JSON file of it readable."""
    if not folder.exists():
        raise ModelLoadError(f"{folder}: no such checkpoint folder")
    if not folder.is_dir():
        raise ModelLoadError(f"{folder} is a file; give the checkpoint folder that holds config.json")
    if not (folder / "config.json").is_file():
        raise ModelLoadError(
            f"{folder} has no config.json, so it is not a Hugging Face checkpoint; choose the "
            "folder that holds config.json, model.safetensors and vocab.json"
        )
    if not (folder / "vocab.json").is_file():
        raise ModelLoadError(
            f"{folder} has no vocab.json: the checkpoint lacks its tokenizer; save the "
            "processor with the model (processor.save_pretrained(folder))"
        )
    for name in CHECKPOINT_JSON_FILES:
        if (folder / name).exists():
            _read_json_object(folder / name)
    vocab = _read_json_object(folder / "vocab.json")
    if not vocab or not all(isinstance(i, int) for i in vocab.values()):
        raise ModelLoadError(
            f"{folder / 'vocab.json'} is {'empty' if not vocab else 'not a map of tokens to ids'}; "
            "use the vocab.json saved with this model"
        )


def looks_like_path(ref: str) -> bool:
    return ref.startswith((".", "/", "~")) or "\\" in ref or Path(ref).exists() or ref.count("/") > 1


def load_recognizer(
    ref: str, options: RecognizerOptions | None = None, warm_up: bool = True
) -> CTCRecognizer:
    """Load a CTC checkpoint from a folder or a Hugging Face hub id.

    Raises ``ModelLoadError`` with a one-line reason for anything that is not a loadable,
    sound CTC checkpoint: damaged files, a config.json that does not fit the weights, a
    vocabulary that does not fit the output layer. Weights are read from safetensors only,
    straight into the planned dtype; remote code is never run. ``warm_up`` runs one forward
    pass on a second of silence, so the weights are paged in and the first utterance does
    not pay for it, and checks that its outputs are finite (damaged weights give NaN).
    """
    import torch

    options = options or RecognizerOptions()
    offline = False
    local = looks_like_path(ref)
    if local:
        check_local_checkpoint(Path(ref).expanduser())
        ref = str(Path(ref).expanduser())
    else:
        offline = hub_unreachable() is not None
    _load_config(ref, offline, local)
    processor = _load_processor(ref, offline)
    plan = plan_device(
        options,
        cuda_available=torch.cuda.is_available(),
        bf16_on_cuda=torch.cuda.is_available() and torch.cuda.is_bf16_supported(),
    )
    dtype = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[plan.dtype_name]
    model = _load_weights(ref, offline, dtype).to(device=plan.device, dtype=dtype).eval()
    recognizer = CTCRecognizer(model, processor, plan, name=ref)
    problem = vocabulary_problem(recognizer.tokens, recognizer.outputs)
    if problem is not None:
        raise ModelLoadError(
            f"{ref}: {problem}, so its vocab.json does not belong to these weights; use the "
            "vocab.json saved with this model"
        )
    if warm_up and not np.isfinite(recognizer.log_posteriors(np.zeros(SAMPLE_RATE, np.float32))).all():
        overflow = "" if plan.dtype_name == "fp32" else f", or they overflow in {plan.dtype_name} (try fp32)"
        raise ModelLoadError(
            f"{ref}: the model computes NaN or infinite outputs: its weights are damaged{overflow}; "
            "copy or download the checkpoint again"
        )
    return recognizer


def _load_config(ref: str, offline: bool, local: bool) -> Any:
    """The checkpoint's config, which must describe a ``*ForCTC`` model."""
    import transformers

    try:
        config = transformers.AutoConfig.from_pretrained(ref, local_files_only=offline)
    except OSError as e:
        if local:
            raise ModelLoadError(f"{ref}: cannot read config.json ({_first_line(e)})") from e
        raise ModelLoadError(_hub_error(ref, e)) from e
    except ValueError as e:
        raise ModelLoadError(f"{ref}: config.json is not a model livekr knows ({_first_line(e)})") from e
    architectures = list(getattr(config, "architectures", None) or [])
    if not any(a.endswith("ForCTC") for a in architectures):
        raise ModelLoadError(
            f"{ref} is not a CTC speech-recognition checkpoint (architectures: "
            f"{', '.join(architectures) or 'none'}); fine-tune it first with livekr-train, "
            "or pick a *ForCTC checkpoint"
        )
    return config


def _load_processor(ref: str, offline: bool) -> Any:
    """The checkpoint's processor, which must have a tokenizer."""
    import transformers

    try:
        processor = transformers.AutoProcessor.from_pretrained(ref, local_files_only=offline)
    except (OSError, ValueError) as e:
        raise ModelLoadError(f"{ref}: cannot load the processor ({_first_line(e)})") from e
    if getattr(processor, "tokenizer", None) is None:
        raise ModelLoadError(f"{ref} has no tokenizer (vocab.json); it cannot turn output into text")
    return processor


def _load_weights(ref: str, offline: bool, dtype: Any) -> Any:
    """The ``*ForCTC`` model with every weight read from model.safetensors.

    transformers' many-line load report is held back; what it would say (weights of the
    wrong shape, missing or left over) is raised here as one line instead.
    """
    import transformers
    from safetensors import SafetensorError

    try:
        with _load_report_held_back():
            model, info = transformers.AutoModelForCTC.from_pretrained(
                ref,
                use_safetensors=True,
                local_files_only=offline,
                dtype=dtype,
                ignore_mismatched_sizes=True,
                output_loading_info=True,
            )
    except SafetensorError as e:
        raise ModelLoadError(
            f"{ref}: model.safetensors is damaged ({_first_line(e)}): it is truncated, empty or "
            "not a safetensors file; copy or download the checkpoint again"
        ) from e
    except OSError as e:
        raise ModelLoadError(
            f"{ref}: no loadable model.safetensors ({_first_line(e)}); livekr loads safetensors "
            "only: convert the weights (model.save_pretrained(folder) writes them)"
        ) from e
    except (RuntimeError, ValueError) as e:
        raise ModelLoadError(f"{ref}: cannot load the weights ({_first_line(e)})") from e
    problem = _weights_problem(info)
    if problem is not None:
        raise ModelLoadError(
            f"{ref}: config.json does not match model.safetensors ({problem}); use the config.json "
            "saved with these weights"
        )
    return model


def _weights_problem(info: dict[str, Any]) -> str | None:
    """What transformers' loading info says is wrong with the weights, in a few words, or None."""
    mismatched = sorted(info.get("mismatched_keys") or ())
    if mismatched:
        key, in_file, in_model = mismatched[0]
        return (
            f"{len(mismatched)} weights differ in shape, e.g. {key}: {_shape(in_file)} in the file, "
            f"{_shape(in_model)} by config.json"
        )
    missing = sorted(k for k in info.get("missing_keys") or () if not k.endswith(TRAINING_ONLY_WEIGHTS))
    if missing:
        return f"{len(missing)} weights missing from the file, e.g. {missing[0]}"
    unexpected = sorted(info.get("unexpected_keys") or ())
    if unexpected:
        return f"{len(unexpected)} weights in the file have no place in the model, e.g. {unexpected[0]}"
    return None


def _shape(size: Any) -> str:
    return "×".join(str(n) for n in size)


class _DropLoadReport(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "LOAD REPORT" not in str(record.msg)


@contextlib.contextmanager
def _load_report_held_back() -> Iterator[None]:
    """Hold back transformers' load report (a table of every odd weight) while loading."""
    logger = logging.getLogger("transformers.modeling_utils")
    report_filter = _DropLoadReport()
    logger.addFilter(report_filter)
    try:
        yield
    finally:
        logger.removeFilter(report_filter)


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def hub_unreachable() -> str | None:
    """Why the Hugging Face hub cannot be reached right now, or None if it may be.

    A quick name lookup, so an offline machine fails at once instead of after the hub
    client's retries.
    """
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return "HF_HUB_OFFLINE is set"
    host = urlparse(constants.ENDPOINT).hostname or constants.ENDPOINT
    try:
        socket.getaddrinfo(host, 443)
    except OSError as e:
        return f"cannot resolve {host}: {e.strerror or e}"
    return None


def _hub_error(ref: str, e: BaseException) -> str:
    reason = hub_unreachable()
    if reason is not None:
        return (
            f"cannot load {ref!r}: it is not a local folder nor in the Hugging Face cache, and "
            f"the hub is unreachable ({reason}); connect once to download it, or pass a "
            "checkpoint folder"
        )
    return (
        f"cannot load {ref!r} from the Hugging Face hub ({_first_line(e)}); check the id "
        "(owner/name), or pass a checkpoint folder"
    )


class CTCRecognizer:
    """A loaded ``*ForCTC`` model with its processor; greedy decoding."""

    def __init__(self, model: Any, processor: Any, plan: DevicePlan, name: str) -> None:
        import torch

        self._torch = torch
        self.model = model
        self.processor = processor
        self.plan = plan
        self.name = name
        self.device_label = plan.label
        self._dtype = next(model.parameters()).dtype
        self.tokens = TokenTable.from_tokenizer(processor.tokenizer)
        head = getattr(model, "lm_head", None)
        self.outputs = int(getattr(head, "out_features", None) or model.config.vocab_size)
        """Classes of the CTC head (the ids the model can emit)."""
        ratio = getattr(model.config, "inputs_to_logits_ratio", 320)
        self.frame_s = ratio / SAMPLE_RATE

    def log_posteriors(self, audio: np.ndarray) -> np.ndarray:
        """(frames, outputs) float32 log-posteriors of 1-D float32 16 kHz audio (padded to
        ``MIN_AUDIO_SAMPLES``). Called from one thread at a time."""
        torch = self._torch
        samples = np.asarray(audio, dtype=np.float32)
        if samples.size < MIN_AUDIO_SAMPLES:
            samples = np.pad(samples, (0, MIN_AUDIO_SAMPLES - samples.size))
        features = self.processor.feature_extractor(samples, sampling_rate=SAMPLE_RATE, return_tensors="pt")
        values = features.input_values.to(self.plan.device, self._dtype)
        with torch.inference_mode():
            logits = self.model(values).logits[0]
            return torch.log_softmax(logits.float(), dim=-1).cpu().numpy()

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
