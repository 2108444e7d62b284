"""Downloading a CTC checkpoint from the Hugging Face hub into a plain checkpoint folder, with
progress, cancel, timeouts and resume; standard library only. ``livekr.hub_api`` talks to the
hub; ``livekr.hub_transfer`` moves each file and counts the progress.

A hub model "owner/name" goes to ``models_dir()/hub/owner--name`` (``hub_folder``), which then
loads like any checkpoint folder. Each file arrives as ``.download/<name>.part``: a later
download continues a part with a Range request, hashing what is there first, and a file moves
into place (``os.replace``) only once its size and, for LFS files, its SHA-256 match the hub's.
The folder is complete when ``MARKER_FILE``, written last, lists the files
(``downloaded_folder``). One download of a model runs at a time: a second, in this process or
another, is refused while the first holds ``LOCK_FILE``.

A cancel is noticed between reads of at most ``DownloadOptions.chunk_bytes``, so normally at
once; while the hub sends nothing, a blocked read notices it only when it times out, so the
worst-case delay is ``DownloadOptions.read_timeout_s`` (``connect_timeout_s`` while connecting).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import logging
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livekr.checkpoint import first_line
from livekr.fileio import write_atomic
from livekr.hub_api import (
    CHECKPOINT_FILES,
    SHARD_NAME,
    WEIGHTS_FILE,
    WEIGHTS_INDEX_FILE,
    DownloadCancelled,
    DownloadError,
    DownloadOptions,
    DownloadPlan,
    HubClient,
    check_repo_id,
    hub_endpoint,
    plan_download,
)
from livekr.hub_transfer import (
    STAGING_FOLDER,
    DownloadProgress,
    ProgressCallback,
    ProgressLines,
    Transfer,
    check_cancel,
    describe,
)
from livekr.journal_lock import O_BINARY, try_lock
from livekr.messages import os_error
from livekr.models import models_dir

__all__ = [
    "DownloadCancelled", "DownloadError", "DownloadOptions", "DownloadProgress", "DownloadedModel",
    "ProgressLines", "describe", "downloaded_folder", "downloaded_models", "fetch_model", "hub_folder",
]

log = logging.getLogger(__name__)

HUB_FOLDER = "hub"
"""Sub-folder of ``models_dir()`` that holds downloaded hub models."""
MARKER_FILE = ".livekr-download.json"
MARKER_FORMAT = 1
LOCK_FILE = ".livekr-download.lock"
STATE_FILE = "revision.json"
"""In the staging folder: which content (``DownloadPlan.key``) the parts and files belong to."""


def hub_folder(ref: str, dest_root: Path | None = None) -> Path:
    """Where hub model ``ref`` ("owner/name") is downloaded: ``dest_root/owner--name``, by
    default under ``models_dir()/hub``."""
    return (dest_root or models_dir() / HUB_FOLDER) / ref.replace("/", "--")


@dataclass(frozen=True)
class DownloadedModel:
    """A completely downloaded hub model."""

    ref: str
    folder: Path
    size_bytes: int
    sha: str
    """The hub commit it was downloaded from."""


def _read_marker(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("files"), list) else None


def _complete(folder: Path, marker: dict[str, Any]) -> bool:
    """Whether every file ``marker`` lists is in ``folder`` with its size."""
    try:
        for entry in marker["files"]:
            size = (folder / str(entry["name"])).stat().st_size
            if entry.get("size") is not None and size != int(entry["size"]):
                return False
    except (OSError, KeyError, TypeError, ValueError):
        return False
    return True


def downloaded_folder(ref: str, dest_root: Path | None = None) -> Path | None:
    """The folder of hub model ``ref`` when its download is complete, else None. No network."""
    try:
        check_repo_id(ref)
    except DownloadError:
        return None
    folder = hub_folder(ref, dest_root)
    marker = _read_marker(folder)
    if marker is None or marker.get("ref") != ref or not _complete(folder, marker):
        return None
    return folder


def downloaded_models(dest_root: Path | None = None) -> list[DownloadedModel]:
    """The completely downloaded hub models, sorted by id."""
    root = dest_root or models_dir() / HUB_FOLDER
    try:
        folders = sorted(p for p in root.iterdir() if p.is_dir())
    except OSError:
        return []
    found = []
    for folder in folders:
        marker = _read_marker(folder)
        ref = str(marker.get("ref", "")) if marker else ""
        if marker and downloaded_folder(ref, root) == folder:
            size = sum(int(f.get("size") or 0) for f in marker["files"])
            found.append(DownloadedModel(ref, folder, size, str(marker.get("sha", ""))))
    return sorted(found, key=lambda m: m.ref)


def fetch_model(
    ref: str,
    *,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    dest_root: Path | None = None,
    endpoint: str | None = None,
    options: DownloadOptions | None = None,
) -> Path:
    """Download hub model ``ref`` ("owner/name") and return its checkpoint folder.

    Takes config.json, the processor's files and livekr.json where the repo has them, and the
    weights as safetensors (model.safetensors, or the index and its shards; from the hub bot's
    conversion pull request when ``main`` has only pickles). A folder already complete is
    returned without using the network (it is not updated; remove it to download again).
    ``endpoint`` defaults to ``$HF_ENDPOINT``, else the public hub. ``progress`` is called in
    this thread; setting ``cancel`` (from any thread) stops the download with
    ``DownloadCancelled``, keeping what arrived. Raises ``DownloadError`` with one line saying
    what happened and what to do. Call it off any GUI thread: it blocks.
    """
    check_repo_id(ref)
    found = downloaded_folder(ref, dest_root)
    if found is not None:
        return found
    options = options or DownloadOptions()
    folder = hub_folder(ref, dest_root)
    try:
        (folder / STAGING_FOLDER).mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DownloadError("download.create_failed", folder=folder, ref=ref, reason=os_error(e)) from e
    with _download_lock(folder, ref):
        found = downloaded_folder(ref, dest_root)  # another download finished in between
        if found is not None:
            return found
        check_cancel(ref, cancel, None)
        client = HubClient(hub_endpoint(endpoint), options)
        plan = plan_download(client, ref)
        try:
            _prepare(folder, plan)
            Transfer(client, plan, folder, cancel, progress).run()
            _check_shards(folder, plan)
            _write_marker(folder, plan, client.endpoint)
        except OSError as e:  # the folder's own files (the network's errors are DownloadError)
            raise DownloadError("download.save_failed", ref=ref, folder=folder,
                                reason=os_error(e, first_line(e))) from e
        shutil.rmtree(folder / STAGING_FOLDER, ignore_errors=True)
    log.info("downloaded %s (%s) into %s", ref, plan.sha, folder)
    return folder


@contextlib.contextmanager
def _download_lock(folder: Path, ref: str) -> Iterator[None]:
    """Hold ``LOCK_FILE`` of ``folder``; ``DownloadError`` if another download holds it."""
    path = folder / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | O_BINARY, 0o644)
    except OSError as e:
        raise DownloadError("download.lock_failed", path=path, reason=os_error(e)) from e
    try:
        if not try_lock(fd):
            raise DownloadError("download.busy", ref=ref)
        yield
    finally:
        os.close(fd)


def _checkpoint_file(name: str) -> bool:
    """Whether ``name`` is a file that ``plan_download`` may place in a folder."""
    weights = name in (WEIGHTS_FILE, WEIGHTS_INDEX_FILE) or SHARD_NAME.fullmatch(name) is not None
    return name in CHECKPOINT_FILES or weights


def _prepare(folder: Path, plan: DownloadPlan) -> None:
    """Make ``folder`` ready to download ``plan`` into: files and parts left by a download of
    other content (another commit) are removed, and the staging state records ``plan.key``."""
    staging = folder / STAGING_FOLDER
    state = staging / STATE_FILE
    marker = _read_marker(folder) or {}
    (folder / MARKER_FILE).unlink(missing_ok=True)
    try:
        recorded = json.loads(state.read_text(encoding="utf-8")).get("key")
    except (OSError, ValueError, AttributeError):
        recorded = None
    if plan.key in (recorded, marker.get("key")):
        if recorded != plan.key:
            write_atomic(state, json.dumps({"key": plan.key}) + "\n")
        return
    if recorded is not None or marker:
        log.info("%s changed on the hub since the last download; starting over", plan.ref)
    shutil.rmtree(staging, ignore_errors=True)
    for path in folder.iterdir():
        if path.is_file() and _checkpoint_file(path.name):
            path.unlink()
    staging.mkdir(exist_ok=True)
    write_atomic(state, json.dumps({"key": plan.key}) + "\n")


def _check_shards(folder: Path, plan: DownloadPlan) -> None:
    """``DownloadError`` if a sharded checkpoint's index names a shard that was not downloaded."""
    names = {f.name for f in plan.files}
    if WEIGHTS_INDEX_FILE not in names:
        return
    try:
        weight_map = json.loads((folder / WEIGHTS_INDEX_FILE).read_text(encoding="utf-8"))["weight_map"]
        missing = sorted(set(map(str, weight_map.values())) - names)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise DownloadError("download.bad_index", ref=plan.ref, detail=first_line(e)) from e
    if missing:
        raise DownloadError("download.missing_shard", ref=plan.ref, shard=missing[0])


def _write_marker(folder: Path, plan: DownloadPlan, endpoint: str) -> None:
    marker = {
        "format": MARKER_FORMAT, "ref": plan.ref, "key": plan.key, "sha": plan.sha,
        "weights_revision": plan.weights_revision, "weights_sha": plan.weights_sha, "endpoint": endpoint,
        "files": [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in plan.files],
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    write_atomic(folder / MARKER_FILE, json.dumps(marker, indent=1) + "\n")


