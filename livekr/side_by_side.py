"""Finals of a file decoded side by side: each a whole forward pass on its own thread, the
results handed back in order.

Only where each final is an independent whole pass over a source read as fast as possible,
on the CPU (a GPU runs one pass at a time anyway); ``plan_file_decoding`` sets how many and
the threads each pass gets.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from livekr.config import PipelineOptions
from livekr.recognizer import Recognition

AUTO_PARALLEL_FINALS = 4
"""At most this many finals at once when the count is chosen from the cores (memory: each
forward pass holds its own activations)."""


def plan_file_decoding(parallel_finals: int, threads: int, cores: int) -> tuple[int, int]:
    """(finals decoded at once, CPU threads per forward pass) for a file read as fast as possible.

    Forward passes of separate utterances side by side, one thread each, are as fast as one
    pass spread over all cores on an idle machine and much faster when other programs want
    the cores too (a pass on several threads waits for the slowest of them; ``bench/parallel.py``).
    A thread count given by the user is kept; ``parallel_finals`` 0 then means one at a time."""
    workers = parallel_finals or (min(max(cores, 1), AUTO_PARALLEL_FINALS) if threads == 0 else 1)
    if threads == 0 and workers > 1:
        threads = max(1, cores // workers)
    return workers, threads


def side_by_side_count(options: PipelineOptions, recognizer: Any, live: bool, windowed: bool) -> int:
    """How many finals to decode at once: ``options.parallel_finals`` for a file read as fast
    as possible, decoded whole, with no partials, on the CPU; else 1."""
    on_gpu = str(getattr(recognizer, "device", "cpu")).startswith("cuda")
    if options.parallel_finals <= 1 or live or windowed or options.partials or on_gpu:
        return 1
    return options.parallel_finals


class SideBySide:
    """Runs ``decode`` on several utterances at once: the first on the calling thread, the
    others on a pool of ``workers - 1`` threads made once."""

    def __init__(self, workers: int, decode: Callable[[np.ndarray], Recognition]) -> None:
        self._decode = decode
        self._pool = ThreadPoolExecutor(max(workers - 1, 1), thread_name_prefix="livekr-final")

    def decode(self, audios: list[np.ndarray]) -> list[Recognition | Exception]:
        """One outcome per audio, in order: its recognition or the exception it raised."""
        futures: list[Future[Recognition]] = [self._pool.submit(self._decode, a) for a in audios[1:]]
        outcomes: list[Recognition | Exception] = []
        try:
            outcomes.append(self._decode(audios[0]))
        except Exception as e:
            outcomes.append(e)
        for future in futures:
            try:
                outcomes.append(future.result())
            except Exception as e:
                outcomes.append(e)
        return outcomes

    def close(self) -> None:
        self._pool.shutdown()
