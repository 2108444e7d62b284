"""Beam search, LM and custom words on a trained model's own posteriors: CER greedy vs beam + LM
on held-out sentences, lone jamo, custom-word recall and false insertions, and decoding cost
per utterance and at the end of speech for 10 and 1,000 custom words.

    .venv/bin/python bench/decoding_model.py --model CHECKPOINT --synth SYNTH_DIR [--out FILE]

CHECKPOINT: a model trained by ``livekr-train --preset tiny-synthetic`` on the espeak-ng corpus
in SYNTH_DIR (``livekr-train synth``). Held out: the corpus's ``eval.jsonl`` (sentences never in
training). The LM (``livekr-train lm``'s ``build_lm``, 5-gram over the model's units) is built
from ``../shared/data/ko_text`` and the training sentences: never from a held-out sentence.
The held-out sentences are split in two halves by sentence: LM weight and insertion bonus are
chosen on the first (dev) and reported on the second (test), and then the other way round
(``two_fold``: every held-out sentence scored once, with settings chosen without it).

Custom words: names and terms that appear in no training or LM text, spoken by espeak-ng in
carrier sentences (two voices); recall = share of those utterances whose text contains the
word exactly, with and without the word listed; false insertions = share of held-out test
sentences (which contain none of the words) whose text contains a listed word, and share of
utterances of a near name (김민수 for the listed 김민준) that come out as the listed one.
Decoding times are CPU time of this process (``time.process_time``), medians over utterances.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
from stream import write_report

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from livekr.config import DecoderOptions, RecognizerOptions  # noqa: E402
from livekr.cpu import describe  # noqa: E402
from livekr.decoder import Decoder, load_lm  # noqa: E402
from livekr.hotwords import Hotword  # noqa: E402
from livekr.text import normalize  # noqa: E402
from trainer.evaluate import space_free_cer  # noqa: E402
from trainer.lm import build_lm  # noqa: E402
from trainer.metrics import error_rates  # noqa: E402

KO_TEXT = REPO.parent / "shared" / "data" / "ko_text"
END_TAIL_S = 2.5
"""Audio decoded at the end of speech: the last window's chunk (1.5 s) and right context (1 s)."""
LONE_JAMO = re.compile(r"[\u1100-\u11ff\u3130-\u318f]")

NEAR = {"김민준": "김민수", "이서연": "이서영", "박지훈": "박지운", "최유진": "최유정", "정하늘": "정하람",
        "강다온": "강다인", "윤도현": "윤도훈", "장보람": "장보라", "임채원": "임채은", "한승우": "한승호"}
"""For each listed name, one said instead: a near miss that must not come out as the listed name."""
NAMES = ["김민준", "이서연", "박지훈", "최유진", "정하늘", "강다온", "윤도현", "장보람", "임채원", "한승우",
         "광화문광장", "해운대", "인공지능", "블록체인", "카카오톡", "넷플릭스", "유튜브", "스마트폰",
         "청와대", "경복궁"]
CARRIERS = ["{}에 대해 이야기해 봅시다", "어제 {} 이야기를 들었어요", "오늘은 {} 소식이 많습니다",
            "우리는 {} 덕분에 즐거웠어요"]
VOICES = [("ko", 150, 50), ("ko+f3", 140, 60)]


def rows(manifest: Path) -> list[dict]:
    return [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines() if line.strip()]


def posteriors_of(model: str, clips: list[tuple[Path | np.ndarray, str]], threads: int
                  ) -> tuple[Decoder, list[np.ndarray], float]:
    """A greedy decoder of the model's units, the log-posteriors of each clip (torch fp32), and
    seconds of audio per frame."""
    from livekr.recognizer import load_recognizer

    recognizer = load_recognizer(model, RecognizerOptions(device="cpu", backend="torch", dtype="fp32",
                                                          threads=threads))
    out = []
    for audio, _ in clips:
        samples = soundfile.read(str(audio), dtype="float32")[0] if isinstance(audio, Path) else audio
        out.append(recognizer.log_posteriors(samples))
    greedy = Decoder(recognizer.tokens, recognizer.frame_s, DecoderOptions(decoder="greedy"))
    return greedy, out, recognizer.frame_s


