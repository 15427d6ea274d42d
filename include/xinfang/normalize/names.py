"""Petitioner names: cleaning, group-visit lists, a pinyin matching key, common names.

Why a pinyin key: the 12368 hotline transcribes names by ear, so 张伟 comes back as
张玮 or 章伟; letters arrive in traditional characters (張偉) or with spaces. Two
spellings of one name get one key. The key is a *blocking and comparison* key,
never an identity on its own: very common names (王伟, 张伟, 李娜...) are shared by
thousands of people, and ``is_common_name`` tells the matcher so.

Every function is pure and cached: the intake loader calls ``split_group`` and
``name_key`` once per item.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from xinfang.normalize.text import t2s_may_change

__all__ = [
    "COMMON_NAMES",
    "HONORIFICS",
    "SURNAMES",
    "chinese_number",
    "clean_name",
    "id_sex",
    "is_common_name",
    "name_key",
    "names_compatible",
    "partial_fits",
    "partial_name",
    "split_group",
    "surname_key",
]

# The most frequent full names in China (Ministry of Public Security name reports,
# 2019-2021, and the classic lists); a name here (or a homophone of one, by key)
# never identifies a person by itself.
COMMON_NAMES: frozenset[str] = frozenset(
    """
    张伟 王伟 王芳 李伟 李娜 张敏 李静 王静 刘伟 王秀英 张丽 李秀英 王丽 张静 张秀英
    李强 王敏 李敏 王磊 刘洋 王艳 王勇 李军 张勇 李杰 张杰 张磊 王强 李娟 王军
    张艳 张涛 王涛 李艳 王超 李明 李勇 王娟 刘杰 刘敏 李霞 李丽 张军 王杰 张强
    王秀兰 王刚 王平 刘芳 张燕 刘艳 刘军 李平 王辉 王燕 陈静 刘勇 李玲 李桂英 王丹
    李刚 李丹 李萍 王鹏 刘涛 陈伟 张华 刘静 李涛 王桂英 张秀兰 李红 李超 刘丽 张桂英
    王玉兰 李燕 张鹏 李秀兰 张超 王玲 张玲 李华 王飞 张玉兰 王桂兰 王英 刘强 陈秀英
    李英 李辉 李梅 陈勇 王鑫 李芳 张桂兰 李波 刘畅 王建华 张婷 王婷 李婷 刘婷 张洋
    王洋 李洋 王娜 张娜 刘娜 陈杰 陈磊 张宇 王宇 李宇 张欣 王欣 李欣 张斌 王斌 李斌
    张波 王波 刘波 张红 王红 刘红 张梅 王梅 刘梅 张霞 王霞 刘霞 陈红 陈芳 陈燕 杨伟
    杨洋 杨静 杨帆 赵伟 赵敏 赵静 黄伟 周伟 吴伟 徐伟 孙伟 马丽 胡伟 朱伟 高伟 林伟
    """.split()  # noqa: SIM905
)

_HARD_SPLIT_RE = re.compile(r"[、,，;；/／]+|(?<=[\u4e00-\u9fff])和(?=[\u4e00-\u9fff]{2})")
_COUNT_RE = re.compile(r"(?:等|共|一行)?\s*([0-9]+|[零〇一二两三四五六七八九十百]+)\s*(?:人|名|位)")
_ETC_RE = re.compile(r"等(?:人)?$")
_NON_NAME_RE = re.compile(r"[^\w·]", re.UNICODE)
# Two to six ideographs, none a word that counts or separates people (人名位等和).
_PLAIN_NAME = re.compile(r"(?:(?![人名位等和])[\u4e00-\u9fff]){2,6}")
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def chinese_number(s: str) -> int | None:
    """'五' -> 5, '十二' -> 12, '二十' -> 20, '一百零五' -> 105, '12' -> 12; None if not a number."""
    s = s.strip()
    if not s:
        return None
    if s.isdigit():
        return int(s)
    total, current = 0, 0
    for ch in s:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


@lru_cache(maxsize=200_000)
def clean_name(s: str | None) -> str:
    """NFKC, traditional -> simplified, spaces and punctuation removed ('張 偉' -> '张伟').

    The middle dot of minority names (阿卜杜·热合曼) is kept, in its one canonical form.
    """
    if not s:
        return ""
    s = unicodedata.normalize("NFKC", str(s))
    s = s.replace("•", "·").replace("‧", "·").replace("・", "·").replace(".", "·")
    s = _NON_NAME_RE.sub("", s).replace("_", "")
    if not s:
        return ""
    if any(ord(c) > 0x2E7F for c in s) and t2s_may_change(s):
        s = _t2s().convert(s)
    return s.strip("·")


@lru_cache(maxsize=100_000)
def split_group(s: str | None) -> tuple[str, tuple[str, ...], int]:
    """A visitor list -> (lead petitioner, other names, head count).

    '张伟、李强等5人' -> ('张伟', ('李强',), 5); '张伟,李强' -> ('张伟', ('李强',), 2);
    '张伟等三人' -> ('张伟', (), 3); '' -> ('', (), 0). The count is never below the
    number of names listed.
    """
    if not s:
        return "", (), 0
    if _PLAIN_NAME.fullmatch(s) and not t2s_may_change(s):
        return s, (), 1  # one simplified name (the usual cell): what the rules give
    return _split_group_rules(s)


def _split_group_rules(s: str) -> tuple[str, tuple[str, ...], int]:
    """``split_group`` for any non-empty value, rule by rule."""
    text = unicodedata.normalize("NFKC", str(s)).strip()
    count = None
    m = _COUNT_RE.search(text)
    if m:
        count = chinese_number(m.group(1))
        text = text[: m.start()] + text[m.end() :]
    text = _ETC_RE.sub("", text.strip())
    text = re.sub(r"等(?=[、,，;；\s]|$)", "", text)
    names = []
    for part in _HARD_SPLIT_RE.split(text):
        pieces = [clean_name(p) for p in part.split()]
        pieces = [p for p in pieces if p]
        if len(pieces) > 1 and all(len(p) >= 2 and not p.isascii() for p in pieces):
            names.extend(pieces)  # '张伟 李强': two people
        elif pieces:
            names.append(clean_name(part))  # '张 伟', 'Zhang Wei': one name
    if count is None and "等" in str(s):
        count = len(names) + 1
    if not names:
        return "", (), count or 0
    lead, others = names[0], tuple(names[1:])
    n = max(count or 0, len(names))
    return lead, others, n


@lru_cache(maxsize=200_000)
def name_key(s: str | None) -> str | None:
    """Toneless pinyin of the cleaned name, syllables joined by spaces ('张玮' -> 'zhang wei').

    Homophones share a key; Latin letters are lower-cased as they are. None for no name.
    """
    name = clean_name(s)
    if not name:
        return None
    parts: list[str] = []
    latin = ""
    for ch in name:
        if ch.isascii() and ch.isalnum():
            latin += ch.lower()
            continue
        if latin:
            parts.append(latin)
            latin = ""
        if ch != "·":
            parts.append(_char_pinyin(ch))
    if latin:
        parts.append(latin)
    key = " ".join(p for p in parts if p)
    return key or None


@lru_cache(maxsize=50_000)
def _char_pinyin(ch: str) -> str:
    """Toneless pinyin of one character (its most common reading), cached per character."""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(ch)).strip().lower()


_COMMON_KEYS: frozenset[str] | None = None


def _common_keys() -> frozenset[str]:
    global _COMMON_KEYS
    if _COMMON_KEYS is None:
        _COMMON_KEYS = frozenset(k for k in (name_key(n) for n in COMMON_NAMES) if k)
    return _COMMON_KEYS


@lru_cache(maxsize=100_000)
def is_common_name(name: str | None) -> bool:
    """True for a very common full name or any homophone of one (张玮 sounds like 张伟).

    Also True for a missing or one-character name: it identifies nobody.
    """
    cleaned = clean_name(name)
    if len(cleaned) < 2:
        return True
    if cleaned in COMMON_NAMES:
        return True
    key = name_key(cleaned)
    return key is None or key in _common_keys()


def _levenshtein_le1(a: str, b: str) -> bool:
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    if la == lb:
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


@lru_cache(maxsize=200_000)
def names_compatible(key_a: str | None, key_b: str | None) -> bool:
    """Could two name keys be one person's name as written by two clerks?

    Equal keys, a missing name on either side, or one letter apart with the same
    syllable count and the same surname syllable (章伟/张伟 are equal already; 刘洋/
    刘阳 too; 李强/李江 'li qiang'/'li jiang' are one letter apart and compatible).
    Used with a shared phone or ID, never alone.
    """
    if not key_a or not key_b:
        return True
    if key_a == key_b:
        return True
    sa, sb = key_a.split(" "), key_b.split(" ")
    if len(sa) != len(sb) or sa[0] != sb[0]:
        return False
    return _levenshtein_le1(key_a, key_b)


# Surnames (the 百家姓's common ones, single and compound): what a caller recorded as
# 王先生 or 老赵 keeps of their name.
SURNAMES: frozenset[str] = frozenset(
    """
    王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹
    彭 曾 肖 田 董 袁 潘 于 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈 姚 卢 姜 崔 钟 谭 陆 汪 范 金
    石 廖 贾 夏 韦 付 傅 方 白 邹 孟 熊 秦 邱 江 尹 薛 闫 阎 段 雷 侯 龙 史 陶 黎 贺 顾 毛 郝
    龚 邵 万 钱 严 覃 武 戴 莫 孔 向 汤 常 温 康 施 文 牛 樊 葛 邢 安 齐 易 乔 伍 庞 颜 倪 庄
    聂 章 鲁 岳 翟 殷 詹 申 欧 耿 关 兰 焦 俞 左 柳 甘 祝 包 宁 尚 符 舒 阮 柯 纪 梅 童 凌 毕
    单 季 裴 霍 涂 成 苗 谷 盛 曲 翁 冉 骆 蓝 路 游 辛 靳 管 柴 蒙 鲍 华 喻 祁 蒲 房 滕 屈 饶
    解 牟 艾 尤 阳 时 穆 农 司 卓 古 吉 缪 简 车 项 连 芦 麦 褚 娄 窦 戚 岑 景 党 宫 费 卜 冷
    晏 席 卫 米 柏 宗 瞿 桂 全 佟 应 臧 闵 苟 邬 边 卞 姬 师 和 仇 栾 隋 商 刁 沙 荣 巫 寇 桑
    郎 甄 丛 仲 虞 敖 巩 明 佘 池 查 麻 苑 迟 邝 封 鞠 井 楚 刑 訾 汝 逯 相 邸 桓 官 扈 那
    洪 汪 武 耿 弓 鄢 芮 晁 冼 强 言 练 年 蔺 闻 战 粟 厉 燕 舒 贝 竺 邰 皮 原 伏 茅 吉 幸
    欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 令狐 端木 独孤 南宫
    """.split()  # noqa: SIM905
)
# Honorifics a hotline operator writes after a surname, with the sex they imply.
HONORIFICS: dict[str, str] = {
    "先生": "m", "女士": "f", "小姐": "f", "太太": "f", "阿姨": "f", "大姨": "f",
    "老师": "", "师傅": "", "大爷": "m", "大妈": "f", "大娘": "f", "大姐": "f",
    "大哥": "m", "老板": "", "老太": "f", "奶奶": "f", "爷爷": "m", "叔叔": "m",
    "大叔": "m", "阿婆": "f", "婆婆": "f", "伯伯": "m", "大伯": "m", "老伯": "m",
    "同志": "", "经理": "", "主任": "", "某": "", "某某": "", "姐": "f", "哥": "m",
    "叔": "m", "婶": "f", "姨": "f", "伯": "m", "总": "", "工": "", "律师": "",
}  # fmt: skip
_PREFIXES = ("老", "小", "阿")


@lru_cache(maxsize=100_000)
def partial_name(name: str | None) -> tuple[str, str] | None:
    """(surname, sex) of a name that is only a surname and an honorific, else None.

    '王先生' -> ('王', 'm'), '李女士' -> ('李', 'f'), '老赵' / '小王' -> ('赵', '') /
    ('王', ''), '刘老师' -> ('刘', ''); '王伟' -> None. Such a name fits any full name of
    its surname (and sex) but identifies nobody: the matcher treats it as a partial name.
    """
    cleaned = clean_name(name)
    if not 2 <= len(cleaned) <= 5:
        return None
    for prefix in _PREFIXES:
        rest = cleaned[len(prefix) :]
        if cleaned.startswith(prefix) and rest in SURNAMES:
            return rest, ""
    for size in (2, 1):
        surname, rest = cleaned[:size], cleaned[size:]
        if surname in SURNAMES and rest in HONORIFICS:
            return surname, HONORIFICS[rest]
    # one character and a two-character honorific: a rarer surname (洪先生, 佘女士)
    rest = cleaned[1:]
    if len(rest) == 2 and rest in HONORIFICS and "\u4e00" <= cleaned[0] <= "\u9fff":
        return cleaned[0], HONORIFICS[rest]
    return None


def surname_key(surname: str) -> str:
    """Pinyin of a surname as it starts a name key ('王' -> 'wang', '欧阳' -> 'ou yang')."""
    return name_key(surname) or ""


def id_sex(id_number: str | None) -> str:
    """'m' or 'f' from an 18-digit ID number's 17th digit; '' when unknown."""
    if not id_number or len(id_number) != 18 or not id_number[16].isdigit():
        return ""
    return "m" if int(id_number[16]) % 2 else "f"


def partial_fits(surname_key_: str, sex: str, key: str | None, other_sex: str = "") -> bool:
    """Whether a partial name (surname key, sex) can be the person of name ``key``."""
    if not key:
        return False
    if sex and other_sex and sex != other_sex:
        return False
    return key == surname_key_ or key.startswith(surname_key_ + " ")
