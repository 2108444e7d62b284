"""``livekr-train``: fine-tune with a preset, ``livekr-train synth`` to make a corpus, or
``livekr-train lm`` to build a checkpoint's language model.

    livekr-train --preset xlsr-300m-zeroth [--learning_rate 1e-4 …]
    livekr-train --preset distilhubert-zeroth --dry-run
    livekr-train synth [--out FOLDER] [--sentences FILE]
    livekr-train lm --model CHECKPOINT TEXT_FILE… [--order 5] [--prune 0 0 1 1 1]

Any field of ModelArguments, DataArguments or transformers' TrainingArguments can be
given as ``--name value``; it overrides the preset.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from trainer.data import DataArguments, DataError
from trainer.finetune import ModelArguments
from trainer.progress import RunArguments

log = logging.getLogger("livekr.train")

PRESETS_DIR = Path(__file__).resolve().parent / "presets"
SYNTH_DIR_PLACEHOLDER = "{synth_dir}"
"""Stands in a preset's paths for the synthetic corpus folder (``trainer.synth.corpus_dir``)."""


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.json"))


def load_preset(name: str) -> dict[str, Any]:
    """A preset's arguments (keys starting with ``_`` are comments), with ``{synth_dir}`` in
    its strings replaced by the synthetic corpus folder, so its paths hold from any folder."""
    from trainer.synth import corpus_dir

    path = PRESETS_DIR / f"{name}.json"
    if not path.is_file():
        raise SystemExit(f"livekr-train: unknown preset {name!r}; choose one of {', '.join(preset_names())}")
    data = json.loads(path.read_text(encoding="utf-8"))
    synth_dir = str(corpus_dir())
    return {
        k: v.replace(SYNTH_DIR_PLACEHOLDER, synth_dir) if isinstance(v, str) else v
        for k, v in data.items()
        if not k.startswith("_")
    }


def default_output_dir(preset: str | None, base_model: str) -> str:
    """Where the app looks for models: ``<models folder>/<preset or base name>``."""
    from livekr.models import models_dir

    name = preset or base_model.replace(":", "-").rstrip("/").split("/")[-1]
    return str(models_dir() / name)


def build_parser() -> Any:
    from transformers import HfArgumentParser, TrainingArguments

    parser = HfArgumentParser(
        (ModelArguments, DataArguments, TrainingArguments, RunArguments)  # type: ignore[arg-type]
    )
    parser.prog = "livekr-train"
    parser.add_argument(
        "--dry-run", action="store_true", help="print the fully resolved arguments as JSON and exit"
    )
    return parser


def parse(argv: Sequence[str]) -> tuple[ModelArguments, DataArguments, Any, RunArguments, bool]:
    """Arguments with the preset as defaults and the command line on top."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--preset")
    known, _ = pre.parse_known_args(argv)
    parser = build_parser()
    defaults: dict[str, Any] = load_preset(known.preset) if known.preset else {}
    accepted = {action.dest for action in parser._actions}
    unknown = sorted(set(defaults) - accepted)
    if unknown:
        raise SystemExit(f"livekr-train: preset {known.preset} has unknown fields: {', '.join(unknown)}")
    defaults["preset"] = known.preset
    if not any(a == "--output_dir" or a.startswith("--output_dir=") for a in argv):
        base = defaults.get("base_model", ModelArguments.base_model)
        defaults["output_dir"] = default_output_dir(known.preset, base)
    parser.set_defaults(**defaults)
    model_args, data_args, training_args, run_args, extra = parser.parse_args_into_dataclasses(list(argv))
    return model_args, data_args, training_args, run_args, extra.dry_run


def resolved(
    model_args: ModelArguments, data_args: DataArguments, training_args: Any, run_args: RunArguments
) -> dict[str, Any]:
    """Everything that decides a run, as JSON-ready data."""
    return {
        "model": dataclasses.asdict(model_args),
        "data": dataclasses.asdict(data_args),
        "training": training_args.to_dict(),
        "run": dataclasses.asdict(run_args),
    }


def synth_parser() -> argparse.ArgumentParser:
    """The arguments of ``livekr-train synth``."""
    from trainer.synth import DEFAULT_SENTENCES, VOICES, corpus_dir

    p = argparse.ArgumentParser(prog="livekr-train synth", description="espeak-ng Korean corpus")
    p.add_argument(
        "--out",
        default=str(corpus_dir()),
        help="folder for audio/ and the manifests (default: where the tiny-synthetic preset reads them, "
        "%(default)s)",
    )
    p.add_argument(
        "--sentences",
        default=str(DEFAULT_SENTENCES),
        help="one sentence a line (default: everyday Korean sentences that come with livekr)",
    )
    p.add_argument("--voices", nargs="+", default=list(VOICES[:-1]))
    p.add_argument("--heldout-voice", default=VOICES[-1], help="'' for none")
    p.add_argument("--speeds", nargs="+", type=int, default=[130, 160], help="words a minute")
    p.add_argument("--pitches", nargs="+", type=int, default=[35, 60], help="0..99")
    p.add_argument("--noise-db", type=float, default=-45.0, help="white noise in half the clips")
    p.add_argument("--eval-share", type=float, default=0.1, help="share of sentences held out")
    p.add_argument("--max-sentences", type=int, help="use only the first N sentences")
    p.add_argument("--jobs", type=int, default=2)
    return p


def synth_main(argv: Sequence[str]) -> int:
    from trainer.synth import CorpusPlan, SynthError, make_corpus, read_sentences

    args = synth_parser().parse_args(argv)
    path = Path(args.sentences)
    if not path.is_file():
        print(f"livekr-train synth: {path}: no such sentence file", file=sys.stderr)
        return 1
    sentences = read_sentences(path)
    plan = CorpusPlan(
        tuple(args.voices),
        args.heldout_voice or None,
        tuple(args.speeds),
        tuple(args.pitches),
        args.eval_share,
        args.noise_db,
    )
    try:
        manifests = make_corpus(sentences[: args.max_sentences], args.out, plan, jobs=args.jobs)
    except SynthError as e:
        print(f"livekr-train synth: {e}", file=sys.stderr)
        return 1
    for name, manifest in manifests.items():
        rows = len(manifest.read_text(encoding="utf-8").splitlines())
        print(f"{name}: {manifest} ({rows} utterances)")
    return 0


def synth_hint(data_args: DataArguments) -> str:
    """What to do when the data is the synthetic corpus and it has not been made yet."""
    from trainer.synth import corpus_dir

    paths = [Path(p) for p in (data_args.train_data, data_args.eval_data) if p]
    if any(p.parent == corpus_dir() and not p.exists() for p in paths):
        return "; make the synthetic corpus first: livekr-train synth"
    return ""


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="livekr-train: %(message)s")
    if argv[:1] == ["synth"]:
        return synth_main(argv[1:])
    if argv[:1] == ["lm"]:
        from trainer.lm import lm_main

        return lm_main(argv[1:])
    model_args, data_args, training_args, run_args, dry_run = parse(argv)
    if dry_run:
        print(json.dumps(resolved(model_args, data_args, training_args, run_args), indent=1, default=str))
        return 0
    from trainer.finetune import run

    try:
        card = run(model_args, data_args, training_args, run_args)
    except DataError as e:
        print(f"livekr-train: {e}{synth_hint(data_args)}", file=sys.stderr)
        return 1
    if card:
        print(json.dumps(card, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
