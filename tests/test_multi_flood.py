"""Several webhook instances on one store share the per-villager flood limit (issue 11.3): a
villager's burst spread over two `policybot serve` instances is answered FLOOD_LIMIT times at
most and told to slow down once, not FLOOD_LIMIT times per instance; others are unaffected."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bot import messages
from bot.dialogue import FLOOD_LIMIT
from tests.fakes.botapi import message_update, running_fake, wait_until
from tests.test_crash import exported, user_key
from tests.test_multi import inbox, instances, post

FLOODER, OTHER = 9601, 9602
BURST = 50  # 25 to each instance: each alone would answer 20 and warn once
QUESTION, OTHER_QUESTION = "低保咋申请", "雨露计划补多少钱"


def body(update_id: int, villager: int, text: str) -> bytes:
    update = {"update_id": update_id, **message_update(villager, text=text)}
    return json.dumps(update, ensure_ascii=False).encode()


@pytest.mark.slow
def test_a_burst_split_between_two_instances_is_limited_once_and_others_are_answered(
    tmp_path: Path, db_target: Path | str
) -> None:
    with running_fake() as fake, instances(tmp_path, fake, db_target) as (first, second):
        statuses = []
        for i in range(BURST):  # alternately, as a round-robin balancer spreads them
            statuses.append(post((first, second)[i % 2].port, body(i + 1, FLOODER, QUESTION)))
            if i == BURST // 2:  # another villager, in the middle of the flood
                statuses.append(post(second.port, body(BURST + 1, OTHER, OTHER_QUESTION)))
        assert statuses == [200] * (BURST + 1)
        done = (BURST + 1, BURST + 1)  # every update handled: no reply still on its way
        assert wait_until(lambda: inbox(db_target) == done, timeout=120), inbox(db_target)
        flooded = [c.text for c in fake.messages(FLOODER)]
        other = [c.text for c in fake.messages(OTHER)]
        rows = exported(first.env, tmp_path / "log.csv")
        logs = first.log.read_text(encoding="utf-8") + second.log.read_text(encoding="utf-8")
    answers = [t for t in flooded if t != messages.SLOW_DOWN]
    print(f"{len(answers)} answered, {flooded.count(messages.SLOW_DOWN)} told to slow down")
    assert flooded.count(messages.SLOW_DOWN) == 1
    assert 0 < len(answers) <= FLOOD_LIMIT
    assert all("低保" in t for t in answers)
    # the flood is neither answered nor stored: what was logged is what was answered
    asked = Counter(r["user_key"] for r in rows)
    assert asked == Counter({user_key(FLOODER): len(answers), user_key(OTHER): 1})
    assert len(other) == 1
    assert "雨露计划" in other[0]
    assert "flood limit reached by" in logs
    assert "Traceback" not in logs
