import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.understand import Matcher, normalize_text
from bot.understand.cache import cache_dir
from bot.understand.context import place_names
from bot.understand.segment import core_dictionary


@pytest.mark.parametrize(
    "term", ["雨露计划", "两免一补", "先诊疗后付费", "建档立卡", "三免一助", "政银企户保"]
)
def test_domain_terms_segment_as_one_word(matcher: Matcher, term: str) -> None:
    words = matcher.segmenter.cut(f"俺想问问{term}咋弄")
    assert term in words


def test_tokens_drop_fillers_and_map_colloquial_words(matcher: Matcher) -> None:
    tokens = matcher.segmenter.tokens("俺家娃上中专有啥补助")
    assert "俺家" not in tokens
    assert "啥" not in tokens
    assert "孩子" in tokens  # 娃 → 孩子
    assert "中职" in tokens  # 中专 → 中职


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_segmentation_keeps_every_non_space_character(matcher: Matcher, text: str) -> None:
    text = normalize_text(text)
    assert "".join(matcher.segmenter.cut(text)) == text.replace(" ", "")


def test_core_dictionary_keeps_common_words_and_drops_rare_ones() -> None:
    from bot.understand.segment import CORE_MIN_FREQ, core_dictionary

    words = {}
    for line in core_dictionary().read_text(encoding="utf-8").splitlines():
        word, freq, *_ = line.split()
        words[word] = int(freq)
    assert "申请" in words
    assert "孩子" in words
    assert min(words.values()) >= CORE_MIN_FREQ
    assert core_dictionary() == core_dictionary()  # written once, then reused


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    """cache_dir() is decided once per process: forget it around a test that moves HOME."""
    cache_dir.cache_clear()
    yield
    cache_dir.cache_clear()


@pytest.mark.usefixtures("fresh_cache")
def test_the_trimmed_dictionary_is_cached_privately_and_a_tampered_copy_is_rewritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # issue 14.6: the copy sat at a predictable shared temp path and was trusted as is
    monkeypatch.setenv("HOME", str(tmp_path))
    path = core_dictionary()
    assert path.parent == tmp_path / ".cache" / "policybot"
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    good = path.read_bytes()
    path.write_bytes(b"\xe4\xbd\x8e\xe4\xbf\x9d 99999999 n\n")  # someone's poisoned dictionary
    assert core_dictionary() == path
    assert path.read_bytes() == good  # the digest beside it gave it away


@pytest.mark.usefixtures("fresh_cache")
def test_a_cache_folder_others_can_write_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / ".cache" / "policybot"
    shared.mkdir(parents=True)
    shared.chmod(0o777)
    monkeypatch.setenv("HOME", str(tmp_path))
    private = cache_dir()
    assert private != shared
    assert stat.S_IMODE(private.stat().st_mode) == 0o700


def _place_names_line_by_line(path: Path) -> frozenset[str]:
    lines = (line.split() for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(p[0] for p in lines if len(p) >= 3 and p[2] == "ns")


def test_place_names_are_the_ns_words_of_the_dictionary(tmp_path: Path) -> None:
    real = core_dictionary()
    assert place_names(real) == _place_names_line_by_line(real)
    assert {"河北", "邢台", "阜平"} <= place_names(real)
    odd = tmp_path / "dict.txt"
    odd.write_bytes("阜平 120 ns\r\n低保 50 n\nns 3 n\n涞源 80 ns\n易县 70 ns".encode())
    assert place_names(odd) == {"阜平", "涞源", "易县"} == _place_names_line_by_line(odd)