def decode_all(decoder: Decoder, utts: list[np.ndarray], tail_frames: int) -> tuple[list[str], float, float]:
    """Texts (fed in one block per utterance), median CPU ms per utterance, and median CPU ms of
    the end step after everything but the last ``tail_frames`` was stepped in."""
    texts, whole, ends = [], [], []
    for lp in utts:
        t0 = time.process_time()
        texts.append(decoder.decode(lp).text)
        whole.append(time.process_time() - t0)
        stream = decoder.begin()
        split = max(0, len(lp) - tail_frames)
        stream.step(lp[:split])
        t1 = time.process_time()
        stream.end(lp[split:])
        ends.append(time.process_time() - t1)
    return texts, 1000 * statistics.median(whole), 1000 * statistics.median(ends)


def scores(refs: list[str], texts: list[str]) -> dict[str, float]:
    rates = error_rates(refs, texts)
    return {"cer": round(100 * rates.cer, 2), "cer_nospace": round(100 * space_free_cer(refs, texts), 2),
            "wer": round(100 * rates.wer, 2),
            "lone_jamo_utts": sum(bool(LONE_JAMO.search(t)) for t in texts)}


def name_clips(cache: Path, names: list[str], tag: str) -> list[tuple[np.ndarray, str, str]]:
    """(audio, sentence, name said) for every name × one carrier × voice."""
    from trainer.synth import Voice, synthesize

    cache.mkdir(parents=True, exist_ok=True)
    out = []
    for i, name in enumerate(names):
        for j, (voice, wpm, pitch) in enumerate(VOICES):
            text = CARRIERS[(i + j) % len(CARRIERS)].format(name)
            path = cache / f"{tag}{i:02d}_{j}.flac"
            if not path.is_file():
                soundfile.write(str(path), synthesize(text, Voice(voice, wpm, pitch)), 16000)
            out.append((soundfile.read(str(path), dtype="float32")[0], normalize(text), name))
    return out


@dataclass
class Material:
    """The held-out posteriors, the name clips' posteriors, and what decodes them."""

    greedy: Decoder
    lm: Any
    frame_s: float
    tail_frames: int
    refs: list[str]
    """Text of each held-out clip, in the order of ``held_lps``."""
    held_lps: list[np.ndarray]
    dev: list[int]
    test: list[int]
    names: list[tuple[np.ndarray, str, str]]
    name_lps: list[np.ndarray]
    near_lps: list[np.ndarray]
    pool: list[str]
    """Words of the training and LM texts, to fill a list of 1,000 custom words."""

    def decoder(self, options: DecoderOptions, words: list[Hotword] | None = None) -> Decoder:
        decoder = Decoder(self.greedy.tokens, self.frame_s, options, self.lm, "lm")
        if words is not None:
            decoder.set_hotwords(words)
        return decoder

    def run(self, decoder: Decoder, idx: list[int]) -> tuple[list[str], float, float]:
        """Texts of the held-out clips ``idx`` with their decoding times (``decode_all``)."""
        return decode_all(decoder, [self.held_lps[i] for i in idx], self.tail_frames)

    def texts(self, decoder: Decoder, idx: list[int]) -> list[str]:
        """Texts of the held-out clips ``idx``, untimed."""
        return [decoder.decode(self.held_lps[i]).text for i in idx]


