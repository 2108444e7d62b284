"""A checkpoint's files: checking them, reading its config, processor and torch weights, and
the digest that keys what is derived from it (converted models, measurements).

Every problem is a ``ModelLoadError`` with one line saying what is wrong and what to do.
torch and transformers are imported where used.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from livekr.messages import LocalizedError, Message, os_error

log = logging.getLogger(__name__)


class ModelLoadError(LocalizedError):
    """A checkpoint cannot be loaded; the message (from ``livekr.catalogue``) says why and what
    to do."""


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
        raise ModelLoadError("checkpoint.unreadable", path=path, reason=os_error(e)) from e
    except ValueError as e:  # also UnicodeDecodeError
        raise ModelLoadError("checkpoint.bad_json", path=path, detail=first_line(e)) from e
    if not isinstance(data, dict):
        raise ModelLoadError("checkpoint.no_json_object", path=path)
    return data


def check_local_checkpoint(folder: Path) -> None:
    """Raise ``ModelLoadError`` unless ``folder`` looks like a Hugging Face CTC checkpoint:
    config.json and a non-empty vocab.json present, every JSON file of it readable."""
    if not folder.exists():
        raise ModelLoadError("checkpoint.no_folder", folder=folder)
    if not folder.is_dir():
        raise ModelLoadError("checkpoint.is_file", folder=folder)
    if not (folder / "config.json").is_file():
        raise ModelLoadError("checkpoint.no_config", folder=folder)
    if not (folder / "vocab.json").is_file():
        raise ModelLoadError("checkpoint.no_vocab", folder=folder)
    for name in CHECKPOINT_JSON_FILES:
        if (folder / name).exists():
            _read_json_object(folder / name)
    vocab = _read_json_object(folder / "vocab.json")
    if not vocab or not all(isinstance(i, int) for i in vocab.values()):
        problem = "checkpoint.vocab_empty" if not vocab else "checkpoint.vocab_not_map"
        raise ModelLoadError(problem, path=folder / "vocab.json")


def looks_like_path(ref: str) -> bool:
    return ref.startswith((".", "/", "~")) or "\\" in ref or Path(ref).exists() or ref.count("/") > 1



def load_config(ref: str, offline: bool, local: bool) -> Any:
    """The checkpoint's config, which must describe a ``*ForCTC`` model."""
    import transformers

    try:
        config = transformers.AutoConfig.from_pretrained(ref, local_files_only=offline)
    except OSError as e:
        if local:
            raise ModelLoadError("checkpoint.config_unreadable", ref=ref, detail=first_line(e)) from e
        raise ModelLoadError(_hub_error(ref, e)) from e
    except ValueError as e:
        raise ModelLoadError("checkpoint.config_unknown", ref=ref, detail=first_line(e)) from e
    architectures = list(getattr(config, "architectures", None) or [])
    if not any(a.endswith("ForCTC") for a in architectures):
        raise ModelLoadError("checkpoint.not_ctc", ref=ref, architectures=", ".join(architectures) or "none")
    return config


def load_processor(ref: str, offline: bool) -> Any:
    """The checkpoint's processor, which must have a tokenizer."""
    import transformers

    try:
        processor = transformers.AutoProcessor.from_pretrained(ref, local_files_only=offline)
    except (OSError, ValueError) as e:
        raise ModelLoadError("checkpoint.no_processor", ref=ref, detail=first_line(e)) from e
    if getattr(processor, "tokenizer", None) is None:
        raise ModelLoadError("checkpoint.no_tokenizer", ref=ref)
    return processor


def load_weights(ref: str, offline: bool, dtype: Any) -> Any:
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
        raise ModelLoadError("checkpoint.damaged_weights", ref=ref, detail=first_line(e)) from e
    except OSError as e:
        raise ModelLoadError("checkpoint.no_safetensors", ref=ref, detail=first_line(e)) from e
    except (RuntimeError, ValueError) as e:
        raise ModelLoadError("checkpoint.weights_failed", ref=ref, detail=first_line(e)) from e
    problem = _weights_problem(info)
    if problem is not None:
        raise ModelLoadError("checkpoint.config_mismatch", ref=ref, problem=problem)
    return model


