"""Fine-tune a CTC model with the Hugging Face Trainer and write a checkpoint livekr loads.

``run(model_args, data_args, training_args)`` goes in numbered steps; every data transform
is a top-level function. The output folder alone is enough for inference: weights
(safetensors), processor, tokenizer with its vocabulary, and the ``livekr.json`` card.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import SequentialSampler
from transformers import Trainer
from transformers.trainer_pt_utils import LengthGroupedSampler

from livekr.card import training_card
from livekr.card import write_card as write_card_file
from livekr.config import SAMPLE_RATE
from livekr.ctc import TokenTable
from livekr.recognizer import load_recognizer
from livekr.text import NORMALISER_VERSION, VocabKind, build_vocab, to_units, vocab_kind
from trainer.data import DataArguments, Example, SkipReport, load_audio, read_splits
from trainer.evaluate import EVAL_RECOGNIZER
from trainer.metrics import ErrorRates, error_rates
from trainer.progress import ProgressLog, RunArguments
from trainer.scratch import ARCHITECTURES, build_model, build_processor

log = logging.getLogger(__name__)

SCRATCH_PREFIX = "scratch:"


@dataclass
class ModelArguments:
    """What to fine-tune and how the CTC head and augmentation are set up."""

    base_model: str = field(
        default="facebook/wav2vec2-xls-r-300m",
        metadata={
            "help": "hub id or folder of a pretrained encoder, or scratch:ARCH "
            f"({', '.join(ARCHITECTURES)}) to start from random weights"
        },
    )
    vocab_kind: VocabKind = field(default="syllable", metadata={"help": "syllable or jamo output units"})
    tokenizer: str | None = field(
        default=None, metadata={"help": "take the vocabulary from this checkpoint instead of the data"}
    )
    freeze_feature_encoder: bool = field(
        default=True, metadata={"help": "keep the convolutional feature encoder of a pretrained base fixed"}
    )
    attention_dropout: float = field(default=0.0, metadata={"help": "dropout in attention"})
    hidden_dropout: float = field(default=0.0, metadata={"help": "dropout in hidden layers"})
    feat_proj_dropout: float = field(default=0.0, metadata={"help": "dropout after feature projection"})
    final_dropout: float = field(default=0.0, metadata={"help": "dropout before the CTC head"})
    mask_time_prob: float = field(
        default=0.05, metadata={"help": "SpecAugment: share of frames masked in time"}
    )
    mask_time_length: int = field(default=10, metadata={"help": "SpecAugment: frames per time mask"})
    mask_feature_prob: float = field(default=0.0, metadata={"help": "SpecAugment: share of channels masked"})
    mask_feature_length: int = field(default=10, metadata={"help": "SpecAugment: channels per mask"})
    layerdrop: float = field(default=0.0, metadata={"help": "probability of skipping a transformer layer"})
    ctc_zero_infinity: bool = field(
        default=True, metadata={"help": "zero infinite CTC losses (too-short inputs)"}
    )


class SpeechDataset(torch.utils.data.Dataset):
    """Examples → model inputs; audio is decoded when an item is asked for."""

    def __init__(self, examples: list[Example], processor: Any, vocab_kind: VocabKind) -> None:
        self.examples = examples
        self.processor = processor
        self.vocab_kind = vocab_kind
        self.lengths = [int(ex.duration_s * SAMPLE_RATE) for ex in examples]

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return encode_example(self.examples[index], self.processor, self.vocab_kind)


def encode_example(example: Example, processor: Any, vocab_kind: VocabKind) -> dict[str, Any]:
    """{"input_values": float32 features, "labels": token ids} for one example."""
    audio = load_audio(example.audio)
    features = processor.feature_extractor(audio, sampling_rate=SAMPLE_RATE)
    labels = processor.tokenizer(to_units(example.text, vocab_kind)).input_ids
    return {"input_values": np.asarray(features.input_values[0], dtype=np.float32), "labels": labels}


@dataclass
class CTCCollator:
    """Pads a batch: audio with the feature extractor's padding, labels with -100."""

    processor: Any

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        audio = [{"input_values": f["input_values"]} for f in features]
        labels = [{"input_ids": f["labels"]} for f in features]
        batch = self.processor.feature_extractor.pad(audio, padding=True, return_tensors="pt")
        padded = self.processor.tokenizer.pad(labels, padding=True, return_tensors="pt")
        batch["labels"] = padded["input_ids"].masked_fill(padded["attention_mask"].ne(1), -100)
        return dict(batch)


