"""Limits of a training run beyond what the Trainer knows, and its progress log."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

log = logging.getLogger(__name__)


@dataclass
class RunArguments:
    """Limits of one run beyond what the Trainer knows."""

    max_train_minutes: float | None = field(
        default=None, metadata={"help": "stop training after this much wall time (then evaluate and save)"}
    )


class ProgressLog(TrainerCallback):
    """A Trainer callback: every log line, with the wall time since training began, appended to
    ``progress.jsonl`` in the output folder; stops training when the time budget is spent."""

    def __init__(self, path: Path, max_minutes: float | None) -> None:
        super().__init__()
        self.path = path
        self.max_s = None if max_minutes is None else max_minutes * 60
        self._t0 = time.monotonic()

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._t0 = time.monotonic()

    def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero or not logs:
            return
        row = {"elapsed_s": round(time.monotonic() - self._t0, 1), "step": state.global_step, **logs}
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row, default=float) + "\n")

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.max_s is not None and time.monotonic() - self._t0 >= self.max_s:
            log.info("time budget of %.1f min spent at step %d", self.max_s / 60, state.global_step)
            control.should_training_stop = True
