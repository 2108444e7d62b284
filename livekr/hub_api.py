"""Talking to the Hugging Face hub with the standard library: HTTP with a connect and a read
timeout, errors as one ``Message`` saying what to do (the catalogue's "hub.*" keys), and which
files of a repo a CTC checkpoint needs (``plan_download``).

Only the hub's public HTTP API is used: ``/api/models/{repo}/revision/{rev}?blobs=true`` lists
a revision's files with their sizes and LFS SHA-256, ``/api/models/{repo}/discussions`` finds
the safetensors conversion that Hugging Face's bot proposes as a pull request, and
``/{repo}/resolve/{sha}/{file}`` serves a file (redirecting large ones to a CDN). No token is
sent: private and gated models are not downloaded here. Any thread may call anything here.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import quote, urlparse

from livekr.checkpoint import ModelLoadError, first_line
from livekr.messages import Message

DEFAULT_ENDPOINT = "https://huggingface.co"
ENDPOINT_ENV = "HF_ENDPOINT"
"""Overrides the hub's address (a mirror), as for Hugging Face's own libraries."""
OFFLINE_ENVS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
TRUE_VALUES = ("1", "ON", "YES", "TRUE")
CONVERSION_BOT = "SFconvertbot"
"""The hub account that opens pull requests adding safetensors weights to a repo."""
USER_AGENT = "livekr"

CHECKPOINT_FILES = (
    *("config.json", "preprocessor_config.json", "vocab.json", "tokenizer_config.json"),
    *("special_tokens_map.json", "added_tokens.json", "processor_config.json", "livekr.json"),
)
"""The small files of a checkpoint, taken from the repo where present (config.json must be)."""
WEIGHTS_FILE = "model.safetensors"
WEIGHTS_INDEX_FILE = "model.safetensors.index.json"
SHARD_NAME = re.compile(r"model-\d+-of-\d+\.safetensors")
"""The shards that a sharded safetensors checkpoint's index names."""
REPO_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class DownloadError(ModelLoadError):
    """A model could not be downloaded from the hub; the message says why and what to do."""


class DownloadCancelled(DownloadError):
    """The download was cancelled; what arrived so far is kept, and the next one resumes."""


@dataclass(frozen=True)
class DownloadOptions:
    """How downloads from the hub behave."""

    connect_timeout_s: float = 10.0
    """Longest wait to open a connection (TCP, TLS, a proxy's tunnel)."""
    read_timeout_s: float = 10.0
    """Longest wait for any byte once connected: a server that accepts and never answers, or
    stalls mid-file, fails after this. Also the longest delay before a cancel is noticed."""
    chunk_bytes: int = 1 << 20
    """Most bytes read from the connection at once; cancel is checked after each read."""
    progress_every_s: float = 0.2
    """Least time between two progress reports (the last one always comes)."""


@dataclass(frozen=True)
class RepoFile:
    """One file of a repo revision, as the hub lists it."""

    name: str
    size: int | None
    """Bytes; None when the hub does not say."""
    sha256: str | None
    """Hex SHA-256 of the content, for files stored with LFS (the weights); else None."""
    revision: str
    """The commit (sha) the file is downloaded from."""


@dataclass(frozen=True)
class DownloadPlan:
    """What to download of a repo: the checkpoint's files, weights in safetensors only."""

    ref: str
    sha: str
    """The commit of ``main`` the small files come from."""
    weights_revision: str
    """Where the weights come from: "main", or the conversion's pull request ("refs/pr/N")."""
    weights_sha: str
    files: tuple[RepoFile, ...]

    @property
    def total_bytes(self) -> int:
        return sum(f.size or 0 for f in self.files)

    @property
    def key(self) -> str:
        """Identifies the content: the same key means the same files."""
        return f"{self.sha}:{self.weights_sha}"


def hub_endpoint(endpoint: str | None = None) -> str:
    """``endpoint``, else ``$HF_ENDPOINT``, else the public hub; without a trailing slash."""
    return (endpoint or os.environ.get(ENDPOINT_ENV) or DEFAULT_ENDPOINT).rstrip("/")


def hub_offline() -> bool:
    """Whether ``$HF_HUB_OFFLINE`` (or ``$TRANSFORMERS_OFFLINE``) asks not to use the network,
    read now (Hugging Face's libraries read it once, at import)."""
    value = next((os.environ[name] for name in OFFLINE_ENVS if os.environ.get(name)), "")
    return value.strip().upper() in TRUE_VALUES


