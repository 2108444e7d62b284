"""The decoder a recognizer uses: beam search where there is something to steer it, greedy
otherwise, with one log line saying which and why.

    decoder = load_decoder(tokens, frame_s, DecoderOptions(...), model_ref)
    stream = decoder.begin()          # at the start of an utterance
    stream.step(stitched_frames)      # as frames are fixed (any block sizes)
    stream.partial(provisional)       # text so far, plus frames that may still change
    result = stream.end(tail)         # the last frames; text, per-character times, confidence
    decoder.set_hotwords(words)       # from any thread; used from the next begin()

Streams belong to one thread (the pipeline's worker). Standard library and numpy only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from livekr.beam import BeamSettings, Scorer
from livekr.card import read_card
from livekr.config import DecoderOptions
from livekr.ctc import Decoded, GreedyStream, TokenTable
from livekr.hotwords import Hotword, HotwordError, compile_hotwords, read_hotwords
from livekr.lm import BOS, EOS, UNK, LanguageModelError, NgramModel, read_arpa
from livekr.messages import Message
from livekr.text import vocab_kind

log = logging.getLogger(__name__)

MIN_LM_UNIT_SHARE = 0.5
"""An LM whose units are mostly not the model's (a word-level LM, another vocabulary) is refused."""


class DecodeStream(Protocol):
    """Decoding of one utterance, fed its frames in order (see ``livekr.beam.BeamSearch``)."""

    def step(self, log_probs: np.ndarray) -> None: ...

    def partial(self, provisional: np.ndarray | None = None) -> Decoded: ...

    def end(self, tail: np.ndarray | None = None) -> Decoded: ...


def lm_home(model_ref: str) -> Path:
    """Where a model's LM and its card live: the checkpoint folder, or for a hub id
    ``<models folder>/lm/<owner>--<name>``."""
    folder = Path(model_ref).expanduser()
    if folder.is_dir():
        return folder
    from livekr.models import models_dir

    return models_dir() / "lm" / model_ref.replace("/", "--")


def resolve_lm(choice: str, model_ref: str | None) -> tuple[Path | None, str]:
    """(the LM file to load or None, where it came from or why there is none: a ``Message``, or
    the file as given)."""
    if choice == "none":
        return None, Message("lm.none_chosen")
    if choice != "auto":
        return Path(choice).expanduser(), choice
    if model_ref is None:
        return None, Message("lm.no_model")
    home = lm_home(model_ref)
    entry = read_card(home).get("lm")
    if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
        return None, Message("lm.not_in_card", ref=model_ref)
    return home / entry["file"], Message("lm.from_card", file=entry["file"], ref=model_ref)


def check_lm_units(lm: NgramModel, tokens: TokenTable) -> str | None:
    """Why ``lm`` does not speak in the model's units, or None when it does."""
    units = [u for u in lm.vocab if u not in (UNK, BOS, EOS)]
    known = set(tokens.id_to_token)
    share = sum(u in known for u in units) / max(len(units), 1)
    if share < MIN_LM_UNIT_SHARE:
        example = next((u for u in units if u not in known), "")
        return (f"only {share:.0%} of its units are the model's (e.g. {example!r}): it was built for "
                "another vocabulary or over words; build one with livekr-train lm --model")
    return None


