"""Synthetic Chinese persons: names, resident IDs, phones and Langfang addresses.

Identifiers come from keyed affine bijections over counters (``IdentityFactory``), so
a million persons never share an ID or a phone number by accident: the evaluation
truth says they are different people, and so must their identifiers.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from dataclasses import dataclass
from itertools import accumulate
from math import gcd
from operator import mul

# GB 11643-1999 check character.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"

LANGFANG_AREAS: dict[str, str] = {
    "131002": "安次区",
    "131003": "广阳区",
    "131022": "固安县",
    "131023": "永清县",
    "131024": "香河县",
    "131025": "大城县",
    "131026": "文安县",
    "131028": "大厂回族自治县",
    "131081": "霸州市",
    "131082": "三河市",
}
OTHER_AREAS: dict[str, str] = {
    "130102": "石家庄市长安区",
    "130203": "唐山市路北区",
    "130602": "保定市竞秀区",
    "131102": "衡水市桃城区",
    "130902": "沧州市新华区",
    "110105": "北京市朝阳区",
    "120104": "天津市南开区",
    "370102": "济南市历下区",
}
# Town-level places per Langfang district (街道 / 镇 / 乡).
TOWNS: dict[str, tuple[str, ...]] = {
    "安次区": (
        "银河南路街道",
        "光明西道街道",
        "永华道街道",
        "码头镇",
        "葛渔城镇",
        "东沽港镇",
        "杨税务乡",
        "仇庄乡",
    ),
    "广阳区": (
        "新开路街道",
        "新源道街道",
        "解放道街道",
        "银河北路街道",
        "爱民东道街道",
        "九州镇",
        "万庄镇",
        "北旺乡",
    ),
    "固安县": (
        "固安镇",
        "宫村镇",
        "柳泉镇",
        "牛驼镇",
        "马庄镇",
        "东湾乡",
        "彭村乡",
        "渠沟乡",
        "礼让店乡",
    ),
    "永清县": (
        "永清镇",
        "韩村镇",
        "后奕镇",
        "别古庄镇",
        "里澜城镇",
        "管家务乡",
        "曹家务乡",
        "龙虎庄乡",
        "刘街乡",
    ),
    "香河县": (
        "淑阳镇",
        "蒋辛屯镇",
        "渠口镇",
        "安头屯镇",
        "安平镇",
        "刘宋镇",
        "五百户镇",
        "钱旺乡",
        "钳屯乡",
    ),
    "大城县": (
        "平舒镇",
        "旺村镇",
        "大尚屯镇",
        "南赵扶镇",
        "留各庄镇",
        "权村镇",
        "里坦镇",
        "广安镇",
        "北魏乡",
    ),
    "文安县": (
        "文安镇",
        "新镇镇",
        "苏桥镇",
        "大柳河镇",
        "左各庄镇",
        "滩里镇",
        "史各庄镇",
        "赵各庄镇",
        "兴隆宫镇",
    ),
    "大厂回族自治县": ("大厂镇", "夏垫镇", "祁各庄镇", "邵府镇", "陈府镇"),
    "霸州市": (
        "霸州镇",
        "南孟镇",
        "信安镇",
        "堂二里镇",
        "煎茶铺镇",
        "胜芳镇",
        "杨芬港镇",
        "东段乡",
        "岔河集乡",
    ),
    "三河市": (
        "鼓楼街道",
        "泃阳镇",
        "燕郊镇",
        "李旗庄镇",
        "杨庄镇",
        "皇庄镇",
        "新集镇",
        "段甲岭镇",
        "黄土庄镇",
    ),
}
_DISTRICTS = tuple(TOWNS)
_ESTATE_WORDS = (
    "幸福",
    "和平",
    "阳光",
    "金地",
    "华夏",
    "新华",
    "永安",
    "锦绣",
    "明珠",
    "祥云",
    "御龙",
    "康庄",
    "银河",
    "建设",
    "朝阳",
    "东方",
)
_ESTATE_KINDS = ("小区", "花园", "家园", "嘉园", "新村", "公寓", "苑")
_VILLAGE_HEADS = (
    "东",
    "西",
    "南",
    "北",
    "前",
    "后",
    "大",
    "小",
    "王",
    "李",
    "张",
    "刘",
    "杨",
    "赵",
    "高",
    "马",
    "孙",
    "韩",
)
_VILLAGE_TAILS = ("各庄村", "家庄村", "家务村", "庄村", "屯村", "辛庄村", "营村", "口村", "堡村")

# Surnames, most frequent first (the list repeats the big five to weight them).
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁"
    "魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段钱汤尹黎易常武乔贺赖龚文"
)
_SURNAME_WEIGHTS = [40, 38, 36, 28, 14, 14, 13, 8, 7, 7, 7, 7, 6, 6, 7, 4, 4, 4, 6] + [3] * (
    len(SURNAMES) - 19
)
_SURNAME_CUM = tuple(accumulate(_SURNAME_WEIGHTS))
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "司徒")
MALE_CHARS = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林阳建国志海峰东文博亮成庆春德永红新利斌兵松江洪胜彬"
FEMALE_CHARS = (
    "芳娜敏静丽艳娟霞秀英慧莹雪琳晶燕玲桂兰红梅萍颖倩婷洁琴云莉凤华玉珍佳欣蕾月媛露瑶晓丹彤"
)
# Very common full names (the ones that must never be enough on their own), by gender.
COMMON_MALE = (
    "王伟",
    "张伟",
    "刘洋",
    "李伟",
    "刘伟",
    "李强",
    "王磊",
    "张杰",
    "李军",
    "王勇",
    "张勇",
    "王强",
    "王军",
    "张磊",
)
COMMON_FEMALE = (
    "李娜",
    "刘洋",
    "王芳",
    "王静",
    "张敏",
    "李静",
    "张丽",
    "王丽",
    "王秀英",
    "张静",
    "李敏",
    "王敏",
    "王艳",
)
TOP_COMMON = ("王伟", "张伟", "李娜", "刘洋")
COMMON_NAMES = frozenset(COMMON_MALE + COMMON_FEMALE)

# Homophone groups (same toneless pinyin) that a hotline clerk confuses when typing a name heard on the phone.
HOMOPHONES: tuple[str, ...] = (
    "伟玮炜维威薇",
    "娜纳",
    "洋阳扬杨",
    "静晶婧靖敬",
    "丽莉立力俐",
    "军君俊钧",
    "勇永泳",
    "杰洁捷",
    "涛韬滔",
    "强蔷",
    "磊蕾雷",
    "刚钢纲",
    "平萍苹",
    "霞侠",
    "红宏洪鸿",
    "华桦骅",
    "芳方",
    "秀绣",
    "英颖莹瑛",
    "建健剑",
    "明鸣铭",
    "志智治",
    "文雯闻",
    "斌彬滨",
    "辉晖",
    "鹏朋",
    "超潮",
    "峰锋丰枫",
    "敏珉",
    "燕艳彦",
    "玲琳林霖",
    "梅玫媚",
    "兰岚蓝",
    "婷亭",
    "欣新鑫馨",
    "帆凡",
    "宇雨语玉",
    "章张",
    "汪王",
    "黎李",
    "柳刘",
    "羊杨",
    "伍武吴",
    "许徐",
    "贺何",
    "郜高",
    "诸朱",
    "骆罗",
    "湖胡",
)
_HOMO_INDEX: dict[str, str] = {ch: group for group in HOMOPHONES for ch in group}

MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "176", "177", "178", "180", "181", "182", "183", "184",
    "185", "186", "187", "188", "189", "198", "199",
)  # fmt: skip

BIRTH_FIRST = dt.date(1940, 1, 1)
BIRTH_LAST = dt.date(2004, 12, 31)


def id_check_char(first17: str) -> str:
    """GB 11643-1999 check character of the first 17 digits."""
    return _CHECK[sum(map(mul, map(int, first17), _WEIGHTS)) % 11]


def is_valid_id18(value: str) -> bool:
    return (
        len(value) == 18
        and value[:17].isdigit()
        and value[17] in "0123456789X"
        and id_check_char(value[:17]) == value[17]
    )


def id15_of(id18: str) -> str | None:
    """The legacy 15-digit form (no century, no check character); None when born after 1999."""
    if id18[6:8] != "19":
        return None
    return id18[:6] + id18[8:17]


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    gender: str  # 'M' / 'F'
    id18: str
    birth: dt.date
    mobile: str
    landline: str | None
    address: str
    district: str

    @property
    def id15(self) -> str | None:
        return id15_of(self.id18)

    @property
    def common_name(self) -> bool:
        return self.name in COMMON_NAMES


class _Bijection:
    """A keyed affine permutation of range(n): distinct counters give distinct values."""

    def __init__(self, n: int, rng: random.Random) -> None:
        self.n = n
        a = rng.randrange(n // 3, n - 1) | 1
        while gcd(a, n) != 1:
            a += 2
        self.a, self.b, self.next = a, rng.randrange(n), 0

    def seek(self, position: int) -> None:
        self.next = position

    def draw(self) -> int:
        value = (self.a * self.next + self.b) % self.n
        self.next += 1
        return value


class IdentityFactory:
    """Makes persons with identifiers unique across everything it ever makes."""

    def __init__(self, seed: int | str) -> None:
        rng = random.Random(f"identity:{seed}")
        self._days = (BIRTH_LAST - BIRTH_FIRST).days + 1
        self._lf_codes = tuple(LANGFANG_AREAS)
        self._other_codes = tuple(OTHER_AREAS)
        self._lf = _Bijection(len(self._lf_codes) * self._days * 1000, rng)
        self._other = _Bijection(len(self._other_codes) * self._days * 1000, rng)
        self._mobile = _Bijection(len(MOBILE_PREFIXES) * 10**8, rng)
        self._landline = _Bijection(7 * 10**6, rng)

    def seek(self, region: int, size: int) -> None:
        """Draw from region ``region`` of persons for ``size`` items from now on.

        Regions are disjoint, so shard ``s`` of a large set gets the same identities
        whichever process builds it and in whatever order.
        """
        self._lf.seek(region * 2 * size)
        self._other.seek(region * size)
        self._mobile.seek(region * 2 * size)
        self._landline.seek(region * (size // 2))

    def new_id18(self, rng: random.Random) -> tuple[str, dt.date, str]:
        """(id18, birth date, gender): mostly Langfang (1310xx) area codes."""
        if rng.random() < 0.9:
            codes, x = self._lf_codes, self._lf.draw()
        else:
            codes, x = self._other_codes, self._other.draw()
        code = codes[x % len(codes)]
        x //= len(codes)
        seq = x % 1000
        birth = BIRTH_FIRST + dt.timedelta(days=x // 1000)
        first17 = f"{code}{birth.year:04d}{birth.month:02d}{birth.day:02d}{seq:03d}"
        return first17 + id_check_char(first17), birth, "M" if seq % 2 else "F"

    def new_mobile(self) -> str:
        x = self._mobile.draw()
        return f"{MOBILE_PREFIXES[x % len(MOBILE_PREFIXES)]}{x // len(MOBILE_PREFIXES):08d}"

    def new_landline(self) -> str:
        """A 廊坊 landline as dialled nationally: 0316 + 7 digits."""
        return f"0316{2_000_000 + self._landline.draw()}"

    def new_person(
        self, key: str, rng: random.Random, name: str | None = None, common: float = 0.12
    ) -> Person:
        id18, birth, gender = self.new_id18(rng)
        if name is not None:
            wanted = _gender_of_common(name, gender)
            while gender != wanted:  # draw again: drawn IDs are distinct, flipped ones might not be
                id18, birth, gender = self.new_id18(rng)
        else:
            name = random_name(rng, gender, common)
        district = LANGFANG_AREAS.get(id18[:6]) or rng.choice(_DISTRICTS)
        if rng.random() < 0.15:  # moved within Langfang
            district = rng.choice(_DISTRICTS)
        return Person(
            key=key,
            name=name,
            gender=gender,
            id18=id18,
            birth=birth,
            mobile=self.new_mobile(),
            landline=self.new_landline() if rng.random() < 0.3 else None,
            address=random_address(rng, district),
            district=district,
        )


def _gender_of_common(name: str, default: str) -> str:
    if name in COMMON_FEMALE and name not in COMMON_MALE:
        return "F"
    if name in COMMON_MALE and name not in COMMON_FEMALE:
        return "M"
    return default


def random_name(rng: random.Random, gender: str, common: float = 0.12) -> str:
    """A realistic name; ``common`` of them from the very-common list, top four weighted up."""
    if rng.random() < common:
        pool = COMMON_MALE if gender == "M" else COMMON_FEMALE
        tops = [n for n in pool if n in TOP_COMMON]
        return rng.choice(tops) if rng.random() < 0.6 else rng.choice(pool)
    if rng.random() < 0.01:
        surname = rng.choice(COMPOUND_SURNAMES)
    else:
        surname = SURNAMES[bisect.bisect(_SURNAME_CUM, rng.random() * _SURNAME_CUM[-1])]
    chars = MALE_CHARS if gender == "M" else FEMALE_CHARS
    given = rng.choice(chars)
    if rng.random() < 0.7:
        given += rng.choice(chars)
    return surname + given


def homophone_typo(name: str, rng: random.Random) -> str | None:
    """The name with one character swapped for a homophone (张伟 -> 张玮), if any."""
    positions = [i for i, ch in enumerate(name) if ch in _HOMO_INDEX]
    if not positions:
        return None
    # Prefer the given name: clerks rarely mishear a common surname.
    given = [i for i in positions if i > 0]
    i = rng.choice(given) if given and rng.random() < 0.85 else rng.choice(positions)
    options = [c for c in _HOMO_INDEX[name[i]] if c != name[i]]
    return name[:i] + rng.choice(options) + name[i + 1 :]


def random_address(rng: random.Random, district: str) -> str:
    town = rng.choice(TOWNS[district])
    if town.endswith("街道") or rng.random() < 0.3:
        estate = rng.choice(_ESTATE_WORDS) + rng.choice(_ESTATE_KINDS)
        place = f"{estate}{rng.randint(1, 28)}号楼{rng.randint(1, 6)}单元{rng.randint(1, 24)}{rng.randint(1, 4):02d}"
    else:
        place = f"{rng.choice(_VILLAGE_HEADS)}{rng.choice(_VILLAGE_TAILS)}{rng.randint(1, 300)}号"
    return f"河北省廊坊市{district}{town}{place}"


def random_company(rng: random.Random) -> str:
    return (
        f"廊坊{rng.choice(('', '市'))}{rng.choice(_COMPANY_WORDS)}"
        f"{rng.choice(_COMPANY_TRADES)}有限公司"
    )


_COMPANY_WORDS = (
    "鑫源",
    "恒达",
    "华盛",
    "宏远",
    "金泰",
    "瑞丰",
    "众诚",
    "隆基",
    "天和",
    "昌盛",
    "海润",
    "博远",
    "嘉禾",
    "兴业",
    "安泰",
    "德信",
)
_COMPANY_TRADES = (
    "建材",
    "房地产开发",
    "建筑工程",
    "物流",
    "商贸",
    "家具",
    "汽车销售",
    "物业服务",
    "钢结构",
    "食品",
)


def make_persons(seed: int | str, n: int, common: float = 0.12) -> list[Person]:
    """``n`` distinct persons (unique IDs and phones), deterministic for ``seed``."""
    factory = IdentityFactory(seed)
    rng = random.Random(f"persons:{seed}")
    return [factory.new_person(f"P{i:06d}", rng, common=common) for i in range(1, n + 1)]