def check_repo_id(ref: str) -> None:
    """``DownloadError`` unless ``ref`` is a hub model id, "owner/name"."""
    parts = ref.split("/")
    if len(parts) != 2 or not all(REPO_PART.fullmatch(p) and ".." not in p and "--" not in p for p in parts):
        raise DownloadError("hub.not_an_id", ref=ref)


class _ReadTimeout:
    """Mixed into an HTTP(S) connection: connects within the ``timeout`` given (for HTTPS the
    TLS handshake counts as connecting), then waits at most ``read_timeout_s`` for data."""

    sock: Any

    def __init__(self, host: str, *, read_timeout_s: float, **kwargs: Any) -> None:
        super().__init__(host, **kwargs)  # type: ignore[call-arg]
        self.read_timeout_s = read_timeout_s

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self.sock.settimeout(self.read_timeout_s)


class _HTTPConnection(_ReadTimeout, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_ReadTimeout, http.client.HTTPSConnection):
    pass


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, read_timeout_s: float) -> None:
        super().__init__()
        self.read_timeout_s = read_timeout_s

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(partial(_HTTPConnection, read_timeout_s=self.read_timeout_s), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, read_timeout_s: float) -> None:
        super().__init__()
        self.read_timeout_s = read_timeout_s

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = partial(_HTTPSConnection, read_timeout_s=self.read_timeout_s)
        return self.do_open(connection, req, context=self._context)  # type: ignore[attr-defined]


RETRY_HINT = Message("hub.retry")
RESUME_HINT = Message("hub.resume")
"""What to do after a failure that may pass: try again (and, for a file, that it resumes)."""


class HubClient:
    """HTTP requests to one hub endpoint, with ``options``' timeouts; redirects are followed
    (and proxies taken from the environment, as urllib does)."""

    def __init__(self, endpoint: str, options: DownloadOptions) -> None:
        self.endpoint = endpoint
        self.host = urlparse(endpoint).hostname or endpoint
        self.options = options
        self._opener = urllib.request.build_opener(
            _HTTPHandler(options.read_timeout_s), _HTTPSHandler(options.read_timeout_s)
        )

    def open(self, url: str, ref: str, headers: dict[str, str] | None = None,
             resumable: bool = False) -> http.client.HTTPResponse | None:
        """The response to GET ``url`` (2xx), or None for 416 (the range asked for lies past the
        end). Anything else raises ``DownloadError`` naming ``ref``; ``resumable`` says that
        trying again resumes a download."""
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})
        hint = RESUME_HINT if resumable else RETRY_HINT
        try:
            response = self._opener.open(request, timeout=self.options.connect_timeout_s)
        except urllib.error.HTTPError as e:
            e.close()
            if e.code == 416:
                return None
            raise DownloadError(http_problem(ref, e.code, e.reason, hint)) from e
        except (OSError, http.client.HTTPException) as e:
            raise DownloadError(self.connection_problem(e, hint)) from e
        return response

    def connection_problem(self, e: BaseException, hint: Message) -> Message:
        """One line for a failure to reach the hub or to get its answer; ``hint`` says what to
        do once the connection works (``RETRY_HINT``, ``RESUME_HINT``)."""
        reason = e.reason if isinstance(e, urllib.error.URLError) else e
        check = Message("hub.check_connection", hint=hint)
        if isinstance(reason, TimeoutError):  # wrapped in URLError while connecting, bare after
            connecting = isinstance(e, urllib.error.URLError)
            seconds = self.options.connect_timeout_s if connecting else self.options.read_timeout_s
            return Message("hub.timeout", host=self.host, seconds=seconds, check=check)
        if isinstance(reason, socket.gaierror):
            return Message("hub.no_such_host", host=self.host, check=check)
        if isinstance(reason, ConnectionRefusedError):
            return Message("hub.refused", host=self.host, check=check)
        why = first_line(reason) if isinstance(reason, BaseException) else str(reason)
        return Message("hub.unreachable", host=self.host, detail=why, check=check)

    def get_json(self, path: str, ref: str) -> Any:
        """The JSON that GET ``{endpoint}{path}`` answers."""
        response = self.open(self.endpoint + path, ref)
        if response is None:
            raise DownloadError("hub.list_refused", ref=ref, hint=RETRY_HINT)
        try:
            with response:
                return json.loads(response.read())
        except TimeoutError as e:
            raise DownloadError(self.connection_problem(e, RETRY_HINT)) from e
        except (OSError, http.client.HTTPException) as e:
            raise DownloadError(self.connection_problem(e, RETRY_HINT)) from e
        except ValueError as e:
            raise DownloadError("hub.not_json", ref=ref, detail=first_line(e), endpoint=self.endpoint,
                                hint=RETRY_HINT) from e

    def file_url(self, ref: str, file: RepoFile) -> str:
        return f"{self.endpoint}/{ref}/resolve/{file.revision}/{quote(file.name)}"


