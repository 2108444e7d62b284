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

log = logging.getLogger(__name__)


class ModelLoadError(Exception):
    """A checkpoint cannot be loaded; the message says why and what to do."""


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
            f"{path} is not valid JSON ({first_line(e)}); the file is damaged: restore it from "
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



def load_config(ref: str, offline: bool, local: bool) -> Any:
    """The checkpoint's config, which must describe a ``*ForCTC`` model."""
    import transformers

    try:
        config = transformers.AutoConfig.from_pretrained(ref, local_files_only=offline)
    except OSError as e:
        if local:
            raise ModelLoadError(f"{ref}: cannot read config.json ({first_line(e)})") from e
        raise ModelLoadError(_hub_error(ref, e)) from e
    except ValueError as e:
        raise ModelLoadError(f"{ref}: config.json is not a model livekr knows ({first_line(e)})") from e
    architectures = list(getattr(config, "architectures", None) or [])
    if not any(a.endswith("ForCTC") for a in architectures):
        raise ModelLoadError(
            f"{ref} is not a CTC speech-recognition checkpoint (architectures: "
            f"{', '.join(architectures) or 'none'}); fine-tune it first with livekr-train, "
            "or pick a *ForCTC checkpoint"
        )
    return config


def load_processor(ref: str, offline: bool) -> Any:
    """The checkpoint's processor, which must have a tokenizer."""
    import transformers

    try:
        processor = transformers.AutoProcessor.from_pretrained(ref, local_files_only=offline)
    except (OSError, ValueError) as e:
        raise ModelLoadError(f"{ref}: cannot load the processor ({first_line(e)})") from e
    if getattr(processor, "tokenizer", None) is None:
        raise ModelLoadError(f"{ref} has no tokenizer (vocab.json); it cannot turn output into text")
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
        raise ModelLoadError(
            f"{ref}: model.safetensors is damaged ({first_line(e)}): it is truncated, empty or "
            "not a safetensors file; copy or download the checkpoint again"
        ) from e
    except OSError as e:
        raise ModelLoadError(
            f"{ref}: no loadable model.safetensors ({first_line(e)}); livekr loads safetensors "
            "only: convert the weights (model.save_pretrained(folder) writes them)"
        ) from e
    except (RuntimeError, ValueError) as e:
        raise ModelLoadError(f"{ref}: cannot load the weights ({first_line(e)})") from e
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


def first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def hub_unreachable() -> str | None:
    """Why the Hugging Face hub cannot be reached right now, or None if it may be.

    A quick name lookup, so an offline machine fails at once instead of after the hub
    client's retries. ``$HF_HUB_OFFLINE`` and ``$HF_ENDPOINT`` are read now.
    """
    from livekr.hub_api import hub_endpoint, hub_offline

    if hub_offline():
        return "HF_HUB_OFFLINE is set"
    endpoint = hub_endpoint()
    host = urlparse(endpoint).hostname or endpoint
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
        f"cannot load {ref!r} from the Hugging Face hub ({first_line(e)}); check the id "
        "(owner/name), or pass a checkpoint folder"
    )


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
            raise ModelLoadError(f"cannot read {path}: {e.strerror or e}") from e
    return digest.hexdigest()