def _weights_problem(info: dict[str, Any]) -> Message | None:
    """What transformers' loading info says is wrong with the weights, in a few words, or None."""
    mismatched = sorted(info.get("mismatched_keys") or ())
    if mismatched:
        key, in_file, in_model = mismatched[0]
        return Message("weights.shape", count=len(mismatched), key=key, in_file=_shape(in_file),
                       in_model=_shape(in_model))
    missing = sorted(k for k in info.get("missing_keys") or () if not k.endswith(TRAINING_ONLY_WEIGHTS))
    if missing:
        return Message("weights.missing", count=len(missing), key=missing[0])
    unexpected = sorted(info.get("unexpected_keys") or ())
    if unexpected:
        return Message("weights.unexpected", count=len(unexpected), key=unexpected[0])
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


def first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def hub_unreachable() -> Message | None:
    """Why the Hugging Face hub cannot be reached right now, or None if it may be.

    A quick name lookup, so an offline machine fails at once instead of after the hub
    client's retries. ``$HF_HUB_OFFLINE`` and ``$HF_ENDPOINT`` are read now.
    """
    from livekr.hub_api import hub_endpoint, hub_offline

    if hub_offline():
        return Message("hub.offline")
    endpoint = hub_endpoint()
    host = urlparse(endpoint).hostname or endpoint
    try:
        socket.getaddrinfo(host, 443)
    except OSError as e:
        return Message("hub.unresolved", host=host, reason=e.strerror or str(e))
    return None


def _hub_error(ref: str, e: BaseException) -> Message:
    reason = hub_unreachable()
    if reason is not None:
        return Message("checkpoint.hub_unreachable", ref=ref, reason=reason)
    return Message("checkpoint.hub_failed", ref=ref, detail=first_line(e))


WEIGHTS_FILE = "model.safetensors"
WEIGHTS_INDEX_FILE = "model.safetensors.index.json"
DIGEST_CHUNK_BYTES = 1 << 22


def _checkpoint_file(ref: str, name: str, offline: bool) -> Path | None:
    """The local path of file ``name`` of a checkpoint folder or cached hub model, or None."""
    if looks_like_path(ref):
        path = Path(ref).expanduser() / name
        return path if path.is_file() else None
    from transformers.utils import cached_file

    try:
        found = cached_file(ref, name, local_files_only=offline, _raise_exceptions_for_missing_entries=False)
    except OSError:
        return None
    return Path(found) if found else None


def model_files(ref: str, offline: bool = False) -> list[Path]:
    """config.json and the safetensors weights (every shard of a sharded checkpoint) of ``ref``:
    the files that determine the model's computation; empty when they cannot be found."""
    config = _checkpoint_file(ref, "config.json", offline)
    single = _checkpoint_file(ref, WEIGHTS_FILE, offline)
    if config is None:
        return []
    if single is not None:
        return [config, single]
    index = _checkpoint_file(ref, WEIGHTS_INDEX_FILE, offline)
    if index is None:
        return []
    try:
        shards = sorted(set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values()))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return []
    paths = [_checkpoint_file(ref, str(s), offline) for s in shards]
    return [config, index, *paths] if all(p is not None for p in paths) else []  # type: ignore[list-item]


PROCESSOR_FILES = ("preprocessor_config.json", "processor_config.json", "tokenizer_config.json", "vocab.json",
                   "special_tokens_map.json", "added_tokens.json")
"""The files a checkpoint's processor (feature extractor and tokenizer) is read from."""


def processor_files(ref: str, offline: bool = False) -> list[Path]:
    """Those of ``PROCESSOR_FILES`` that ``ref`` has, locally."""
    found = (_checkpoint_file(ref, name, offline) for name in PROCESSOR_FILES)
    return [path for path in found if path is not None]


def model_digest(files: list[Path]) -> str:
    """SHA-256 (hex) of the names and contents of ``files``, in order: identifies the model that
    a converted copy or a measurement was made from. Raises ``ModelLoadError`` if one is unreadable."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode("utf-8") + b"\0")
        try:
            with path.open("rb") as f:
                while chunk := f.read(DIGEST_CHUNK_BYTES):
                    digest.update(chunk)
        except OSError as e:
            raise ModelLoadError("checkpoint.unreadable", path=path, reason=os_error(e)) from e
    return digest.hexdigest()
