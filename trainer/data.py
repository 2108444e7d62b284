"""Training data: Zeroth Korean (hub or OpenSLR-40 folder) or a JSONL manifest.

Every source becomes a list of ``Example`` (audio reference + normalised text). Bad rows
are skipped and counted by reason, so a run reports what it left out instead of failing
deep inside the Trainer.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

from livekr.audio import AudioError, StreamResampler
from livekr.text import is_korean, normalize

log = logging.getLogger(__name__)

ZEROTH_HUB_ID = "Bingsu/zeroth-korean"
"""Zeroth Korean as parquet on the hub (train 22,263 and test 457 utterances)."""


class DataError(Exception):
    """The training data cannot be used; the message says why."""


@dataclass(frozen=True)
class Example:
    """One utterance: where its audio is and what was said."""

    audio: str | bytes
    """A file path, or the encoded file itself (hub parquet rows)."""
    text: str
    """Normalised transcript."""
    duration_s: float
    name: str = ""


@dataclass
class SkipReport:
    """Rows left out, by reason."""

    counts: Counter[str] = field(default_factory=Counter)

    def skip(self, reason: str) -> None:
        self.counts[reason] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        return ", ".join(f"{n} {reason}" for reason, n in self.counts.most_common()) or "none"


def audio_info(audio: str | bytes) -> tuple[float, int, int]:
    """(duration in seconds, sample rate, channels) without decoding the samples."""
    info = soundfile.info(io.BytesIO(audio) if isinstance(audio, bytes) else audio)
    return info.frames / info.samplerate, int(info.samplerate), int(info.channels)


def load_audio(audio: str | bytes) -> np.ndarray:
    """Decode to float32 mono at 16 kHz (channels averaged, any rate resampled)."""
    try:
        data, rate = soundfile.read(
            io.BytesIO(audio) if isinstance(audio, bytes) else audio, dtype="float32", always_2d=True
        )
    except (soundfile.LibsndfileError, RuntimeError) as e:
        raise AudioError(f"cannot read training audio: {e}") from e
    return StreamResampler(rate)(data.mean(axis=1), last=True)


def make_example(
    audio: str | bytes, raw_text: str, report: SkipReport, min_s: float, max_s: float, name: str = ""
) -> Example | None:
    """Check one row and return it as an Example, or None after counting why it was skipped."""
    if isinstance(audio, str) and not Path(audio).is_file():
        report.skip("missing audio file")
        return None
    text = normalize(raw_text or "")
    if not text:
        report.skip("empty text")
        return None
    if not is_korean(text):
        report.skip("text without Hangul")
        return None
    try:
        duration, _, _ = audio_info(audio)
    except (soundfile.LibsndfileError, RuntimeError, TypeError):
        report.skip("unreadable audio")
        return None
    if duration > max_s:
        report.skip(f"longer than {max_s:g} s")
        return None
    if duration < min_s:
        report.skip(f"shorter than {min_s:g} s")
        return None
    return Example(audio, text, duration, name)


def read_manifest(path: str | Path, min_s: float, max_s: float) -> tuple[list[Example], SkipReport]:
    """JSON lines ``{"audio": path, "text": ...}``; relative paths are relative to the manifest."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such manifest")
    report, examples = SkipReport(), []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            audio = Path(row["audio"])
            text = str(row["text"])
        except (ValueError, KeyError, TypeError):
            report.skip("malformed line")
            log.warning("%s:%d: not a JSON object with audio and text", path, number)
            continue
        full = audio if audio.is_absolute() else path.parent / audio
        ex = make_example(str(full), text, report, min_s, max_s, name=str(row["audio"]))
        if ex is not None:
            examples.append(ex)
    return examples, report


