"""The trainer's console scripts, ``livekr-train`` and ``livekr-eval``: without the training
extra (a plain ``pip install livekr``) they say in one line what to install instead of
ending in a traceback."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

TRAIN_EXTRA = frozenset({"accelerate", "datasets", "jiwer"})
"""Top-level modules that come only with ``livekr[train]``."""
EXIT_MISSING = 1


def run(module: str, program: str, argv: Sequence[str] | None = None) -> int:
    """``module.main(argv)``; when importing it lacks a module of the training extra, one line
    on stderr and exit status 1."""
    try:
        main = importlib.import_module(module).main
    except ModuleNotFoundError as e:
        if (e.name or "").split(".")[0] not in TRAIN_EXTRA:
            raise
        print(f"{program}: the training extra is not installed ({e.name} is missing): "
              "pip install 'livekr[train]'", file=sys.stderr)
        return EXIT_MISSING
    return int(main(argv))


def train() -> int:
    return run("trainer.cli", "livekr-train")


def evaluate() -> int:
    return run("trainer.evaluate", "livekr-eval")
