"""Where checkpoints live and which ones the app offers: local folders, hub ids, recent use.

Qt-free and light (stdlib, platformdirs): the window, ``livekr models`` and tests share it.
Local checkpoints are the sub-folders of ``models_dir()`` that hold a ``config.json``; the
trainer writes its output there with a ``livekr.json`` card beside the weights.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from livekr.card import describe_card, read_card
from livekr.fileio import write_atomic

log = logging.getLogger(__name__)

APP_NAME = "livekr"
MODELS_DIR_ENV = "LIVEKR_MODELS_DIR"
CONFIG_DIR_ENV = "LIVEKR_CONFIG_DIR"
RECENT_FILE = "recent_models.json"
MAX_RECENT = 8


@dataclass(frozen=True)
class CheckpointInfo:
    """A model the app can load: a local checkpoint folder or a hub id."""

    ref: str
    """What ``load_recognizer`` takes: the folder path or the hub id."""
    name: str
    """Short name for menus (the folder name, or the hub id)."""
    path: Path | None
    """The local folder; None for a hub model."""
    card: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    """The ``livekr.json`` card (see ``livekr.card``), or the same facts about a published
    hub model; empty when unknown."""


HUB_MODELS: dict[str, dict[str, Any]] = {
    "kresnik/wav2vec2-large-xlsr-korean": {
        "base_model": "facebook/wav2vec2-large-xlsr-53", "architecture": "wav2vec2 large XLSR",
        "cer": 1.78, "eval_data": "Zeroth-Korean test", "size": "1.2 GB",
    },
    "Bingsu/distilhubert-ko-zeroth": {
        "base_model": "ntu-spml/distilhubert", "architecture": "distilhubert",
        "cer": 20.66, "eval_data": "Zeroth-Korean test", "size": "95 MB",
    },
}
"""Published Korean CTC checkpoints (hub id → what is known of them, like a card), offered
for download where the hub is reachable. Iterating gives the hub ids."""


def hub_models() -> list[CheckpointInfo]:
    """``HUB_MODELS`` as checkpoint infos (no local path)."""
    return [CheckpointInfo(ref, ref, None, dict(card)) for ref, card in HUB_MODELS.items()]


def models_dir() -> Path:
    """The folder that holds local checkpoints (``$LIVEKR_MODELS_DIR`` overrides it)."""
    override = os.environ.get(MODELS_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return platformdirs.user_data_path(APP_NAME) / "models"


def config_dir() -> Path:
    """livekr's user configuration folder (``$LIVEKR_CONFIG_DIR`` overrides it)."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return platformdirs.user_config_path(APP_NAME)


def checkpoint_info(folder: Path) -> CheckpointInfo:
    """Describe one local checkpoint folder (its card is read if present)."""
    return CheckpointInfo(str(folder), folder.name, folder, read_card(folder))


def list_checkpoints(root: Path | None = None) -> list[CheckpointInfo]:
    """Local checkpoints in ``root`` (default ``models_dir()``), sorted by name; empty if the
    folder is missing."""
    root = models_dir() if root is None else root
    try:
        folders = sorted(p for p in root.iterdir() if (p / "config.json").is_file())
    except OSError:
        return []
    return [checkpoint_info(p) for p in folders]


def find_info(ref: str) -> CheckpointInfo:
    """What is known about ``ref``: a hub model's facts, a folder's card, or just its name."""
    if ref in HUB_MODELS:
        return CheckpointInfo(ref, ref, None, dict(HUB_MODELS[ref]))
    path = Path(ref).expanduser()
    if path.is_dir():
        return checkpoint_info(path)
    return CheckpointInfo(ref, ref, None, {})


def card_lines(info: CheckpointInfo, lang: str = "en") -> list[str]:
    """The checkpoint's card as ``label: value`` lines for people, labels in ``lang`` (empty card → [])."""
    return describe_card(info.card, lang)


def _recent_path() -> Path:
    return config_dir() / RECENT_FILE


def recent_models() -> list[str]:
    """Recently loaded model refs, most recent first (at most ``MAX_RECENT``)."""
    path = _recent_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as e:
        log.warning("ignoring unreadable recent-models list %s: %s", path, e)
        return []
    if not isinstance(data, list):
        return []
    return [str(x) for x in data if isinstance(x, str) and x][:MAX_RECENT]


def remember_model(ref: str) -> list[str]:
    """Put ``ref`` first in the recent list (de-duplicated, at most ``MAX_RECENT``); returns it."""
    refs = [ref, *(r for r in recent_models() if r != ref)][:MAX_RECENT]
    path = _recent_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(refs, ensure_ascii=False, indent=1) + "\n")
    except OSError as e:
        log.warning("cannot save the recent-models list to %s: %s", path, e)
    return refs
