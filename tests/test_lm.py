"""Token-level n-gram LMs: the modified Kneser-Ney estimator and ARPA writer (trainer.ngram),
the ARPA reader and scorer (livekr.lm), and ``livekr-train lm`` on a real checkpoint folder."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from livekr.lm import BOS, EOS, UNK, LanguageModelError, read_arpa
from trainer.ngram import count, estimate, prune, write_arpa

TEXT = [
    "오늘 날씨가 좋다", "오늘 날씨가 나쁘다", "내일 날씨가 좋다", "오늘 바람이 분다",
    "날씨가 좋아서 산책을 간다", "내일 비가 온다", "오늘 비가 그친다", "바람이 좋다",
]


def units(sentence: str) -> list[str]:
    return ["|" if ch == " " else ch for ch in sentence]


def built(tmp_path: Path, order: int = 3, thresholds: list[int] | None = None) -> Path:
    counts = count([units(s) for s in TEXT], order)
    model = estimate(counts)
    if thresholds is not None:
        model = prune(model, counts, thresholds)
    path = tmp_path / "lm.arpa"
    write_arpa(path, model)
    return path


def all_next_sum(lm, history: list[str]) -> float:
    state = lm.begin()
    for unit in history:
        state = lm.score(state, lm.id_of(unit))[1]
    return sum(math.exp(lm.score(state, i)[0]) for u, i in lm.vocab.items() if u != BOS)


@pytest.mark.parametrize("thresholds", [None, [0, 1, 1], [0, 0, 1]])
def test_every_distribution_sums_to_one(tmp_path: Path, thresholds: list[int] | None) -> None:
    lm = read_arpa(built(tmp_path, 3, thresholds))
    for history in ([], ["오"], ["오", "늘"], ["날", "씨", "가"], ["|"], ["바", "람"], ["좋", "다"], ["쀍"]):
        assert all_next_sum(lm, history) == pytest.approx(1.0, abs=1e-5)


def test_pruning_drops_rare_ngrams_and_keeps_their_contexts(tmp_path: Path) -> None:
    full = read_arpa(built(tmp_path, 3))
    pruned = read_arpa(built(tmp_path, 3, [0, 1, 1]))
    assert len(pruned.probs) < len(full.probs)
    for gram in pruned.probs:
        if len(gram) > 1:
            assert gram[:-1] in pruned.probs and gram[1:] in pruned.probs


def test_unknown_units_have_the_probability_of_unk_not_minus_100(tmp_path: Path) -> None:
    lm = read_arpa(built(tmp_path))
    assert UNK in lm.vocab and lm.id_of("쀍") == lm.unk_id
    unk_lp = lm.score(lm.begin(), lm.unk_id)[0]
    assert -15 < unk_lp < -1  # possible, unlike KenLM's -100 for a model without <unk>
    assert lm.sentence_score(units("오늘 날씨가 좋다")) > lm.sentence_score(units("오늘 쀍씨가 좋다"))


def test_a_seen_sentence_beats_a_shuffled_one(tmp_path: Path) -> None:
    lm = read_arpa(built(tmp_path))
    assert lm.sentence_score(units("오늘 날씨가 좋다")) > lm.sentence_score(units("다좋 가씨날 늘오")) + 5


def test_scores_agree_with_kenlm(tmp_path: Path) -> None:
    kenlm = pytest.importorskip("kenlm")
    path = built(tmp_path, 4, [0, 0, 1, 1])
    ours, theirs = read_arpa(path), kenlm.Model(str(path))
    for sentence in [*TEXT, "바람이 온다", "쀍 날씨"]:
        u = [x if x in ours.vocab else UNK for x in units(sentence)]
        assert ours.sentence_score(u) / math.log(10) == pytest.approx(theirs.score(" ".join(u)), abs=1e-4)


def test_arpa_without_unk_gets_one_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "no_unk.arpa"
    path.write_text("\\data\\\nngram 1=4\n\n\\1-grams:\n-1.0\t</s>\n-99\t<s>\t-0.3\n-0.5\t가\n-2.0\t나\n\n"
                    "\\end\\\n", encoding="utf-8")
    with caplog.at_level("WARNING"):
        lm = read_arpa(path)
    assert "has no <unk>" in caplog.text
    assert lm.score(lm.begin(), lm.unk_id)[0] == pytest.approx(-2.0 * math.log(10))
    assert EOS in lm.vocab


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "no \\data\\ header"),
        ("hello\n", "not an ARPA file"),
        ("\\data\\\nngram 1=3\n\n\\1-grams:\n-1\t가\n\\end\\\n", "announces 3 1-grams but 1"),
        ("\\data\\\nngram 1=1\n\n\\1-grams:\nx\t가\n\\end\\\n", ":5: not a number"),
        ("\\data\\\nngram 1=1\n\n\\2-grams:\n-1\t가 나\n\\end\\\n", ":4: \\2-grams: is not announced"),
    ],
)
def test_bad_arpa_files_are_named_with_the_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.arpa"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LanguageModelError, match=r"bad\.arpa") as info:
        read_arpa(path)
    assert message in str(info.value)


def test_missing_or_binary_lm_files_give_one_line(tmp_path: Path) -> None:
    with pytest.raises(LanguageModelError, match="cannot read the language model"):
        read_arpa(tmp_path / "absent.arpa")
    binary = tmp_path / "lm.bin"
    binary.write_bytes(b"mmap lm http://kheafield.com/code\x00\xff\xfe")
    with pytest.raises(LanguageModelError, match="not"):
        read_arpa(binary)


def test_livekr_train_lm_writes_beside_the_checkpoint_and_records_it(
    tmp_path: Path, korean_vocab: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    from trainer.cli import main
    from trainer.scratch import build_processor

    folder = tmp_path / "ckpt"
    build_processor(folder, korean_vocab, True).save_pretrained(folder)
    (folder / "livekr.json").write_text(json.dumps({"preset": "x", "cer": 12.5}), encoding="utf-8")
    text = tmp_path / "ko.txt"
    text.write_text("안녕하세요. 반갑습니다!\n대한민국은 민주공화국이다\nHello 날씨가 좋습니다\n",
                    encoding="utf-8")
    assert main(["lm", "--model", str(folder), str(text), "--order", "4"]) == 0
    card = json.loads((folder / "livekr.json").read_text(encoding="utf-8"))
    assert card["preset"] == "x" and card["cer"] == 12.5  # the rest of the card is kept
    entry = card["lm"]
    assert entry["file"] == "lm.arpa" and entry["order"] == 4 and entry["units"] == "jamo"
    assert entry["sentences"] == 4 and entry["sources"] == [str(text.resolve())]
    assert entry["size_bytes"] == (folder / "lm.arpa").stat().st_size
    lm = read_arpa(folder / "lm.arpa")
    assert "ᄋ" in lm.vocab and "|" in lm.vocab and UNK in lm.vocab
    assert "h" not in lm.vocab  # Latin letters are not in the model's units: they became <unk>
    assert "livekr-train lm: estimating from 4 sentences" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--order", "0"], "--order must be 1 to 10"),
        (["--prune", "1", "1", "1", "1", "1"], "--prune needs 5 counts"),
        (["--prune", "0", "1"], "--prune needs 5 counts"),
    ],
)
def test_livekr_train_lm_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                     message: str) -> None:
    from trainer.cli import main

    assert main(["lm", "--model", str(tmp_path), str(tmp_path / "t.txt"), *args]) == 2
    assert message in capsys.readouterr().err


def test_livekr_train_lm_bad_inputs_say_what_to_do(tmp_path: Path, korean_vocab: dict[str, int],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from trainer.cli import main
    from trainer.scratch import build_processor

    text = tmp_path / "ko.txt"
    text.write_text("안녕하세요\n", encoding="utf-8")
    assert main(["lm", "--model", str(tmp_path / "nowhere"), str(text)]) == 1
    assert "is not a checkpoint folder" in capsys.readouterr().err
    build_processor(tmp_path / "ckpt", korean_vocab, True)
    assert main(["lm", "--model", str(tmp_path / "ckpt"), str(tmp_path / "missing.txt")]) == 1
    assert "missing.txt: no such text file" in capsys.readouterr().err
    (tmp_path / "latin.txt").write_text("... !!!\n", encoding="utf-8")
    assert main(["lm", "--model", str(tmp_path / "ckpt"), str(tmp_path / "latin.txt")]) == 1
    assert "hold no Korean text" in capsys.readouterr().err