def http_problem(ref: str, code: int, reason: str, hint: Message) -> Message:
    """One line for an HTTP error status ``code`` (``reason``: its phrase) of the hub about
    model ``ref``."""
    if code in (401, 403, 404):
        return Message("hub.not_found", ref=ref, code=code)
    if code >= 500:
        return Message("hub.server_error", ref=ref, code=code, phrase=reason)
    return Message("hub.http_error", ref=ref, code=code, phrase=reason, hint=hint)


def revision_files(client: HubClient, ref: str, revision: str) -> tuple[str, list[RepoFile]]:
    """(commit sha, files) of ``revision`` of model ``ref``."""
    data = client.get_json(f"/api/models/{ref}/revision/{quote(revision, safe='')}?blobs=true", ref)
    try:
        sha = str(data["sha"])
        files = [_repo_file(s, sha) for s in data["siblings"]]
    except (KeyError, TypeError, ValueError) as e:
        raise DownloadError("hub.bad_listing", ref=ref, detail=first_line(e), hint=RETRY_HINT) from e
    return sha, files


def _repo_file(sibling: dict[str, Any], sha: str) -> RepoFile:
    lfs = sibling.get("lfs") or {}
    size = sibling.get("size", lfs.get("size"))
    digest = lfs.get("sha256")
    return RepoFile(str(sibling["rfilename"]), int(size) if size is not None else None,
                    str(digest) if digest else None, sha)


def select_weights(files: list[RepoFile]) -> list[RepoFile]:
    """The safetensors weights among ``files``: model.safetensors, else the index and its
    shards; empty when there are none."""
    by_name = {f.name: f for f in files}
    if WEIGHTS_FILE in by_name:
        return [by_name[WEIGHTS_FILE]]
    if WEIGHTS_INDEX_FILE in by_name:
        shards = sorted((f for f in files if SHARD_NAME.fullmatch(f.name)), key=lambda f: f.name)
        return [by_name[WEIGHTS_INDEX_FILE], *shards] if shards else []
    return []


def conversion_pr(client: HubClient, ref: str) -> str | None:
    """The newest open pull request of Hugging Face's safetensors conversion bot on ``ref``, as
    a revision ("refs/pr/N"), or None."""
    data = client.get_json(f"/api/models/{ref}/discussions?author={CONVERSION_BOT}&type=pull_request", ref)
    found = [
        int(d["num"]) for d in (data.get("discussions") or [] if isinstance(data, dict) else [])
        if isinstance(d, dict) and d.get("isPullRequest") and d.get("status") == "open" and "num" in d
    ]
    return f"refs/pr/{max(found)}" if found else None


def plan_download(client: HubClient, ref: str) -> DownloadPlan:
    """The files of ``ref`` to download: the small files of ``main``, and its safetensors
    weights, or those of the bot's conversion pull request when ``main`` has pickles only."""
    sha, files = revision_files(client, ref, "main")
    small = [f for f in files if f.name in CHECKPOINT_FILES]
    if not any(f.name == "config.json" for f in small):
        raise DownloadError("hub.no_config", ref=ref)
    weights, weights_revision, weights_sha = select_weights(files), "main", sha
    if not weights:
        pr = conversion_pr(client, ref)
        if pr is not None:
            weights_sha, pr_files = revision_files(client, ref, pr)
            weights, weights_revision = select_weights(pr_files), pr
    if not weights:
        raise DownloadError("hub.no_safetensors", ref=ref)
    return DownloadPlan(ref, sha, weights_revision, weights_sha, tuple(small + weights))
