"""transformers' chunked ASR pipeline on one file, as a whole process (``filespeed.py`` times it).

    .venv/bin/python bench/baseline_asr.py AUDIO CHECKPOINT [--chunk-length-s 10] [--threads 1] [-o OUT]

Loads the checkpoint with ``AutoModelForCTC`` and its processor, reads the file with
soundfile (the pipeline's own reader needs ffmpeg) and runs
``pipeline("automatic-speech-recognition", chunk_length_s=…)`` on the CPU in fp32; writes the
text (jamo composed) to ``-o`` or stdout.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("audio", type=Path)
    p.add_argument("checkpoint", type=Path)
    p.add_argument("--chunk-length-s", type=float, default=10.0)
    p.add_argument("--threads", type=int, default=0, help="torch threads; 0: torch's default")
    p.add_argument("-o", "--output", type=Path)
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    import soundfile
    import torch
    import transformers
    from transformers import AutoModelForCTC, AutoProcessor

    from livekr.text import compose_jamo

    if args.threads:
        torch.set_num_threads(args.threads)
    processor = AutoProcessor.from_pretrained(str(args.checkpoint))
    model = AutoModelForCTC.from_pretrained(str(args.checkpoint)).eval()
    asr = transformers.pipeline("automatic-speech-recognition", model=model, tokenizer=processor.tokenizer,
                                feature_extractor=processor.feature_extractor,
                                chunk_length_s=args.chunk_length_s, device="cpu")
    audio, rate = soundfile.read(str(args.audio), dtype="float32")
    if audio.ndim == 2:
        audio = audio.mean(axis=1)
    result: dict = asr({"raw": audio, "sampling_rate": rate})  # type: ignore[assignment]
    text = compose_jamo(str(result["text"]))
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
