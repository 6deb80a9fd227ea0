"""Core replies as Telegram messages: keyboards and the 4096-unit limit (no network)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot import messages
from bot.dialogue import Button, Reply
from handlers.render import MAX_MESSAGE, keyboard, split_text, utf16_len


def test_keyboard_keeps_rows_labels_and_data() -> None:
    reply = Reply(
        "x", ((Button("👍有用", "f:1:1"), Button("👎没用", "f:1:0")), (Button("b", "m"),))
    )
    markup = keyboard(reply)
    assert markup is not None
    rows = [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard]
    assert rows == [[("👍有用", "f:1:1"), ("👎没用", "f:1:0")], [("b", "m")]]
    assert keyboard(Reply("x")) is None


def test_long_answer_splits_at_a_line_break_within_the_limit() -> None:
    text = "第一段" * 1000 + "\n" + "第二段" * 1000
    parts = split_text(text)
    assert parts == ["第一段" * 1000, "第二段" * 1000]


def test_emoji_count_twice_towards_the_limit() -> None:
    parts = split_text("😀" * 3000)
    assert [utf16_len(p) for p in parts] == [4096, 6000 - 4096]


def test_blank_text_is_never_sent_empty() -> None:
    assert split_text(" \n\t") == [messages.ERROR]


# Long texts with repeats (lines, emoji, surrogates) as well as short arbitrary ones.
LONG_OR_ANY = st.one_of(
    st.text(max_size=2_000), st.text(min_size=1, max_size=120).map(lambda s: s * 90)
)


@given(LONG_OR_ANY)
def test_any_text_splits_into_non_empty_parts_telegram_accepts(text: str) -> None:
    parts = split_text(text)
    assert parts
    assert all(p.strip() for p in parts)
    assert all(utf16_len(p) <= MAX_MESSAGE for p in parts)
    if text.strip():
        squeeze = "".join(text.split())
        assert "".join("".join(parts).split()) == squeeze  # nothing but whitespace is lost
