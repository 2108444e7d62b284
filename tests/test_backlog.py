"""The finals backlog: bounded in memory, spilled to disk in order, never dropped; and a
slow recognizer behind a live source with a tiny memory budget."""

from __future__ import annotations

import threading

import numpy as np

from livekr.backlog import FinalsBacklog, Job
from livekr.config import SAMPLE_RATE, EncodingOptions, PipelineOptions
from livekr.events import Final, Finished, Stats
from livekr.pipeline import StreamingTranscriber
from tests.conftest import ScriptedRecognizer, silence
from tests.test_pipeline import WAIT_S, QueueSource, Recorder


def job(index: int, seconds: float, rng: np.random.Generator) -> Job:
    audio = rng.standard_normal(int(seconds * SAMPLE_RATE)).astype(np.float32)
    return Job(index, index * 10 * SAMPLE_RATE, index * 10 * SAMPLE_RATE + audio.size, audio, float(index))


def test_audio_beyond_the_budget_is_spilled_and_comes_back_in_order_bit_exact() -> None:
    rng = np.random.default_rng(3)
    jobs = [job(i, 1.0 + 0.25 * i, rng) for i in range(6)]
    backlog = FinalsBacklog(memory_budget_bytes=3 * SAMPLE_RATE * 4)  # 3 s of audio
    for j in jobs:
        backlog.append(j)
        assert backlog.memory_bytes <= backlog.memory_budget_bytes
    assert len(backlog) == 6
    assert backlog.spilled == 4  # 1.0 + 1.25 s fit; 1.5 s more would not
    assert backlog.samples == sum(j.audio.size for j in jobs)
    out = [backlog.popleft() for _ in range(6)]
    assert [o.utterance for o in out] == list(range(6))
    for original, back in zip(jobs, out, strict=True):
        assert np.array_equal(original.audio, back.audio)
        assert (back.start_sample, back.end_sample, back.detected_at) == (
            original.start_sample,
            original.end_sample,
            original.detected_at,
        )
    assert backlog.spilled == 0 and backlog.samples == 0 and backlog.memory_bytes == 0
    assert backlog.spilled_total == 4
    backlog.close()


def test_memory_freed_by_decoding_is_used_again_and_the_file_starts_over() -> None:
    rng = np.random.default_rng(4)
    backlog = FinalsBacklog(memory_budget_bytes=SAMPLE_RATE * 4)  # 1 s
    first, second, third = job(0, 0.8, rng), job(1, 0.8, rng), job(2, 0.8, rng)
    backlog.append(first)
    backlog.append(second)
    assert backlog.spilled == 1
    assert np.array_equal(backlog.popleft().audio, first.audio)
    backlog.append(third)  # fits in memory again
    assert backlog.spilled == 1
    assert np.array_equal(backlog.popleft().audio, second.audio)
    assert backlog.spilled == 0
    fourth = job(3, 0.8, rng)
    backlog.append(fourth)  # memory holds the third: to disk, at the start of the emptied file
    assert np.array_equal(backlog.popleft().audio, third.audio)
    assert np.array_equal(backlog.popleft().audio, fourth.audio)
    backlog.close()


def test_clear_reports_what_it_dropped() -> None:
    rng = np.random.default_rng(5)
    backlog = FinalsBacklog(memory_budget_bytes=1)
    for i in range(3):
        backlog.append(job(i, 0.5, rng))
    assert backlog.clear() == (3, 3 * SAMPLE_RATE // 2)
    assert len(backlog) == 0 and backlog.spilled == 0
    backlog.close()


class KeepingRecognizer(ScriptedRecognizer):
    """A scripted recognizer that keeps a copy of every audio it was given."""

    def __init__(self, texts: list[str], gate: threading.Event) -> None:
        super().__init__(texts, gate=gate)
        self.audio: list[np.ndarray] = []

    def recognize(self, audio: np.ndarray):  # type: ignore[no-untyped-def]
        with self._lock:
            self.audio.append(audio.copy())
        return super().recognize(audio)


def test_a_slow_recognizer_s_backlog_is_spilled_visible_and_decoded_in_full(speak) -> None:
    phrases = ["안녕하세요", "반갑습니다", "대한민국", "민주공화국", "오늘 날씨"]
    gate = threading.Event()
    recognizer = KeepingRecognizer([f"문장{i}" for i in range(len(phrases))], gate)
    source, rec = QueueSource(), Recorder()
    transcriber = StreamingTranscriber(  # whole: no window pass may be the call the gate holds
        source, recognizer, rec, options=PipelineOptions(partials=False),
        encoding=EncodingOptions(mode="whole"), backlog_memory_bytes=1
    )
    transcriber.start()
    parts = []
    for phrase in phrases:
        parts += [speak(phrase), silence(2.0)]
    stream = np.concatenate(parts)
    source.push(stream)
    assert recognizer.entered.wait(WAIT_S)  # the first final holds the worker
    all_ended_s = stream.size / SAMPLE_RATE - 1.2
    rec.wait_for(lambda e: isinstance(e, Stats) and e.time_s >= all_ended_s)  # all segmented
    # Now, not that event: the reader can get there before the worker has taken the first final.
    backlog = transcriber.stats()
    assert backlog.pending_finals == len(phrases) - 1
    assert backlog.spilled_finals == backlog.pending_finals  # a 1-byte budget keeps nothing
    gate.set()
    source.close()
    rec.wait_for(lambda e: isinstance(e, Finished))
    finals = rec.of(Final)
    assert [f.utterance.text for f in finals] == [f"문장{i}" for i in range(len(phrases))]
    for final, audio in zip(finals, recognizer.audio, strict=True):
        start = round(final.utterance.start_s * SAMPLE_RATE)
        assert np.array_equal(audio, stream[start : start + audio.size])  # read back bit-exact
        assert audio.size == round((final.utterance.end_s - final.utterance.start_s) * SAMPLE_RATE)
    assert rec.of(Stats)[-1].spilled_finals == 0
