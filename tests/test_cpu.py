"""CPU facts from /proc/cpuinfo and sysctl text: the model, the flags that decide the dtype."""

from __future__ import annotations

from pathlib import Path

from livekr.cpu import CpuInfo, parse_cpuinfo, parse_sysctl, read_cpu_info

AVX2_ONLY = """processor	: 0
vendor_id	: GenuineIntel
model name	: Intel(R) Xeon(R) CPU E5-2690 v4 @ 2.60GHz
flags		: fpu vme sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 bmi2

processor	: 1
model name	: Intel(R) Xeon(R) CPU E5-2690 v4 @ 2.60GHz
flags		: fpu vme sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 bmi2
"""
SAPPHIRE_RAPIDS = """processor	: 0
model name	: Intel(R) Xeon(R) Platinum 8480+
flags		: avx2 avx512f avx512bw avx512_vnni avx512_bf16 amx_bf16 amx_tile amx_int8 avx_vnni
"""
ZEN4_NO_AMX = """processor	: 0
model name	: AMD EPYC 9654 96-Core Processor
flags		: avx2 avx512f avx512_vnni avx512_bf16 avx_vnni
"""
GRAVITON3 = """processor	: 0
BogoMIPS	: 2100.00
Features	: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics asimddp sve i8mm bf16
CPU implementer	: 0x41
CPU part	: 0xd40
"""
M2_SYSCTL = """machdep.cpu.brand_string: Apple M2
hw.optional.arm.FEAT_BF16: 1
hw.optional.arm.FEAT_DotProd: 1
hw.optional.arm.FEAT_I8MM: 0
hw.optional.AdvSIMD: 1
hw.optional.floatingpoint: 1
"""


def test_avx2_only_has_no_native_bf16() -> None:
    info = parse_cpuinfo(AVX2_ONLY)
    assert info.model == "Intel(R) Xeon(R) CPU E5-2690 v4 @ 2.60GHz"
    assert info.cores == 2
    assert not info.native_bf16 and not info.int8_dot
    assert info.relevant_flags == ("avx2",)
    assert info.describe() == "Intel(R) Xeon(R) CPU E5-2690 v4 @ 2.60GHz (avx2; no native bf16; 2 CPUs)"


def test_amx_and_avx512_bf16_are_native_bf16() -> None:
    spr = parse_cpuinfo(SAPPHIRE_RAPIDS, cores=8)
    assert spr.native_bf16 and spr.int8_dot and spr.cores == 8
    assert "amx_bf16" in spr.describe() and "native bf16" in spr.describe()
    zen4 = parse_cpuinfo(ZEN4_NO_AMX)
    assert zen4.native_bf16 and "amx_tile" not in zen4.relevant_flags


def test_arm_features_line_and_model_from_part_numbers() -> None:
    info = parse_cpuinfo(GRAVITON3)
    assert info.native_bf16 and info.int8_dot
    assert info.model == "Arm CPU (implementer 0x41, part 0xd40)"
    assert info.relevant_flags == ("asimd", "asimddp", "i8mm", "bf16", "sve")


def test_macos_sysctl_flags_set_to_one_only() -> None:
    info = parse_sysctl(M2_SYSCTL, cores=8)
    assert info.model == "Apple M2"
    assert info.flags == {"bf16", "asimddp", "asimd"}
    assert info.native_bf16


def test_key_tells_cpus_apart_and_ignores_unrelated_flags() -> None:
    a = parse_cpuinfo(AVX2_ONLY)
    b = parse_cpuinfo(AVX2_ONLY.replace("bmi2", "bmi2 rdrand"))
    assert a.key == b.key
    assert a.key != parse_cpuinfo(ZEN4_NO_AMX).key


def test_unreadable_cpuinfo_falls_back_to_torch_capability(tmp_path: Path) -> None:
    info = read_cpu_info("Linux", cpuinfo_path=tmp_path / "missing", capability=lambda: "AVX2")
    assert info.capability == "AVX2" and not info.native_bf16
    assert "AVX2" in info.describe() and "AVX2" in info.key


def test_other_systems_and_empty_sysctl() -> None:
    windows = read_cpu_info("Windows", capability=lambda: "AVX512")
    assert windows.flags == frozenset() and windows.capability == "AVX512"
    assert not windows.native_bf16  # the dispatch level alone never implies bf16
    mac = read_cpu_info("Darwin", sysctl=lambda: "", capability=lambda: "DEFAULT")
    assert mac.capability == "DEFAULT" and mac.cores >= 1


def test_linux_reads_the_given_file(tmp_path: Path) -> None:
    path = tmp_path / "cpuinfo"
    path.write_text(SAPPHIRE_RAPIDS, encoding="utf-8")
    info = read_cpu_info("Linux", cpuinfo_path=path, capability=lambda: "unused")
    assert info == CpuInfo(info.model, info.flags, info.cores) and info.native_bf16
