"""livekr's cache folder and the measurements remembered in it.

Each checkpoint measured on a CPU gets an entry: for each candidate backend/dtype, its parity
with torch fp32 and its forward time on the probe. Later loads choose from the entry without
measuring again. A damaged file is ignored (logged) and rewritten; nothing here raises.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import platformdirs

from livekr.fileio import write_atomic

log = logging.getLogger(__name__)

APP_NAME = "livekr"
CACHE_DIR_ENV = "LIVEKR_CACHE_DIR"
MEASUREMENTS_FILE = "backends.json"
STORE_FORMAT = 1


def cache_dir() -> Path:
    """livekr's cache folder: converted models, remembered measurements (``$LIVEKR_CACHE_DIR``
    overrides the user cache folder)."""
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return platformdirs.user_cache_path(APP_NAME)


@dataclass(frozen=True)
class Measurement:
    """How one candidate did on the probe."""

    agreement: float
    """Share of probe frames whose best token matches torch fp32's, 0..1."""
    forward_s: float
    """Fastest of the timed forward passes over the probe, in s."""
    error: str = ""
    """Why the candidate cannot run here (conversion failed, ...); empty when it ran."""


@dataclass(frozen=True)
class Entry:
    """What is remembered about one checkpoint on one CPU."""

    ref: str
    """The checkpoint as loaded (folder or hub id), for people and ``livekr models``."""
    cpu: str
    """``CpuInfo.describe()`` of the machine that measured."""
    measured: dict[str, Measurement]
    """Candidate name ("onnx int8") → its measurement."""
    chosen: str = ""
    """The candidate last chosen from these measurements."""
    threads: int = 0
    """The thread count measured with (0: the libraries' default)."""


class MeasurementStore:
    """The remembered measurements in one JSON file (``backends.json`` in the cache folder)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as e:
            log.warning("ignoring unreadable backend measurements %s: %s", self.path, e)
            return {}
        ok = isinstance(data, dict) and data.get("format") == STORE_FORMAT
        return data.get("entries", {}) if ok and isinstance(data.get("entries"), dict) else {}

    def get(self, key: str) -> Entry | None:
        """The entry remembered under ``key``, or None (also when it is damaged)."""
        raw = self._read().get(key)
        if not isinstance(raw, dict):
            return None
        try:
            measured = {
                str(k): Measurement(float(v["agreement"]), float(v["forward_s"]), str(v.get("error", "")))
                for k, v in raw["measured"].items()
            }
            return Entry(str(raw["ref"]), str(raw["cpu"]), measured, str(raw.get("chosen", "")),
                         int(raw.get("threads", 0)))
        except (TypeError, KeyError, ValueError, AttributeError):
            return None

    def entries(self) -> dict[str, Entry]:
        """Every readable entry by key."""
        out = {}
        for key in self._read():
            entry = self.get(key)
            if entry is not None:
                out[key] = entry
        return out

    def put(self, key: str, entry: Entry) -> None:
        """Remember ``entry`` under ``key`` (other entries kept); a write failure is logged."""
        entries = self._read()
        entries[key] = {**asdict(entry), "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
        text = json.dumps({"format": STORE_FORMAT, "entries": entries}, ensure_ascii=False, indent=1)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, text + "\n")
        except OSError as e:
            log.warning("cannot remember the backend measurements in %s: %s", self.path, e)


def remembered_lines(ref: str, cpu_line: str, store: MeasurementStore | None = None) -> list[str]:
    """What was measured for checkpoint ``ref`` on the CPU that ``cpu_line`` describes
    (``livekr.cpu.describe()``), one line per thread count, for ``livekr models`` and the model
    info; empty when nothing was. Cheap: reads one small JSON file, hashes nothing."""
    store = store or MeasurementStore(cache_dir() / MEASUREMENTS_FILE)
    lines = []
    for entry in store.entries().values():
        if entry.ref != ref or entry.cpu != cpu_line or not entry.chosen:
            continue
        parts = []
        for name, m in entry.measured.items():
            parity = "" if name == "torch fp32" else f", parity {m.agreement:.1%}"
            ran = f"{name} {m.forward_s:.2f} s{parity}"
            parts.append(f"{name}: cannot run ({m.error})" if m.error else ran)
        plural = "" if entry.threads == 1 else "s"
        threads = f"{entry.threads} thread{plural}" if entry.threads else "default threads"
        lines.append(f"backend ({threads}): {entry.chosen}; probe forward {'; '.join(parts)}")
    return lines