def prepare(args: argparse.Namespace, report: dict) -> Material:
    """Held-out clips split by sentence, the LM built from other text (checked to hold no
    held-out sentence and no custom word), and every clip's log-posteriors."""
    train = {normalize(r["text"]) for r in rows(args.synth / "train.jsonl")}
    held = [r for r in rows(args.synth / "eval.jsonl") if normalize(r["text"]) not in train]
    sentences = list(dict.fromkeys(normalize(r["text"]) for r in held))
    dev_set = set(sentences[: len(sentences) // 2])
    lm_texts = [KO_TEXT / "constitution_phrases.txt"]
    with tempfile.TemporaryDirectory() as tmp:
        train_txt = Path(tmp) / "train_sentences.txt"
        train_txt.write_text("\n".join(sorted(train)) + "\n", encoding="utf-8")
        lm_sources = " ".join(t for f in lm_texts for t in f.read_text(encoding="utf-8").splitlines())
        lm_sources += " " + " ".join(train)
        assert not any(s in lm_sources for s in sentences), "a held-out sentence is in the LM's text"
        assert not any(n in lm_sources for n in NAMES), "a custom word is in the LM's text"
        lm_path = Path(tmp) / "lm.arpa"
        card = Path(args.model) / "livekr.json"
        kept = card.read_bytes() if card.is_file() else None
        try:  # the LM is this run's own: the model's card is left as it was
            entry = build_lm(args.model, [*lm_texts, train_txt], 5, None, lm_path, lambda m: None)
        finally:
            if kept is not None:
                card.write_bytes(kept)
        report["lm"] = {k: entry[k] for k in ("order", "units", "sentences", "tokens", "ngrams",
                                              "size_bytes")}
        print(f"LM: {report['lm']}", file=sys.stderr)

        clips = [(args.synth / r["audio"], normalize(r["text"])) for r in held]
        names = name_clips(args.cache, NAMES, "n")
        near = name_clips(args.cache, list(NEAR.values()), "near")
        t0 = time.perf_counter()
        greedy, lps, frame_s = posteriors_of(args.model, [*clips, *[(a, t) for a, t, _ in names + near]],
                                             args.threads)
        print(f"posteriors of {len(lps)} clips in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        lm = load_lm(lm_path, greedy.tokens)
    dev = [i for i, (_, t) in enumerate(clips) if t in dev_set]
    test = [i for i, (_, t) in enumerate(clips) if t not in dev_set]
    report["held_out"] = {"clips": len(clips), "sentences": len(sentences), "dev_clips": len(dev),
                          "test_clips": len(test)}
    pool = sorted({w for s in train for w in s.split() if len(w) >= 2 and w not in NAMES})
    pool += sorted({w for line in lm_sources.split() for w in [normalize(line)] if len(w) >= 2} - set(pool))
    return Material(greedy, lm, frame_s, int(END_TAIL_S / frame_s), [t for _, t in clips],
                    lps[:len(clips)], dev, test, names, lps[len(clips):len(clips) + len(names)],
                    lps[len(clips) + len(names):], pool)


def tune(args: argparse.Namespace, m: Material, idx: list[int], label: str
         ) -> tuple[DecoderOptions, list[dict]]:
    """The LM weight and bonus of the lowest CER on the clips ``idx``, and the grid."""
    grid = []
    for weight in args.lm_weight:
        for bonus in args.insertion_bonus:
            options = DecoderOptions(beam_size=args.beam_size, lm_weight=weight, insertion_bonus=bonus)
            texts = m.texts(m.decoder(options), idx)
            cer = 100 * error_rates([m.refs[i] for i in idx], texts).cer
            grid.append({"lm_weight": weight, "bonus": bonus, "cer": round(cer, 2)})
            print(f"{label}: weight {weight} bonus {bonus}: CER {cer:.2f}", file=sys.stderr)
    best = min(grid, key=lambda g: g["cer"])
    return DecoderOptions(beam_size=args.beam_size, lm_weight=best["lm_weight"],
                          insertion_bonus=best["bonus"]), grid


def score_lm(args: argparse.Namespace, m: Material, report: dict) -> DecoderOptions:
    """Greedy against beam + LM, settings chosen on the dev half and scored on the test half,
    then the other way round; returns the settings chosen on the dev half."""
    refs, dev_refs = [m.refs[i] for i in m.test], [m.refs[i] for i in m.dev]
    dev_greedy = m.texts(m.greedy, m.dev)
    report["greedy_dev_cer"] = round(100 * error_rates(dev_refs, dev_greedy).cer, 2)
    greedy_texts, ms, end_ms = m.run(m.greedy, m.test)
    report["greedy"] = {**scores(refs, greedy_texts), "ms_per_utt": round(ms, 2), "end_ms": round(end_ms, 2)}
    print(f"greedy: {report['greedy']}", file=sys.stderr)
    options, report["dev_grid"] = tune(args, m, m.dev, "dev")
    texts, ms, end_ms = m.run(m.decoder(options), m.test)
    report["beam_lm"] = {**scores(refs, texts), "lm_weight": options.lm_weight,
                         "bonus": options.insertion_bonus, "beam": options.beam_size,
                         "ms_per_utt": round(ms, 2), "end_ms": round(end_ms, 2)}
    report["relative_cer_reduction"] = round(
        100 * (1 - report["beam_lm"]["cer"] / report["greedy"]["cer"]), 1)
    defaults = m.texts(m.decoder(DecoderOptions(beam_size=args.beam_size)), m.test)
    report["beam_lm_defaults"] = {**scores(refs, defaults), "lm_weight": DecoderOptions.lm_weight,
                                  "bonus": DecoderOptions.insertion_bonus}
    print(f"beam+LM: {report['beam_lm']}", file=sys.stderr)
    report["examples"] = [{"ref": r, "greedy": g, "beam_lm": b} for r, g, b in
                          list(zip(refs, greedy_texts, texts, strict=True))[:6]]
    # The other way round too: every held-out sentence scored once, with settings chosen without it.
    swapped, _ = tune(args, m, m.test, "test as dev")
    dev_beam = m.texts(m.decoder(swapped), m.dev)
    pooled_greedy = scores(dev_refs + refs, dev_greedy + greedy_texts)
    pooled_beam = scores(dev_refs + refs, dev_beam + texts)
    report["two_fold"] = {
        "chosen_on_test_half": {"lm_weight": swapped.lm_weight, "bonus": swapped.insertion_bonus},
        "greedy": pooled_greedy, "beam_lm": pooled_beam,
        "relative_cer_reduction": round(100 * (1 - pooled_beam["cer"] / pooled_greedy["cer"]), 1)}
    print(f"two-fold: {report['two_fold']}", file=sys.stderr)
    return options


def score_hotwords(args: argparse.Namespace, m: Material, options: DecoderOptions, report: dict) -> None:
    """Recall of the listed names and false insertions, per boost; the cost of 10 and 1,000 words."""
    refs = [m.refs[i] for i in m.test]
    listed = [Hotword(n) for n in NAMES]
    said_near = [n for n in NEAR for _ in VOICES]
    hot = []
    for boost in [0.0, *args.hotword_boost]:
        decoder = m.decoder(replace(options, hotword_boost=boost or 1.0), listed if boost else [])
        said = [decoder.decode(lp).text for lp in m.name_lps]
        hits = sum(name in text for text, (_, _, name) in zip(said, m.names, strict=True))
        others = m.texts(decoder, m.test)
        inserted = sum(any(n in t for n in NAMES) for t in others)
        near_said = [decoder.decode(lp).text for lp in m.near_lps]
        misses = sum(name in text for text, name in zip(near_said, said_near, strict=True))
        hot.append({"boost": boost, "listed": len(listed) if boost else 0,
                    "recall": round(100 * hits / len(m.names), 1),
                    "false_insertions": round(100 * inserted / len(others), 1),
                    "false_on_near_names": round(100 * misses / len(near_said), 1),
                    "test_cer": round(100 * error_rates(refs, others).cer, 2)})
        print(f"custom words: {hot[-1]}", file=sys.stderr)
    report["hotwords"] = hot
    report["hotword_examples"] = [{"said": t, "greedy": m.greedy.decode(lp).text} for (_, t, _), lp in
                                  list(zip(m.names, m.name_lps, strict=True))[:4]]
    cost: dict[str, Any] = {}
    for n in (10, 1000):
        decoder = m.decoder(options, [Hotword(w) for w in ([*NAMES[:10], *m.pool])[:n]])
        _, ms, end_ms = m.run(decoder, m.test)
        cost[str(n)] = {"listed": decoder.hotword_count, "ms_per_utt": round(ms, 2),
                        "end_ms": round(end_ms, 2)}
    cost["ratio_1000_over_10"] = round(cost["1000"]["ms_per_utt"] / cost["10"]["ms_per_utt"], 2)
    report["hotword_cost"] = cost
    print(f"cost: {cost}", file=sys.stderr)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--synth", required=True, type=Path)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--beam-size", type=int, default=DecoderOptions.beam_size)
    p.add_argument("--lm-weight", type=float, nargs="+", default=[0.5, 0.8, 1.0, 1.2, 1.5])
    p.add_argument("--insertion-bonus", type=float, nargs="+", default=[1.0, 2.0, 2.5, 3.0])
    p.add_argument("--hotword-boost", type=float, nargs="+", default=[1.5, 3.0, 5.0, 8.0])
    p.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "livekr-bench-names")
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    report: dict = {"cpu": describe(), "model": args.model}
    print(report["cpu"], file=sys.stderr)
    material = prepare(args, report)
    options = score_lm(args, material, report)
    score_hotwords(args, material, options, report)
    write_report(report, args.out)


if __name__ == "__main__":
    main()