class Decoder:
    """A model's decoder: makes one stream per utterance (``begin``)."""

    def __init__(self, tokens: TokenTable, frame_s: float, options: DecoderOptions,
                 lm: NgramModel | None = None, lm_label: str = "", lm_file: str = "") -> None:
        self.tokens = tokens
        self.frame_s = frame_s
        self.options = options
        self.lm = lm
        self.lm_label = lm_label
        """Where the LM came from, or why there is none (for people; a ``Message`` renders in
        the window's language)."""
        self.lm_file = lm_file
        self._settings = BeamSettings(options.beam_size, options.lm_weight, options.insertion_bonus)
        self._token_ids = {tok: i for i, tok in enumerate(tokens.id_to_token) if tok}
        self._kind = vocab_kind(tokens.id_to_token)
        self._scorer = self._make_scorer(())
        self.hotword_count = 0
        self.file_words: list[Hotword] = []
        """The words of the options' custom-words file (``load_decoder``)."""

    def _make_scorer(self, words: Sequence[Hotword]) -> Scorer | None:
        """The beam's scorer, or None where greedy decoding is what the options ask for."""
        graph, problems = compile_hotwords(words, self._token_ids, self._kind, self.tokens.word_delimiter,
                                           self.options.hotword_boost)
        for problem in problems:
            log.warning("%s", problem)
        self.hotword_count = graph.words
        wanted = self.options.decoder == "beam" or (
            self.options.decoder == "auto" and (self.lm is not None or graph.words > 0))
        if not wanted:
            return None
        return Scorer(self.tokens, self.frame_s, self._settings, self.lm, graph if graph.words else None)

    def set_hotwords(self, words: Sequence[Hotword]) -> None:
        """Use ``words`` from the next ``begin()`` on (any thread may call this; the swap is one
        assignment). Words the model cannot write are left out with a warning."""
        self._scorer = self._make_scorer(words)
        log.info("%s", self.description)

    def set_custom_words(self, words: Sequence[Hotword]) -> None:
        """Use the file's words plus ``words`` (the window's list), as ``set_hotwords`` does."""
        self.set_hotwords(merge_hotwords(self.file_words, words))

    @property
    def uses_beam(self) -> bool:
        return self._scorer is not None

    @property
    def description(self) -> str:
        """One line for the log and the command line: what decodes and with what (English)."""
        return ", ".join(self._description())

    def describe(self, lang: str) -> str:
        """``description`` as a window shows it in ``lang`` ("ko" or "en"): naming no flags."""
        return ", ".join(part.text(lang) for part in self._description())

    def _description(self) -> list[Message]:
        if self._scorer is None:
            if self.options.decoder == "greedy":
                return [Message("decoder.greedy_chosen")]
            return [Message("decoder.greedy_nothing", lm=self.lm_label or Message("lm.unnamed"))]
        parts = [Message("decoder.beam", size=self._settings.beam_size)]
        if self.lm is not None:
            parts.append(Message("decoder.lm", order=self.lm.order, label=self.lm_label,
                                 weight=self._settings.lm_weight, bonus=self._settings.insertion_bonus))
        if self.hotword_count:
            parts.append(Message("decoder.custom_words", count=self.hotword_count))
        return parts

    def settings(self) -> dict[str, Any]:
        """What decodes, as JSON-ready data for model cards and reports."""
        if self._scorer is None:
            return {"kind": "greedy"}
        o = self.options
        out: dict[str, Any] = {"kind": "beam", "beam_size": o.beam_size, "insertion_bonus": o.insertion_bonus}
        if self.lm is not None:
            out.update(lm=self.lm_file or self.lm_label, lm_order=self.lm.order, lm_weight=o.lm_weight)
        if self.hotword_count:
            out.update(hotwords=self.hotword_count, hotword_boost=o.hotword_boost)
        return out

    def begin(self) -> DecodeStream:
        """A stream for the next utterance."""
        scorer = self._scorer
        return scorer.begin() if scorer is not None else GreedyStream(self.tokens, self.frame_s)

    def decode(self, log_probs: np.ndarray) -> Decoded:
        """A whole utterance's (frames × classes) log-posteriors at once."""
        return self.begin().end(log_probs)


def load_lm(path: Path, tokens: TokenTable) -> NgramModel:
    """Read the LM at ``path`` and check that it is over the model's units; raises
    ``LanguageModelError`` with the reason otherwise."""
    lm = read_arpa(path)
    problem = check_lm_units(lm, tokens)
    if problem is not None:
        raise LanguageModelError(f"{path}: {problem}")
    return lm


def load_decoder(tokens: TokenTable, frame_s: float, options: DecoderOptions,
                 model_ref: str | None = None, extra_words: Sequence[Hotword] = ()) -> Decoder:
    """The decoder ``options`` ask for, degraded to what is possible with a warning: an LM that
    cannot be read or does not fit the model, or a custom-words file that cannot be read,
    is left out; with neither, decoding is greedy. ``extra_words`` (the window's list) join the
    file's words. Logs one line saying what decodes."""
    path, label = resolve_lm(options.lm, model_ref)
    lm = None
    if path is not None and options.decoder != "greedy":
        try:
            lm = load_lm(path, tokens)
        except LanguageModelError as e:
            log.warning("language model not used: %s", e)
            label = Message("lm.unusable", path=path)
    decoder = Decoder(tokens, frame_s, options, lm, label, str(path.resolve()) if lm and path else "")
    decoder.file_words = file_hotwords(options)
    decoder.set_custom_words(extra_words)
    return decoder


def file_hotwords(options: DecoderOptions) -> list[Hotword]:
    """The words of ``options.hotwords`` (none, with a warning, where the file cannot be read)."""
    if not options.hotwords:
        return []
    try:
        return read_hotwords(options.hotwords)
    except HotwordError as e:
        log.warning("custom words not used: %s", e)
        return []


def merge_hotwords(*lists: Sequence[Hotword]) -> list[Hotword]:
    """One list; a word in several takes its boost from the last."""
    merged: dict[str, Hotword] = {}
    for words in lists:
        merged.update((w.text, w) for w in words)
    return list(merged.values())
