"""What this CPU can do for inference: its model name, the instruction-set flags that matter,
and whether it computes bf16 natively.

bf16 is about 2× faster than fp32 where the CPU has bf16 instructions (AMX, AVX512-BF16, Arm
BF16) and about 25× slower where it has not (AVX2 only: every bf16 operation is emulated), so
a dtype is chosen from these facts, never assumed. Stdlib only; torch is asked for its
dispatch level only where the operating system tells nothing (``torch_capability``).
"""

from __future__ import annotations

import functools
import os
import platform
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CPUINFO_PATH = Path("/proc/cpuinfo")
SYSCTL_TIMEOUT_S = 5.0

NATIVE_BF16_FLAGS = frozenset({"amx_bf16", "avx512_bf16", "bf16"})
"""x86 flags (Linux names) of AMX and AVX512-BF16, and Arm's ``bf16`` feature."""
INT8_DOT_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8", "asimddp", "i8mm"})
"""Instructions that multiply int8 without saturating 16-bit intermediates (VNNI, Arm dot
product): int8 quantized models are accurate and fast with them."""
RELEVANT_FLAGS = (
    "avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8",
    "asimd", "asimddp", "i8mm", "bf16", "sve",
)
"""Flags shown by ``describe`` and part of ``CpuInfo.key``, in this order."""

_MAC_FLAG_NAMES = {
    "hw.optional.avx2_0": "avx2", "hw.optional.avx512f": "avx512f", "hw.optional.avx512vnni": "avx512_vnni",
    "hw.optional.arm.FEAT_BF16": "bf16", "hw.optional.arm.FEAT_DotProd": "asimddp",
    "hw.optional.arm.FEAT_I8MM": "i8mm", "hw.optional.AdvSIMD": "asimd",
}
"""macOS ``sysctl hw.optional`` names of the relevant flags."""


@dataclass(frozen=True)
class CpuInfo:
    """The facts about a CPU that decide how a model should run on it."""

    model: str
    """Marketing name, e.g. "Intel(R) Xeon(R) Platinum 8480+"; "unknown CPU" when not told."""
    flags: frozenset[str]
    """Instruction-set flags in Linux's /proc/cpuinfo spelling (lower case)."""
    cores: int
    """Logical CPUs the operating system reports."""
    capability: str = ""
    """torch's CPU dispatch level ("AVX2", "AVX512", ...) where the OS gave no flags; else empty."""

    @property
    def native_bf16(self) -> bool:
        """True when the CPU has bf16 instructions (AMX, AVX512-BF16 or Arm BF16)."""
        return bool(self.flags & NATIVE_BF16_FLAGS)

    @property
    def int8_dot(self) -> bool:
        """True when the CPU multiplies int8 without 16-bit saturation (VNNI or Arm dot product)."""
        return bool(self.flags & INT8_DOT_FLAGS)

    @property
    def relevant_flags(self) -> tuple[str, ...]:
        return tuple(f for f in RELEVANT_FLAGS if f in self.flags)

    @property
    def key(self) -> str:
        """Identifies the CPU for remembered measurements: model and relevant flags."""
        return " ".join((self.model, *self.relevant_flags, self.capability)).strip()

    def describe(self) -> str:
        """One line for benchmarks and status: model, relevant flags, bf16 and core count."""
        flags = " ".join(self.relevant_flags) or self.capability or "no vector flags reported"
        bf16 = "native bf16" if self.native_bf16 else "no native bf16"
        return f"{self.model} ({flags}; {bf16}; {self.cores} CPUs)"


def parse_cpuinfo(text: str, cores: int | None = None) -> CpuInfo:
    """A ``CpuInfo`` from the text of Linux's /proc/cpuinfo (x86 ``model name``/``flags`` or Arm
    ``Features``/``CPU part``); ``cores`` defaults to the processors listed."""
    fields: dict[str, str] = {}
    processors = 0
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if not sep:
            continue
        name = name.strip().lower()
        processors += name == "processor"
        fields.setdefault(name, value.strip())
    model = fields.get("model name") or fields.get("hardware") or fields.get("cpu model") or ""
    if not model and "cpu implementer" in fields:
        model = f"Arm CPU (implementer {fields['cpu implementer']}, part {fields.get('cpu part', '?')})"
    flags = fields.get("flags") or fields.get("features") or ""
    return CpuInfo(model or "unknown CPU", frozenset(flags.lower().split()), cores or processors or 1)


def parse_sysctl(text: str, cores: int) -> CpuInfo:
    """A ``CpuInfo`` from macOS ``sysctl machdep.cpu.brand_string hw.optional`` output
    (``name: value`` lines)."""
    model = ""
    flags = set()
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        name, value = name.strip(), value.strip()
        if name == "machdep.cpu.brand_string":
            model = value
        elif sep and value == "1" and name in _MAC_FLAG_NAMES:
            flags.add(_MAC_FLAG_NAMES[name])
    return CpuInfo(model or "unknown CPU", frozenset(flags), cores)


def torch_capability() -> str:
    """torch's CPU dispatch level ("AVX2", "AVX512", "DEFAULT", ...); empty without torch."""
    try:
        import torch
    except ImportError:
        return ""
    return str(torch.backends.cpu.get_cpu_capability())


def _sysctl_text() -> str:
    try:
        done = subprocess.run(["sysctl", "machdep.cpu.brand_string", "hw.optional"], capture_output=True,
                              text=True, timeout=SYSCTL_TIMEOUT_S, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout


def read_cpu_info(
    system: str | None = None,
    cpuinfo_path: Path = CPUINFO_PATH,
    sysctl: Callable[[], str] = _sysctl_text,
    capability: Callable[[], str] = torch_capability,
) -> CpuInfo:
    """This machine's ``CpuInfo``: /proc/cpuinfo on Linux, sysctl on macOS; elsewhere (or when
    those are unreadable) ``platform.processor()`` with torch's dispatch level as its only flag."""
    system = system or platform.system()
    cores = os.cpu_count() or 1
    info: CpuInfo | None = None
    if system == "Linux":
        try:
            info = parse_cpuinfo(cpuinfo_path.read_text(encoding="utf-8", errors="replace"), cores)
        except OSError:
            info = None
    elif system == "Darwin":
        info = parse_sysctl(sysctl(), cores)
    if info is not None and info.flags:
        return info
    model = info.model if info is not None and info.model != "unknown CPU" else platform.processor()
    return CpuInfo(model or "unknown CPU", frozenset(), cores, capability())


@functools.lru_cache(maxsize=1)
def this_cpu() -> CpuInfo:
    """``read_cpu_info()`` of this machine, read once per process."""
    return read_cpu_info()


def describe() -> str:
    """One line about this machine's CPU: model, the flags that matter, bf16, CPU count."""
    return this_cpu().describe()
