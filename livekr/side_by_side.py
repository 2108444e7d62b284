"""Finals of a file decoded side by side: each a whole forward pass on its own thread, the
results handed back in order.

Only where each final is an independent whole pass over a source read as fast as possible,
on the CPU (a GPU runs one pass at a time anyway); ``livekr.config.plan_file_decoding`` sets
how many and the threads each pass gets.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from livekr.config import PipelineOptions
from livekr.recognizer import Recognition


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
