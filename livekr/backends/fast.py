"""Starting a checkpoint whose ONNX conversion was measured and chosen before, without torch
and without transformers' processor classes (importing those takes seconds; running the
ONNX model needs neither).

When a load chooses an ONNX model, ``record_processor`` writes beside the conversion what
inference needs of the checkpoint's processor: its token table and its feature extractor's
settings. A later load of the same weights (the same digest) on the same CPU, thread count and
library versions finds the remembered choice, the conversion and that record, and builds the
recognizer from them (``remembered_onnx``). Anything missing or different (another choice,
a feature extractor other than wav2vec2's, a machine where CUDA may be present) returns None
and the load goes the full way.
"""

from __future__ import annotations

import json
import logging
import os
import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from livekr.backends.store import MEASUREMENTS_FILE, MeasurementStore
from livekr.config import SAMPLE_RATE, RecognizerOptions
from livekr.ctc import TokenTable

log = logging.getLogger(__name__)

RECORD_FILE = "processor.json"
RECORD_FORMAT = 1
FEATURE_EXTRACTOR = "Wav2Vec2FeatureExtractor"
"""The one feature extractor reproduced here (wav2vec2, HuBERT and their fine-tunes use it)."""
NORM_EPSILON = 1e-7
"""As in transformers' ``zero_mean_unit_var_norm``."""


class RecordedProcessor:
    """What the ONNX recognizer needs of a processor, from ``RECORD_FILE``: ``tokens`` and a
    ``feature_extractor`` that computes what ``Wav2Vec2FeatureExtractor`` computes."""

    def __init__(self, tokens: TokenTable, do_normalize: bool, sampling_rate: int) -> None:
        self.tokens = tokens
        self.do_normalize = do_normalize
        self.sampling_rate = sampling_rate

    def feature_extractor(self, samples: np.ndarray, sampling_rate: int, return_tensors: str = "np") -> Any:
        if sampling_rate != self.sampling_rate:
            raise ValueError(f"the model takes {self.sampling_rate} Hz audio, got {sampling_rate} Hz")
        x = np.asarray(samples, dtype=np.float32)
        if self.do_normalize:
            x = (x - x.mean()) / np.sqrt(x.var() + NORM_EPSILON)
        return _Features(x[None, :].astype(np.float32, copy=False))


class _Features:
    def __init__(self, input_values: np.ndarray) -> None:
        self.input_values = input_values


def record_processor(folder: Path, processor: Any, tokens: TokenTable, sources: list[Path]) -> None:
    """Write ``RECORD_FILE`` into the conversion's ``folder`` (nothing for a feature extractor
    this module does not reproduce), with the digest of the files the processor was read from
    (``sources``). Failing to write only costs the fast start."""
    from livekr.checkpoint import model_digest

    extractor: Any = getattr(processor, "feature_extractor", None)
    if type(extractor).__name__ != FEATURE_EXTRACTOR or not sources:
        return
    record = {
        "format": RECORD_FORMAT,
        "sources_digest": model_digest(sources),
        "feature_extractor": {"class": FEATURE_EXTRACTOR, "do_normalize": bool(extractor.do_normalize),
                              "sampling_rate": int(extractor.sampling_rate)},
        "tokens": {"id_to_token": list(tokens.id_to_token), "blank_id": tokens.blank_id,
                   "skip_ids": sorted(tokens.skip_ids), "word_delimiter": tokens.word_delimiter},
    }
    path = folder / RECORD_FILE
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{RECORD_FILE}.partial-{os.getpid()}")
        partial.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, path)
    except OSError as e:
        log.info("cannot write %s (%s); later starts load the full way", path, e)


def read_record(folder: Path, sources: list[Path]) -> RecordedProcessor | None:
    """The processor recorded in ``folder``, or None when there is none, it is not usable, or
    the processor's files (``sources``) changed since it was written."""
    from livekr.checkpoint import ModelLoadError, model_digest

    try:
        data = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
        if data.get("format") != RECORD_FORMAT or data["feature_extractor"]["class"] != FEATURE_EXTRACTOR:
            return None
        if not sources or data["sources_digest"] != model_digest(sources):
            return None
        t = data["tokens"]
        tokens = TokenTable(tuple(str(s) for s in t["id_to_token"]), int(t["blank_id"]),
                            frozenset(int(i) for i in t["skip_ids"]), str(t["word_delimiter"]))
        fe = data["feature_extractor"]
        return RecordedProcessor(tokens, bool(fe["do_normalize"]), int(fe["sampling_rate"]))
    except (OSError, ValueError, KeyError, TypeError, ModelLoadError):
        return None


def cuda_possible() -> bool:
    """Whether this machine may have an NVIDIA GPU (then only torch can tell, and the full load
    runs): its driver is installed."""
    system = platform.system()
    if system == "Linux":
        return Path("/proc/driver/nvidia/version").exists() or Path("/dev/nvidia0").exists()
    if system == "Windows":
        root = Path(os.environ.get("SYSTEMROOT", r"C:\Windows"))
        return (root / "System32" / "nvcuda.dll").exists()
    return False


def remembered_onnx(ref: str, files: list[Path], sources: list[Path], options: RecognizerOptions,
                    cache: Path, key_of: Callable[[str], str], onnx_file: Callable[[Path, str], Path],
                    ort: Any) -> Any:
    """The ONNX recognizer remembered for the weights in ``files`` and the processor read from
    ``sources``, built without torch, or None.

    ``key_of(digest)`` is the measurement store's key for these weights on this machine;
    ``onnx_file(folder, dtype)`` names a conversion; ``ort`` is the onnxruntime module."""
    from livekr.backends.onnx_runtime import BackendUnavailable, OnnxRecognizer, model_folder, open_session
    from livekr.checkpoint import model_digest

    if options.backend == "torch" or options.dtype in ("fp16", "bf16"):
        return None
    if options.device not in ("auto", "cpu") or (options.device == "auto" and cuda_possible()):
        return None
    digest = model_digest(files)
    entry = MeasurementStore(cache / MEASUREMENTS_FILE).get(key_of(digest))
    if entry is None or not entry.chosen.startswith("onnx "):
        return None
    dtype = entry.chosen.split(" ", 1)[1]
    measurement = entry.measured.get(entry.chosen)
    if options.dtype not in ("auto", dtype) or measurement is None or measurement.error:
        return None
    if measurement.agreement < options.min_agreement:
        return None
    folder = model_folder(cache, digest)
    processor = read_record(folder, sources)
    path = onnx_file(folder, dtype)
    if processor is None or not path.is_file():
        return None
    try:
        session = open_session(ort, path, options.threads)
        recognizer = OnnxRecognizer(session, processor, ref, dtype, frame_s_of(files[0]))
    except (BackendUnavailable, OSError, ValueError) as e:
        log.info("%s: the remembered ONNX model cannot start quickly (%s); loading the full way", ref, e)
        return None
    recognizer.set_agreement(measurement.agreement)
    log.info("%s: running with %s (remembered for this CPU)", ref, entry.chosen)
    return recognizer


def frame_s_of(config_path: Path) -> float:
    """Seconds of audio per output frame, from config.json's convolution strides."""
    config = json.loads(config_path.read_text(encoding="utf-8"))
    ratio = 1
    for stride in config.get("conv_stride") or [5, 2, 2, 2, 2, 2, 2]:
        ratio *= int(stride)
    return ratio / SAMPLE_RATE