def zeroth_folder_rows(folder: str | Path, split: str) -> Iterator[tuple[str, str, str]]:
    """(audio path, text, id) from a Zeroth folder in its OpenSLR-40 layout.

    ``folder/train_data_01/003/106/106_003.trans.txt`` lines are ``106_003_0001 text``
    next to ``106_003_0001.flac``; ``split`` is "train" (``train_data_*``) or "test"
    (``test_data_*``).
    """
    root = Path(folder)
    parts = sorted(root.glob(f"{split}_data_*"))
    if not parts:
        raise DataError(f"{root} has no {split}_data_* folder; is it Zeroth's OpenSLR-40 layout?")
    for trans in sorted(p for part in parts for p in part.rglob("*.trans.txt")):
        for line in trans.read_text(encoding="utf-8").splitlines():
            utt_id, _, text = line.strip().partition(" ")
            if utt_id:
                yield str(trans.parent / f"{utt_id}.flac"), text, utt_id


def read_zeroth_folder(
    folder: str | Path, split: str, min_s: float, max_s: float
) -> tuple[list[Example], SkipReport]:
    report = SkipReport()
    examples = [
        ex
        for audio, text, name in zeroth_folder_rows(folder, split)
        if (ex := make_example(audio, text, report, min_s, max_s, name)) is not None
    ]
    return examples, report


def hub_rows(dataset_id: str, split: str) -> Iterable[dict[str, Any]]:
    """Rows of a hub dataset with ``audio`` (kept encoded) and ``text`` columns."""
    try:
        import datasets
    except ImportError as e:
        raise DataError("hub datasets need the train extra: pip install 'livekr[train]'") from e
    try:
        ds = datasets.load_dataset(dataset_id, split=split)
    except Exception as e:  # the datasets library raises many types for network and id errors
        raise DataError(f"cannot load {dataset_id} ({split}) from the hub: {e}") from e
    return ds.cast_column("audio", datasets.Audio(decode=False))


def read_hub_dataset(
    dataset_id: str, split: str, min_s: float, max_s: float
) -> tuple[list[Example], SkipReport]:
    report, examples = SkipReport(), []
    for i, row in enumerate(hub_rows(dataset_id, split)):
        audio = row["audio"]
        source = audio.get("bytes") or audio.get("path")
        ex = make_example(source, row.get("text", ""), report, min_s, max_s, name=f"{split}-{i}")
        if ex is not None:
            examples.append(ex)
    return examples, report


def is_manifest(source: str) -> bool:
    """Whether ``read_examples`` reads ``source`` as a JSONL manifest (a manifest has no splits)."""
    return source.endswith(".jsonl") or Path(source).is_file()


def read_examples(source: str, split: str, min_s: float, max_s: float) -> tuple[list[Example], SkipReport]:
    """Read a manifest (``*.jsonl``), a Zeroth folder, or a hub dataset id."""
    path = Path(source)
    if is_manifest(source):
        return read_manifest(path, min_s, max_s)
    if path.is_dir():
        return read_zeroth_folder(path, split, min_s, max_s)
    return read_hub_dataset(source, split, min_s, max_s)


def _stable_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _take(units: list[list[int]], target: int, limit: int) -> set[int]:
    """Indices of the first units, in order, that together reach ``target`` without passing
    ``limit`` (a unit that would pass it is left out)."""
    taken: set[int] = set()
    for unit in units:
        if len(taken) >= target:
            break
        if len(taken) + len(unit) <= limit:
            taken.update(unit)
    return taken


def hold_out(examples: list[Example], share: float) -> tuple[list[Example], list[Example]]:
    """(kept, held out): about ``share`` of the clips set aside for evaluation, both in order.

    Whole transcripts are held out, so a sentence spoken in several clips is never on both
    sides; they are taken in the order of a hash of their text, so the split is the same on
    every run and does not depend on row order. At least one clip is held out, at most
    twice the share, and at least one is kept; where no whole sentence fits (one sentence
    in every clip), clips are taken by a hash of their name. Raises ``DataError`` for fewer
    than two clips.
    """
    if len(examples) < 2:
        raise DataError(f"{len(examples)} usable utterance cannot be split for evaluation; give --eval_data")
    target = max(1, math.ceil(share * len(examples)))
    limit = min(len(examples) - 1, 2 * target)
    by_text: dict[str, list[int]] = {}
    for i, ex in enumerate(examples):
        by_text.setdefault(ex.text, []).append(i)
    held = _take([by_text[text] for text in sorted(by_text, key=_stable_key)], target, limit)
    if len(held) < target:
        order = sorted(range(len(examples)), key=lambda i: _stable_key(examples[i].name or str(i)))
        held = _take([[i] for i in order], target, limit)
    kept = [ex for i, ex in enumerate(examples) if i not in held]
    return kept, [ex for i, ex in enumerate(examples) if i in held]


