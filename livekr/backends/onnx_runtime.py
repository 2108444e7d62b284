"""ONNX Runtime backend: a checkpoint's ``*ForCTC`` model exported to ONNX once, cached, and
run with ONNX Runtime in fp32 or with MatMul-only int8 dynamic quantization.

The export uses torch's TorchScript-based exporter (``dynamo=False``): on torch 2.13 it exports
Wav2Vec2ForCTC and HubertForCTC in about a second for a tiny model, needs nothing beyond
torch, and gives the same logits as torch (max abs. difference ~1e-6 at other lengths than the
traced one). The torch.export-based exporter gives the same graph but needs onnxscript and took
15-18 s on the same tiny models; it is the fallback where the TorchScript one is gone.

Converted models live in ``<cache>/onnx/<digest>-v<EXPORT_FORMAT>/`` (``fp32.onnx``,
``int8.onnx``), keyed by the SHA-256 of config.json and the weights: a changed checkpoint gets a
new conversion, an unchanged one is never converted twice.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from livekr.messages import Message
from livekr.recognizer import PosteriorRecognizer

log = logging.getLogger(__name__)

EXPORT_FORMAT = 1
"""Bumped when the exported graph changes (inputs, outputs, opset): old conversions are then ignored."""
OPSET = 17
"""ONNX opset: 17 has LayerNormalization as one operator."""
DIGEST_CHARS = 32
TRACE_SAMPLES = 32_000
"""Length of the example input traced at export (2 s); the time axis stays dynamic."""
INPUT_NAME = "input_values"
OUTPUT_NAME = "logits"
QUANTIZED_OPS = ["MatMul"]
"""Only the MatMuls are quantized: quantizing the feature encoder's convolutions too made
xls-r-300m slower on the CPU, not faster."""


class BackendUnavailable(Exception):
    """This backend cannot run here (runtime missing, export or quantization failed); the
    message says why in one line."""


def import_onnxruntime() -> Any:
    """The ``onnxruntime`` module; ``BackendUnavailable`` naming what to install when missing."""
    try:
        import onnxruntime
    except ImportError as e:
        raise BackendUnavailable(
            f"ONNX Runtime is not installed ({e}); pip install onnx onnxruntime"
        ) from e
    return onnxruntime


def model_folder(cache: Path, digest: str) -> Path:
    """Where the conversions of the model with ``digest`` are kept."""
    return cache / "onnx" / f"{digest[:DIGEST_CHARS]}-v{EXPORT_FORMAT}"


class _FromOnnxRuntime(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "onnxruntime" not in Path(record.pathname).parts


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Hold back the exporters' warnings (deprecation notices, tracer remarks about shapes that
    the dynamic axis and the parity probe cover) and the quantizer's remarks, which it logs on
    the root logger (advice to pre-process, every tensor it leaves alone)."""
    root = logging.getLogger()
    quantizer_remarks = _FromOnnxRuntime()
    root.addFilter(quantizer_remarks)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.removeFilter(quantizer_remarks)


def conversion_file(folder: Path, dtype: str, reduce_range: bool = False) -> Path:
    """Where the conversion of ``dtype`` ("fp32" or "int8") lives in a checkpoint's ``folder``;
    ``reduce_range``: the int8 model with 7-bit weights (``quantize_int8``)."""
    if dtype == "fp32":
        return folder / "fp32.onnx"
    return folder / ("int8-7bit.onnx" if reduce_range else "int8.onnx")


def export_fp32(model: Any, folder: Path, progress: Callable[[str], None]) -> Path:
    """``folder/fp32.onnx`` exported from the torch fp32 ``model`` unless it exists already.

    Written into a fresh sibling folder and moved into place, so a crash or a second process
    never leaves a half-written model where it would be used.
    """
    target = conversion_file(folder, "fp32")
    if target.is_file():
        return target
    progress(Message("backend.converting"))
    partial = folder.with_name(f"{folder.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        partial.mkdir(parents=True)
        _export(model, partial / target.name)
        folder.mkdir(parents=True, exist_ok=True)
        # the model's own file last: where it exists, its external data (if any) is complete
        for path in sorted(partial.iterdir(), key=lambda p: p.name == target.name):
            os.replace(path, folder / path.name)
    except Exception as e:
        raise BackendUnavailable(f"the ONNX export failed ({_first_line(e)})") from e
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return target


def _export(model: Any, path: Path) -> None:
    """Export with the TorchScript-based exporter, or the torch.export-based one where the
    first is missing."""
    import torch

    example = torch.zeros(1, TRACE_SAMPLES)
    common: dict[str, Any] = dict(input_names=[INPUT_NAME], output_names=[OUTPUT_NAME])
    with _quiet(), torch.inference_mode(False), torch.no_grad():
        try:
            torch.onnx.export(model, (example,), str(path), opset_version=OPSET, dynamo=False,
                              dynamic_axes={INPUT_NAME: {0: "batch", 1: "samples"},
                                            OUTPUT_NAME: {0: "batch", 1: "frames"}}, **common)
        except (TypeError, RuntimeError, NotImplementedError) as e:
            log.info("TorchScript-based ONNX export failed (%s); trying the torch.export-based one", e)
            samples = torch.export.Dim("samples", min=400)
            torch.onnx.export(model, (example,), str(path), dynamo=True, verbose=False, report=False,
                              dynamic_shapes=({1: samples},), **common)


def quantize_int8(fp32: Path, progress: Callable[[str], None], reduce_range: bool) -> Path:
    """``int8.onnx`` beside ``fp32``: MatMul weights quantized to int8, activations quantized
    dynamically; made once. ``reduce_range`` (7-bit weights) avoids saturation on CPUs without
    VNNI / dot-product instructions."""
    target = conversion_file(fp32.parent, "int8", reduce_range)
    if target.is_file():
        return target
    progress(Message("backend.quantizing"))
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        with _quiet():
            quantize_dynamic(fp32, partial, op_types_to_quantize=QUANTIZED_OPS,
                             weight_type=QuantType.QInt8, reduce_range=reduce_range)
        os.replace(partial, target)
    except Exception as e:
        raise BackendUnavailable(f"int8 quantization failed ({_first_line(e)})") from e
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()
    return target


def open_session(ort: Any, path: Path, threads: int) -> Any:
    """An ONNX Runtime CPU session of the model at ``path``; ``threads`` 0: ORT's default."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Idle pool threads sleep instead of spinning: the audio, segmenter and window threads share
    # the cores between forward passes (measured: no slower, a fifth less CPU time, 2 threads).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as e:  # ORT raises its own exception types
        raise BackendUnavailable(f"ONNX Runtime cannot open {path} ({_first_line(e)})") from e


class OnnxRecognizer(PosteriorRecognizer):
    """A checkpoint run by ONNX Runtime; features from its saved feature extractor."""

    backend = "onnx"

    def __init__(self, session: Any, processor: Any, name: str, dtype_name: str, frame_s: float) -> None:
        outputs = session.get_outputs()[0].shape[-1]
        if not isinstance(outputs, int):
            raise BackendUnavailable("the ONNX model does not state its number of output classes")
        super().__init__(processor, name, f"CPU ONNX {dtype_name}", dtype_name, outputs, frame_s)
        self.session = session

    def log_posteriors(self, audio: np.ndarray) -> np.ndarray:
        logits = self.session.run([OUTPUT_NAME], {INPUT_NAME: self.features(audio)})[0][0]
        logits = logits.astype(np.float32, copy=False)
        shifted = logits - logits.max(axis=-1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]
