"""Backends behind the Recognizer interface: the candidates the options allow, the parity probe,
the remembered choice, ONNX export and its cache, int8, and the fallbacks to torch fp32."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from livekr.backends.choice import REFERENCE, Candidate, candidates, measurement_key, pick
from livekr.backends.onnx_runtime import OnnxRecognizer, model_folder
from livekr.backends.parity import PROBE_S, SAMPLE_PATH, agreement, probe_audio, synthetic_probe
from livekr.backends.store import MEASUREMENTS_FILE, Entry, Measurement, MeasurementStore, remembered_lines
from livekr.checkpoint import model_digest, model_files
from livekr.cli import build_parser
from livekr.config import SAMPLE_RATE, RecognizerOptions
from livekr.cpu import this_cpu
from livekr.recognizer import CTCRecognizer, PosteriorRecognizer, load_recognizer, plan_device

TORCH_BF16 = Candidate("torch", "bf16")
ONNX_FP32 = Candidate("onnx", "fp32")
ONNX_INT8 = Candidate("onnx", "int8")


# -- which candidates the options allow --------------------------------------------------


def test_candidates_follow_backend_dtype_and_the_cpu() -> None:
    everything = [REFERENCE, TORCH_BF16, ONNX_FP32, ONNX_INT8]
    assert candidates("auto", "auto", cpu_bf16=True, onnx=True) == everything
    assert candidates("auto", "auto", cpu_bf16=False, onnx=True) == [REFERENCE, ONNX_FP32, ONNX_INT8]
    assert candidates("auto", "auto", cpu_bf16=False, onnx=False) == [REFERENCE]
    assert candidates("torch", "auto", cpu_bf16=True, onnx=True) == [REFERENCE, TORCH_BF16]
    assert candidates("onnx", "auto", cpu_bf16=True, onnx=True) == [ONNX_FP32, ONNX_INT8]
    assert candidates("onnx", "int8", cpu_bf16=False, onnx=True) == [ONNX_INT8]
    assert candidates("auto", "fp32", cpu_bf16=True, onnx=True) == [REFERENCE, ONNX_FP32]
    # nothing left (ONNX Runtime missing): torch fp32, never an empty list
    assert candidates("onnx", "int8", cpu_bf16=False, onnx=False) == [REFERENCE]


def test_pick_takes_the_fastest_that_passes_and_falls_back_to_torch_fp32() -> None:
    measured = {
        "torch fp32": Measurement(1.0, 1.0),
        "onnx fp32": Measurement(1.0, 0.6),
        "onnx int8": Measurement(0.97, 0.4),
        "torch bf16": Measurement(0.0, 0.0, "the ONNX export failed"),
    }
    cands = [REFERENCE, TORCH_BF16, ONNX_FP32, ONNX_INT8]
    assert pick(cands, measured, 0.95) == ONNX_INT8
    assert pick(cands, measured, 0.98) == ONNX_FP32
    assert pick(cands, measured, 0.0) == ONNX_INT8  # a candidate that failed is never picked
    assert pick([ONNX_INT8], measured, 0.98) == REFERENCE


def test_plan_device_refuses_what_this_cpu_or_backend_cannot_do(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        plan = plan_device(RecognizerOptions(dtype="bf16"), False, False, cpu_bf16=False)
    assert plan.dtype_name == "fp32" and "25x slower" in caplog.text
    assert plan_device(RecognizerOptions(dtype="bf16"), False, False, cpu_bf16=True).dtype_name == "bf16"
    assert plan_device(RecognizerOptions(), False, False).dtype_name == "auto"
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        torch_int8 = plan_device(RecognizerOptions(backend="torch", dtype="int8"), False, False)
        onnx_bf16 = plan_device(RecognizerOptions(backend="onnx", dtype="bf16"), False, False, True)
        gpu = plan_device(RecognizerOptions(device="cuda", backend="onnx", dtype="int8"), True, True)
    assert torch_int8.dtype_name == onnx_bf16.dtype_name == "fp32"
    assert (gpu.device, gpu.dtype_name) == ("cuda", "fp16")
    assert "--backend onnx" in caplog.text and "no BF16 path" in caplog.text and "CPU only" in caplog.text
    # an ONNX backend asked for on a CUDA machine with device auto runs on the CPU
    assert plan_device(RecognizerOptions(backend="onnx"), True, True).device == "cpu"


def test_new_options_are_checked_and_on_the_command_line() -> None:
    with pytest.raises(ValueError, match="backend must be one of auto, torch, onnx"):
        RecognizerOptions(backend="tensorrt")
    with pytest.raises(ValueError, match="threads must be at least 0"):
        RecognizerOptions(threads=-1)
    with pytest.raises(ValueError, match="min_agreement must be at most 1"):
        RecognizerOptions(min_agreement=1.5)
    flags = ["--backend", "onnx", "--dtype", "int8", "--threads", "1", "--min-agreement", "0.5"]
    args = build_parser().parse_args(["transcribe", "a.wav", *flags])
    assert (args.backend, args.dtype, args.threads, args.min_agreement) == ("onnx", "int8", 1, 0.5)


# -- the parity probe and the store ------------------------------------------------------


def test_agreement_counts_frames_with_the_same_best_token() -> None:
    a = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.5, 0.4, 0.1]]))
    b = a.copy()
    b[3] = np.log([0.4, 0.5, 0.1])
    assert agreement(a, a) == 1.0
    assert agreement(a, b) == 0.75
    assert agreement(a, b[:3]) == 0.0  # other frames: the conversion is wrong


def test_probe_is_speech_when_the_sample_is_there_else_a_fixed_signal(tmp_path: Path) -> None:
    synthetic = probe_audio(tmp_path / "missing.flac")
    assert synthetic.dtype == np.float32 and synthetic.size == int(PROBE_S * SAMPLE_RATE)
    assert np.array_equal(synthetic, synthetic_probe())
    assert 0.1 < np.abs(synthetic).max() <= 0.5
    assert SAMPLE_PATH.is_file()  # the repository ships the Korean sample
    speech = probe_audio()
    assert speech.size == synthetic.size and np.isfinite(speech).all()
    assert not np.array_equal(speech, synthetic) and np.abs(speech).max() > 0.05


def test_store_round_trip_and_damaged_files(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = MeasurementStore(tmp_path / "sub" / MEASUREMENTS_FILE)
    assert store.get("k") is None
    entry = Entry("ref", "CPU", {"torch fp32": Measurement(1.0, 0.5), "onnx int8": Measurement(0.9, 0.2, "")},
                  "onnx int8")
    store.put("k", entry)
    store.put("other", Entry("ref2", "CPU", {}, ""))
    assert store.get("k") == entry and set(store.entries()) == {"k", "other"}
    store.path.write_text("{not json", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert store.get("k") is None
    assert "unreadable" in caplog.text
    store.path.write_text('{"format": 1, "entries": {"k": {"ref": "r", "measured": 3}}}', encoding="utf-8")
    assert store.get("k") is None and store.entries() == {}
    store.put("k", entry)  # a damaged file is replaced
    assert store.get("k") == entry


def test_remembered_lines_for_people(tmp_path: Path) -> None:
    store = MeasurementStore(tmp_path / MEASUREMENTS_FILE)
    measured = {"torch fp32": Measurement(1.0, 2.42), "onnx int8": Measurement(0.995, 0.51),
                "onnx fp32": Measurement(0.0, 0.0, "the ONNX export failed (boom)")}
    store.put("a", Entry("/m/x", "CPU A", measured, "onnx int8", threads=1))
    store.put("b", Entry("/m/x", "CPU B", measured, "onnx int8"))
    store.put("c", Entry("/m/y", "CPU A", measured, "onnx int8"))
    assert remembered_lines("/m/x", "CPU A", store) == [
        "backend (1 thread): onnx int8; probe forward torch fp32 2.42 s; onnx int8 0.51 s, parity 99.5%; "
        "onnx fp32: cannot run (the ONNX export failed (boom))"
    ]
    assert remembered_lines("/m/z", "CPU A", store) == []


# -- real tiny checkpoints ---------------------------------------------------------------


class Messages(list[str]):
    """Collects progress messages."""

    def __call__(self, message: str) -> None:
        self.append(message)


def load(folder: Path, cache: Path, progress: Messages | None = None, **options: Any) -> PosteriorRecognizer:
    return load_recognizer(str(folder), RecognizerOptions(device="cpu", **options), cache=cache,
                           progress=progress)


def no_onnxruntime() -> Any:
    raise ImportError("No module named 'onnxruntime'")


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["tiny_wav2vec2", "tiny_hubert"])
def test_onnx_export_matches_torch_and_is_cached(fixture: str, request: pytest.FixtureRequest, tmp_path: Path,
                                                 speak) -> None:
    folder = request.getfixturevalue(fixture)
    first = Messages()
    recognizer = load(folder, tmp_path, first, backend="onnx", dtype="fp32")
    assert isinstance(recognizer, OnnxRecognizer) and recognizer.dtype_name == "fp32"
    assert any("converting the model to ONNX" in m for m in first)
    assert recognizer.agreement == 1.0 and recognizer.device_label == "CPU ONNX fp32 (parity 100.0%)"
    # the time axis is dynamic: other lengths than the traced one give torch's log-posteriors
    torch_fp32 = load(folder, tmp_path, backend="torch", dtype="fp32")
    assert isinstance(torch_fp32, CTCRecognizer) and torch_fp32.device_label == "CPU fp32"
    audio = speak("안녕하세요")
    for n in (audio.size, SAMPLE_RATE // 20):
        np.testing.assert_allclose(recognizer.log_posteriors(audio[:n]), torch_fp32.log_posteriors(audio[:n]),
                                   atol=1e-4)
    assert recognizer.recognize(audio).text == torch_fp32.recognize(audio).text
    assert recognizer.frame_s == torch_fp32.frame_s
    assert recognizer.tokens.id_to_token == torch_fp32.tokens.id_to_token
    converted = model_folder(tmp_path, model_digest(model_files(str(folder)))) / "fp32.onnx"
    made = converted.stat().st_mtime_ns
    again = Messages()
    second = load(folder, tmp_path, again, backend="onnx", dtype="fp32")
    assert isinstance(second, OnnxRecognizer) and second.agreement == 1.0
    assert again == [] and converted.stat().st_mtime_ns == made  # no second export, no measuring


@pytest.mark.slow
def test_int8_passes_or_fails_parity_against_the_threshold(tiny_wav2vec2: Path, tmp_path: Path,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    messages = Messages()
    int8 = load(tiny_wav2vec2, tmp_path, messages, backend="onnx", dtype="int8", min_agreement=0.5, threads=1)
    assert isinstance(int8, OnnxRecognizer) and int8.dtype_name == "int8"
    assert any("quantizing" in m for m in messages)
    assert int8.session.get_session_options().intra_op_num_threads == 1
    assert int8.agreement is not None and 0.5 <= int8.agreement < 1.0  # random weights: a few frames flip
    assert f"parity {int8.agreement:.1%}" in int8.device_label
    digest = model_digest(model_files(str(tiny_wav2vec2)))
    converted = model_folder(tmp_path, digest)
    assert (converted / "int8.onnx").stat().st_size < (converted / "fp32.onnx").stat().st_size
    with caplog.at_level(logging.WARNING):
        strict = load(tiny_wav2vec2, tmp_path, backend="onnx", dtype="int8", min_agreement=1.0, threads=1)
    assert isinstance(strict, CTCRecognizer) and strict.dtype_name == "fp32" and strict.agreement is None
    assert "not using onnx int8" in caplog.text and f"{int8.agreement:.1%}" in caplog.text
    assert "using torch fp32 instead" in caplog.text


@pytest.mark.slow
def test_without_onnxruntime_torch_runs(
    tiny_hubert: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        asked = load_recognizer(str(tiny_hubert), RecognizerOptions(device="cpu", backend="onnx"),
                                cache=tmp_path, import_onnxruntime=no_onnxruntime)
    assert isinstance(asked, CTCRecognizer) and asked.device_label == "CPU fp32"
    assert "ONNX Runtime is not available" in caplog.text and "pip install onnx onnxruntime" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        auto = load_recognizer(str(tiny_hubert), RecognizerOptions(device="cpu"), cache=tmp_path,
                               import_onnxruntime=no_onnxruntime)
    assert auto.backend == "torch" and caplog.text == ""  # nobody asked for ONNX: no warning
    assert auto.recognize(np.zeros(SAMPLE_RATE, np.float32)).audio_s == 1.0


@pytest.mark.slow
def test_auto_choice_is_measured_once_and_remembered(tiny_wav2vec2: Path, tmp_path: Path) -> None:
    first = Messages()
    chosen = load(tiny_wav2vec2, tmp_path, first)
    assert any(m.startswith("measuring torch fp32") for m in first)
    store = MeasurementStore(tmp_path / MEASUREMENTS_FILE)
    key = measurement_key(model_digest(model_files(str(tiny_wav2vec2))), this_cpu(), 0, _ort())
    entry = store.get(key)
    assert entry is not None and entry.chosen == f"{chosen.backend} {chosen.dtype_name}"
    expected = {"torch fp32", "onnx fp32", "onnx int8"}
    expected |= {"torch bf16"} if this_cpu().native_bf16 else set()
    assert set(entry.measured) == expected and entry.cpu == this_cpu().describe()
    again = Messages()
    second = load(tiny_wav2vec2, tmp_path, again)
    assert again == [] and (second.backend, second.dtype_name) == (chosen.backend, chosen.dtype_name)
    # the remembered measurements decide, not a new measurement: make torch fp32 the fastest
    slow = {name: Measurement(m.agreement, 10.0, m.error) for name, m in entry.measured.items()}
    store.put(key, Entry(entry.ref, entry.cpu, {**slow, "torch fp32": Measurement(1.0, 1.0)}, ""))
    third = load(tiny_wav2vec2, tmp_path, Messages())
    assert isinstance(third, CTCRecognizer) and third.device_label == "CPU fp32"
    # and ONNX int8 when it is the fastest, even with a tiny threshold its parity passes
    store.put(key, Entry(entry.ref, entry.cpu, {**slow, "onnx int8": Measurement(0.91, 0.5)}, ""))
    fourth = load(tiny_wav2vec2, tmp_path, min_agreement=0.9)
    assert isinstance(fourth, OnnxRecognizer) and fourth.dtype_name == "int8"
    assert fourth.device_label == "CPU ONNX int8 (parity 91.0%)"


@pytest.mark.slow
def test_conversion_that_cannot_be_made_rules_onnx_out(
    tiny_hubert: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "onnx").write_text("a file where the conversions' folder should be", encoding="utf-8")
    key = measurement_key(model_digest(model_files(str(tiny_hubert))), this_cpu(), 0, _ort())
    store = MeasurementStore(tmp_path / MEASUREMENTS_FILE)
    auto = load(tiny_hubert, tmp_path)
    assert auto.backend == "torch"
    entry = store.get(key)
    assert entry is not None and "ONNX export failed" in entry.measured["onnx fp32"].error
    assert entry.measured["onnx int8"].error
    with caplog.at_level(logging.WARNING):
        asked = load(tiny_hubert, tmp_path, backend="onnx")
    assert isinstance(asked, CTCRecognizer) and asked.device_label == "CPU fp32"
    assert "not using onnx int8: the ONNX export failed" in caplog.text
    # remembered as the fastest, but its conversion is gone and cannot be made: torch fp32
    good = {"torch fp32": Measurement(1.0, 1.0), "onnx fp32": Measurement(1.0, 0.1)}
    store.put(key, Entry(str(tiny_hubert), this_cpu().describe(), {**entry.measured, **good}, ""))
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        fallback = load(tiny_hubert, tmp_path, dtype="fp32")
    assert isinstance(fallback, CTCRecognizer) and "onnx fp32 cannot run" in caplog.text
    after = store.get(key)
    assert after is not None and after.chosen == "torch fp32" and after.measured["onnx fp32"].error


@pytest.mark.slow
def test_damaged_conversion_is_made_again(
    tiny_hubert: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    load(tiny_hubert, tmp_path, backend="onnx", dtype="fp32")
    converted = model_folder(tmp_path, model_digest(model_files(str(tiny_hubert)))) / "fp32.onnx"
    converted.write_bytes(b"not a model")
    messages = Messages()
    with caplog.at_level(logging.WARNING):
        again = load(tiny_hubert, tmp_path, messages, backend="onnx", dtype="fp32")
    assert isinstance(again, OnnxRecognizer) and again.agreement == 1.0
    assert "cannot be used" in caplog.text and any("converting" in m for m in messages)
    assert converted.stat().st_size > 1000


def _ort() -> Any:
    import onnxruntime

    return onnxruntime



@pytest.mark.slow
def test_threads_option_sets_torch_and_zero_restores_its_default(tiny_hubert: Path, tmp_path: Path) -> None:
    import torch

    before = torch.get_num_threads()
    load(tiny_hubert, tmp_path, backend="torch", dtype="fp32", threads=1)
    assert torch.get_num_threads() == 1
    load(tiny_hubert, tmp_path, backend="torch", dtype="fp32", threads=0)
    assert torch.get_num_threads() == before
