"""Whether a web address answers, and when it does not, why, in words: the name lookup
failed, the connection was refused, no answer came in time, the secure connection failed.

Stdlib only (urllib); ``livekr doctor`` asks the Hugging Face hub through it.
"""

from __future__ import annotations

import socket
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

USER_AGENT = "livekr-doctor"


def fetch_status(url: str, timeout_s: float) -> int:
    """The HTTP status of a GET of ``url`` (redirects followed; error statuses returned too);
    raises what urllib raises when there is no answer (URLError, TimeoutError, OSError)."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return int(response.status)
    except urllib.error.HTTPError as e:
        e.close()
        return int(e.code)


def call_within(deadline_s: float, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` on a daemon thread: its result, or its exception raised here, or
    TimeoutError when it has not returned after ``deadline_s`` (it is left to end on its own;
    a name lookup, for one, cannot be interrupted)."""
    outcome: list[tuple[bool, Any]] = []
    done = threading.Event()

    def run() -> None:
        try:
            outcome.append((True, fn(*args)))
        except BaseException as e:  # handed to the caller
            outcome.append((False, e))
        finally:
            done.set()

    threading.Thread(target=run, name="livekr-probe", daemon=True).start()
    if not done.wait(deadline_s):
        raise TimeoutError(f"no answer within {deadline_s:g} s")
    returned, value = outcome[0]
    if returned:
        return value
    raise value


def describe_network_error(error: BaseException, url: str, timeout_s: float) -> str:
    """What went wrong reaching ``url``, in words: name lookup, refused, timeout, TLS, other."""
    parsed = urlparse(url)
    host, port = parsed.hostname or url, parsed.port or (443 if parsed.scheme == "https" else 80)
    reason: object = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, socket.gaierror):
        return f"cannot look up {host} (DNS): {reason.strerror or reason}"
    if isinstance(reason, ConnectionRefusedError):
        return f"{host}:{port} refused the connection"
    if isinstance(reason, TimeoutError):
        return f"no answer from {host} within {timeout_s:g} s"
    if isinstance(reason, ssl.SSLError):
        return f"the secure connection to {host} failed: {reason}"
    if isinstance(reason, OSError):
        return f"cannot connect to {host}: {reason.strerror or reason}"
    return f"cannot reach {host}: {reason}"
