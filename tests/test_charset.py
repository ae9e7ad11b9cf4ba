import pytest

from openocr.charset import Charset


def test_en_charset():
    cs = Charset.load("en")
    assert len(cs) == 95 and cs.num_classes == 96
    assert " " in cs and "~" in cs and "a" in cs


def test_ch_charset_contents():
    cs = Charset.load("ch")
    assert cs.num_classes == len(cs) + 1
    hanzi = [c for c in cs.chars if "\u4e00" <= c <= "\u9fff"]
    assert len(hanzi) == 6763
    for ch in "¥€£°±×÷·—…《》【】，。":
        assert ch in cs, ch


@pytest.mark.parametrize(
    "name,text", [("en", "Hello, World! 42 ~"), ("ch", "上海浦东 Total: ¥12.50【新】")]
)
def test_round_trip(name, text):
    cs = Charset.load(name)
    assert cs.decode(cs.encode(text)) == text


def test_blank_is_zero_and_indices_one_based():
    cs = Charset.from_text("a\nb\n \n")
    assert cs.encode("ab a") == [1, 2, 3, 1]
    assert cs.decode([0, 1, 0, 2]) == "ab"


def test_unknown_chars_dropped_or_strict():
    cs = Charset.load("en")
    assert cs.decode(cs.encode("a中b")) == "ab"
    with pytest.raises(KeyError):
        cs.encode("中", strict=True)


def test_normalize_folds_fullwidth_and_spaces():
    cs = Charset.load("en")
    assert cs.normalize("ＡＢＣ\t１２  x") == "ABC 12 x"


def test_duplicates_rejected():
    with pytest.raises(ValueError, match="duplicate"):
        Charset.from_text("a\na\n")


def test_reference_class_count_constructible():
    assert Charset.of_size(6625).num_classes == 6625


def test_metadata_round_trip(tmp_path):
    cs = Charset.load("ch")
    assert Charset.from_metadata(cs.to_metadata()) == cs
    p = tmp_path / "d.txt"
    p.write_text("x\ny\n \n", encoding="utf-8")
    assert Charset.load(p).chars == ("x", "y", " ")
    with pytest.raises(FileNotFoundError):
        Charset.load(tmp_path / "missing.txt")
