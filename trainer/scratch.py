"""Build CTC checkpoints with fresh (random) weights: the real architectures, any size.

Used by the ``tiny-synthetic`` preset to start from scratch, and by tests and benchmarks,
which need real model classes without downloading anything. The architecture shapes of
the two reference bases are written out here so they can be built offline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livekr.config import SAMPLE_RATE
from livekr.fileio import write_atomic
from livekr.text import PAD_TOKEN, UNK_TOKEN, WORD_DELIMITER

CONV_KERNELS = (10, 3, 3, 3, 3, 2, 2)
CONV_STRIDES = (5, 2, 2, 2, 2, 2, 2)
"""The wav2vec2 feature encoder: 320 samples (20 ms) per output frame."""


@dataclass(frozen=True)
class Architecture:
    """Shape of a wav2vec2-family encoder and how its feature extractor treats audio."""

    model_type: str
    """"wav2vec2" or "hubert"."""
    hidden_size: int
    layers: int
    heads: int
    intermediate_size: int
    conv_dim: int | tuple[int, ...]
    """Channels of the seven feature-encoder convolutions (one number for all)."""
    stable_layer_norm: bool
    """Pre-norm transformer with layer-normed conv encoder (XLS-R); else post-norm with group norm."""
    normalize_audio: bool
    """Zero-mean unit-variance input (wav2vec2 large models) or raw audio (HuBERT)."""
    pos_conv_kernel: int = 128
    pos_conv_groups: int = 16


ARCHITECTURES: dict[str, Architecture] = {
    # facebook/wav2vec2-xls-r-300m
    "xls-r-300m": Architecture("wav2vec2", 1024, 24, 16, 4096, 512, True, True),
    # ntu-spml/distilhubert
    "distilhubert": Architecture("hubert", 768, 2, 12, 3072, 512, False, False),
    # small shapes for CPU training and tests
    "tiny-wav2vec2": Architecture("wav2vec2", 64, 2, 2, 128, 32, True, True, 16, 2),
    "tiny-hubert": Architecture("hubert", 64, 2, 2, 128, 32, False, False, 16, 2),
    # light early convolutions: they run at the highest frame rates and dominate CPU time
    "mini-wav2vec2": Architecture(
        "wav2vec2", 192, 4, 4, 768, (32, 32, 64, 64, 128, 128, 192), True, True, 64, 16
    ),
    "small-wav2vec2": Architecture("wav2vec2", 256, 4, 4, 1024, 256, True, True, 64, 16),
}


def model_config(arch: Architecture, vocab_size: int, **overrides: Any) -> Any:
    """A transformers config for ``arch`` with a CTC head of ``vocab_size``."""
    from transformers import HubertConfig, Wav2Vec2Config

    cls = Wav2Vec2Config if arch.model_type == "wav2vec2" else HubertConfig
    kwargs: dict[str, Any] = dict(
        vocab_size=vocab_size,
        hidden_size=arch.hidden_size,
        num_hidden_layers=arch.layers,
        num_attention_heads=arch.heads,
        intermediate_size=arch.intermediate_size,
        conv_dim=arch.conv_dim if isinstance(arch.conv_dim, tuple) else (arch.conv_dim,) * len(CONV_KERNELS),
        conv_kernel=CONV_KERNELS,
        conv_stride=CONV_STRIDES,
        conv_bias=arch.stable_layer_norm,
        feat_extract_norm="layer" if arch.stable_layer_norm else "group",
        do_stable_layer_norm=arch.stable_layer_norm,
        num_conv_pos_embeddings=arch.pos_conv_kernel,
        num_conv_pos_embedding_groups=arch.pos_conv_groups,
        pad_token_id=0,
        bos_token_id=None,
        eos_token_id=None,
        ctc_loss_reduction="mean",
        ctc_zero_infinity=True,
        architectures=[f"{'Wav2Vec2' if arch.model_type == 'wav2vec2' else 'Hubert'}ForCTC"],
    )
    kwargs.update(overrides)
    return cls(**kwargs)


def build_processor(folder: str | Path, vocab: dict[str, int], normalize_audio: bool) -> Any:
    """Write ``vocab.json`` into ``folder`` (atomically) and return a Wav2Vec2Processor over it."""
    from transformers import Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor, Wav2Vec2Processor

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab_path = folder / "vocab.json"
    # Atomically: under torchrun every process writes the same file while the others may be
    # reading it, and a reader must never see it truncated.
    write_atomic(vocab_path, json.dumps(vocab, ensure_ascii=False, indent=0))
    tokenizer = Wav2Vec2CTCTokenizer(
        str(vocab_path),
        unk_token=UNK_TOKEN,
        pad_token=PAD_TOKEN,
        word_delimiter_token=WORD_DELIMITER,
        bos_token=None,
        eos_token=None,
    )
    extractor = Wav2Vec2FeatureExtractor(
        feature_size=1,
        sampling_rate=SAMPLE_RATE,
        padding_value=0.0,
        do_normalize=normalize_audio,
        return_attention_mask=normalize_audio,
    )
    return Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer)


def build_model(arch_name: str, vocab: dict[str, int], seed: int = 0, **overrides: Any) -> Any:
    """A ``*ForCTC`` model of ``arch_name`` with random weights."""
    import torch
    from transformers import AutoModelForCTC

    if arch_name not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch_name!r}; known: {', '.join(ARCHITECTURES)}")
    torch.manual_seed(seed)
    config = model_config(ARCHITECTURES[arch_name], len(vocab), **overrides)
    return AutoModelForCTC.from_config(config)


def save_checkpoint(
    folder: str | Path, arch_name: str, vocab: dict[str, int], seed: int = 0, **overrides: Any
) -> Path:
    """Build a random-weight checkpoint and save it with its processor (safetensors)."""
    folder = Path(folder)
    processor = build_processor(folder, vocab, ARCHITECTURES[arch_name].normalize_audio)
    model = build_model(arch_name, vocab, seed=seed, **overrides)
    model.save_pretrained(folder, safe_serialization=True)
    processor.save_pretrained(folder)
    return folder