@dataclass
class DataArguments:
    """Where the utterances come from and which are kept."""

    preset: str | None = field(
        default=None,
        metadata={
            "help": "start from a published recipe: xlsr-300m-zeroth, distilhubert-zeroth, "
            "tiny-synthetic (recorded in the checkpoint card)"
        },
    )
    train_data: str = field(
        default=ZEROTH_HUB_ID,
        metadata={"help": "hub dataset id, Zeroth OpenSLR-40 folder, or JSONL manifest {audio, text}"},
    )
    eval_data: str | None = field(
        default=None,
        metadata={
            "help": "as train_data; default: the eval_split of train_data, or for a JSONL manifest "
            "a held-out part of it (see eval_holdout_share)"
        },
    )
    train_split: str = field(default="train", metadata={"help": "split of a hub dataset or Zeroth folder"})
    eval_split: str = field(default="test", metadata={"help": "split used for evaluation"})
    eval_holdout_share: float = field(
        default=0.05,
        metadata={
            "help": "without eval_data, the share of a JSONL manifest's clips held out of training "
            "to evaluate on (whole sentences, the same on every run)"
        },
    )
    min_duration_s: float = field(default=0.3, metadata={"help": "shorter clips are skipped"})
    max_duration_s: float = field(default=20.0, metadata={"help": "longer clips are skipped"})
    max_train_samples: int | None = field(default=None, metadata={"help": "use at most this many"})
    max_eval_samples: int | None = field(default=None, metadata={"help": "evaluate at most this many"})


@dataclass(frozen=True)
class Splits:
    """The examples a run trains and evaluates on."""

    train: list[Example]
    evaluation: list[Example]
    skipped: SkipReport
    """Training rows left out, by reason."""
    eval_data: str
    """What ``evaluation`` is, in words, for the checkpoint card."""


def _named(source: str, split: str) -> str:
    return source if is_manifest(source) else f"{source} ({split} split)"


def read_splits(args: DataArguments) -> Splits:
    """Training and evaluation examples, with skips reported; raises DataError if no training data.

    Without ``eval_data`` a JSONL manifest is split by ``hold_out``, so a run never scores
    the clips it trained on; other sources evaluate on their ``eval_split``.
    """
    lo, hi = args.min_duration_s, args.max_duration_s
    train, skipped = read_examples(args.train_data, args.train_split, lo, hi)
    log.info("training data: %d utterances kept, skipped: %s", len(train), skipped.summary())
    if not train:
        raise DataError(f"no usable training utterances in {args.train_data} (skipped: {skipped.summary()})")
    if args.eval_data is None and is_manifest(args.train_data):
        if not 0 < args.eval_holdout_share < 1:
            raise DataError(f"eval_holdout_share is {args.eval_holdout_share}; give a share between 0 and 1")
        train, evaluation = hold_out(train, args.eval_holdout_share)
        held = f"held-out {args.eval_holdout_share:.0%} of {Path(args.train_data).name}"
    else:
        source = args.eval_data or args.train_data
        evaluation, eval_skipped = read_examples(source, args.eval_split, lo, hi)
        log.info("evaluation data: %d utterances kept, skipped: %s", len(evaluation), eval_skipped.summary())
        held = _named(source, args.eval_split)
        if held == _named(args.train_data, args.train_split):
            log.warning("evaluating on the training data: its CER will flatter the model")
    if args.max_train_samples is not None:
        train = train[: args.max_train_samples]
    if args.max_eval_samples is not None:
        evaluation = evaluation[: args.max_eval_samples]
    log.info("evaluating on %s: %d utterances", held, len(evaluation))
    return Splits(train, evaluation, skipped, f"{held} ({len(evaluation)} clips)")
