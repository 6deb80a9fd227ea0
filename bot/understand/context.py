"""Context words: places, times and numbers that people add to nearly any question.

They say where and when, not which topic: 石家庄, 2023年, 今年, 60岁, 5万元. The matcher gives a
context word the knowledge base does not use no weight (tuning.Options.context switches it off).
"""

from __future__ import annotations

import re
from pathlib import Path


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Numbers with their unit (2023年, 60岁, 5万元, 3天) and long digit runs (ID cards, phones).
NUMBER_RE = re.compile(
    r"[0-9０-９]+(?:[.．][0-9]+)?"
    r"(?:多|多岁|多元|周岁|个月|块钱|万元|千元|平方米|平方|公里|[年月日号岁元块万亩级天%])?"
)
# Units jieba cuts off a number; the segmenter joins them back (60 岁 → 60岁).
NUMBER_UNITS = _words(
    "周岁 个月 块钱 万元 千元 平方米 平方 公里 年 月 日 号 岁 元 块 万 亩 级 天 % 多 多岁 多元 "
)
# Time and scope words people add to nearly any question.
TIME_WORDS = _words(
    "今年 去年 明年 前年 当年 近期 最近 最新 目前 如今 今天 昨天 明天 "
    "年底 年初 月底 以前 之前 以后 参考 本市 本县 我市 我县 我省 全国 "
    "各地 当地 省里 市里 县里 "
)
# Provinces, big cities, Hebei's cities and Baoding's counties, whatever jieba tags them
# (石家庄 is tagged as a person's name there).
PLACES = _words(
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 "
    "江西 山东 河南 湖北 湖南 广东 海南 四川 贵州 云南 陕西 甘肃 青海 "
    "台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门 石家庄 唐山 秦皇岛 邯郸 "
    "邢台 张家口 承德 沧州 廊坊 衡水 雄安 定州 辛集 涿州 安国 高碑店 涞水 "
    "阜平 定兴 唐县 高阳 容城 涞源 望都 安新 易县 曲阳 蠡县 顺平 博野 "
    "雄县 满城 清苑 徐水 竞秀 莲池 太原 济南 郑州 武汉 长沙 广州 成都 "
    "西安 兰州 沈阳 长春 哈尔滨 南京 杭州 合肥 福州 南昌 昆明 贵阳 南宁 "
    "海口 银川 西宁 拉萨 乌鲁木齐 呼和浩特 深圳 "
)
# A word the general dictionary does not know that ends like a place name (新荣区, 一六镇).
PLACE_SUFFIXES = tuple("省市县区镇乡村屯庄旗州盟")


def place_names(dictionary: Path) -> frozenset[str]:
    """The place names (POS tag ns) of a jieba dictionary file (lines `word freq tag`).

    Found by splitting the text at each ` ns` line end rather than splitting every line (the
    6,000 place names of 350,000 lines: 15 ms instead of 70-150 ms of every start).
    """
    text = dictionary.read_text(encoding="utf-8").replace("\r\n", "\n") + "\n"
    pieces = text.split(" ns\n")[:-1]  # each ends with `word freq` of an ns line
    return frozenset(p[p.rfind("\n") + 1 :].split(" ", 1)[0] for p in pieces)


def join_numbers(words: list[str]) -> list[str]:
    """A number and its unit become one word (2023年, 60岁, 5万元)."""
    out: list[str] = []
    for w in words:
        if out and w in NUMBER_UNITS and out[-1][-1:].isdigit():
            out[-1] += w
        else:
            out.append(w)
    return out


def looks_like_context(token: str, places: frozenset[str]) -> bool | None:
    """True for a known place, time or number; None where only the dictionaries can tell."""
    if token in TIME_WORDS or token in PLACES or token in places or NUMBER_RE.fullmatch(token):
        return True
    if len(token) >= 3 and token.endswith(PLACE_SUFFIXES):
        return None
    return False