def best_ids(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Keep only the best id per frame during evaluation (memory: ids, not logits)."""
    return logits.argmax(dim=-1)


@dataclass(frozen=True)
class CTCMetrics:
    """The Trainer's ``compute_metrics``: best-path ids (from ``best_ids``) decoded with
    livekr's own CTC decoder and scored against the evaluation transcripts, in order."""

    tokens: TokenTable
    references: list[str]

    def __call__(self, prediction: Any) -> dict[str, float]:
        ids = np.asarray(prediction.predictions)
        if len(ids) < len(self.references):
            raise ValueError(f"{len(ids)} predictions for {len(self.references)} references")
        hypotheses = [self.tokens.decode_ids(row) for row in ids[: len(self.references)]]
        rates = error_rates(self.references, hypotheses)
        return {"cer": rates.cer, "wer": rates.wer}


def make_vocab(model_args: ModelArguments, train: list[Example]) -> tuple[dict[str, int], VocabKind]:
    """The vocabulary and the units it spells.

    With ``--tokenizer`` the tokenizer's own tokens decide the units: a jamo tokenizer read
    with ``--vocab_kind syllable`` (the default) would turn every label into [UNK]; a
    ``--vocab_kind`` that disagrees is overridden, with a warning, and training text the
    vocabulary cannot spell is reported. Else the vocabulary is built from the training text.
    """
    if not model_args.tokenizer:
        return build_vocab((ex.text for ex in train), model_args.vocab_kind), model_args.vocab_kind
    from transformers import AutoTokenizer

    vocab = dict(AutoTokenizer.from_pretrained(model_args.tokenizer).get_vocab())
    kind = vocab_kind(vocab)
    if kind != model_args.vocab_kind:
        log.warning(
            "the tokenizer of %s spells %s units: training with vocab_kind %s, not %s",
            model_args.tokenizer, kind, kind, model_args.vocab_kind,
        )
    units = [u for ex in train for u in to_units(ex.text, kind) if u != " "]
    unknown = sum(1 for u in units if u not in vocab)
    if unknown:
        log.warning(
            "%.1f %% of the training text's characters are not in the vocabulary of %s; they are "
            "learnt as [UNK]", 100 * unknown / len(units), model_args.tokenizer,
        )
    return vocab, kind


def normalize_audio_for(base_model: str) -> bool:
    """Whether the base expects zero-mean unit-variance audio (wav2vec2 large) or raw (HuBERT)."""
    if base_model.startswith(SCRATCH_PREFIX):
        return ARCHITECTURES[base_model[len(SCRATCH_PREFIX) :]].normalize_audio
    from transformers import AutoFeatureExtractor

    try:
        return bool(AutoFeatureExtractor.from_pretrained(base_model).do_normalize)
    except (OSError, ValueError):
        return "hubert" not in base_model.lower()


def make_model(model_args: ModelArguments, vocab: dict[str, int], seed: int) -> Any:
    """A ``*ForCTC`` model with a fresh head of ``len(vocab)`` outputs."""
    overrides: dict[str, Any] = {
        f.name: getattr(model_args, f.name)
        for f in dataclasses.fields(model_args)
        if f.name
        in {
            "attention_dropout",
            "hidden_dropout",
            "feat_proj_dropout",
            "final_dropout",
            "mask_time_prob",
            "mask_time_length",
            "mask_feature_prob",
            "mask_feature_length",
            "layerdrop",
            "ctc_zero_infinity",
        }
    }
    base = model_args.base_model
    if base.startswith(SCRATCH_PREFIX):
        return build_model(base[len(SCRATCH_PREFIX) :], vocab, seed=seed, **overrides)
    from transformers import AutoModelForCTC

    model = AutoModelForCTC.from_pretrained(
        base,
        vocab_size=len(vocab),
        pad_token_id=vocab["[PAD]"],
        ctc_loss_reduction="mean",
        ignore_mismatched_sizes=True,
        use_safetensors=True,
        **overrides,
    )
    if model_args.freeze_feature_encoder:
        model.freeze_feature_encoder()
    return model


def score_checkpoint(folder: Path, examples: list[Example]) -> ErrorRates:
    """CER/WER of the checkpoint in ``folder`` through livekr's recognizer (as ``livekr-eval``)."""
    from trainer.evaluate import evaluate

    recognizer = load_recognizer(str(folder), EVAL_RECOGNIZER)  # the same as livekr-eval's
    return evaluate(recognizer, examples, SkipReport()).rates


def write_card(
    folder: Path,
    model_args: ModelArguments,
    data_args: DataArguments,
    n_train: int,
    skipped: SkipReport,
    rates: ErrorRates | None,
    eval_data: str | None = None,
) -> dict[str, Any]:
    """Write ``livekr.json`` next to the weights, atomically, and return it (CER/WER in percent).

    ``eval_data`` says in words what ``rates`` were measured on (``Splits.eval_data``).
    """
    card = training_card(
        base_model=model_args.base_model,
        preset=data_args.preset,
        vocab_kind=model_args.vocab_kind,
        normaliser_version=NORMALISER_VERSION,
        train_data=data_args.train_data,
        eval_data=eval_data if rates is not None else None,
        train_utterances=n_train,
        skipped=skipped.counts,
        cer=None if rates is None else rates.cer,
        wer=None if rates is None else rates.wer,
        eval_utterances=None if rates is None else rates.utterances,
    )
    write_card_file(folder, card)
    return card


def adapt_to_device(args: Any) -> Any:
    """Mixed precision and pinned memory need a GPU: on the CPU go without, and say so."""
    if torch.cuda.is_available():
        return args
    if args.fp16 or args.bf16:
        log.warning("mixed precision needs a GPU; training in fp32 on the CPU")
    return dataclasses.replace(args, fp16=False, bf16=False, dataloader_pin_memory=False)


class CTCTrainer(Trainer):
    """The Trainer, with a length-grouped sampler that uses the known clip durations
    instead of decoding every clip to measure it."""

    def _get_train_sampler(self, train_dataset: Any = None) -> Any:
        dataset = train_dataset if train_dataset is not None else self.train_dataset
        if self.args.train_sampling_strategy == "group_by_length" and isinstance(dataset, SpeechDataset):
            size = self.args.train_batch_size * self.args.gradient_accumulation_steps
            return LengthGroupedSampler(size, lengths=dataset.lengths)
        return super()._get_train_sampler(train_dataset)

    def _get_eval_sampler(self, eval_dataset: Any) -> Any:
        # Evaluation keeps the dataset's order (the Trainer would group it by length too),
        # so predictions line up with the reference transcripts.
        if self.args.world_size <= 1:
            return SequentialSampler(eval_dataset)
        return super()._get_eval_sampler(eval_dataset)


def make_trainer(
    model: Any,
    args: Any,
    processor: Any,
    train: list[Example],
    evaluation: list[Example],
    vocab_kind: VocabKind,
    callbacks: list[Any],
) -> CTCTrainer:
    """A CTCTrainer whose evaluation decodes with livekr's decoder."""
    tokens = TokenTable.from_tokenizer(processor.tokenizer)
    return CTCTrainer(
        model=model,
        args=args,
        data_collator=CTCCollator(processor),
        train_dataset=SpeechDataset(train, processor, vocab_kind),
        eval_dataset=SpeechDataset(evaluation, processor, vocab_kind) if evaluation else None,
        processing_class=processor,
        compute_metrics=CTCMetrics(tokens, [ex.text for ex in evaluation]),
        preprocess_logits_for_metrics=best_ids,
        callbacks=callbacks,
    )


def run(
    model_args: ModelArguments,
    data_args: DataArguments,
    training_args: Any,
    run_args: RunArguments | None = None,
) -> dict[str, Any]:
    """Fine-tune and save; returns the checkpoint card (empty on processes other than the first)."""
    run_args = run_args or RunArguments()
    from transformers.trainer_utils import get_last_checkpoint

    # 1. Data, with bad rows counted and skipped, and what the evaluation is.
    splits = read_splits(data_args)
    train, evaluation = splits.train, splits.evaluation
    # 2. Vocabulary (and the units it spells) and processor, written into the output folder.
    out = Path(training_args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    vocab, kind = make_vocab(model_args, train)
    model_args = dataclasses.replace(model_args, vocab_kind=kind)
    processor = build_processor(out, vocab, normalize_audio_for(model_args.base_model))
    # 3. Model with a CTC head for this vocabulary.
    model = make_model(model_args, vocab, seed=training_args.seed)
    # 4. Trainer, adapted to the device it runs on.
    training_args = adapt_to_device(training_args)
    progress = ProgressLog(out / "progress.jsonl", run_args.max_train_minutes)
    trainer = make_trainer(
        model, training_args, processor, train, evaluation, model_args.vocab_kind, [progress]
    )
    # 5. Train, resuming from the last checkpoint in the output folder if there is one.
    last = (
        get_last_checkpoint(str(out))
        if training_args.resume_from_checkpoint is None
        else (training_args.resume_from_checkpoint)
    )
    if last:
        log.info("resuming from %s", last)
    trainer.train(resume_from_checkpoint=last or None)
    # 6. Save weights and processor, then score the saved folder one utterance at a time,
    #    exactly as the app loads and decodes it, for the card.
    trainer.save_model(str(out))
    if not trainer.is_world_process_zero():
        return {}
    processor.save_pretrained(str(out))
    rates = score_checkpoint(out, evaluation) if evaluation else None
    card = write_card(out, model_args, data_args, len(train), splits.skipped, rates, splits.eval_data)
    log.info("wrote %s (CER %s %%, WER %s %%)", out, card["cer"], card["wer"])
    return card
