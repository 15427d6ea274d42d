"""Petitioners: names, resident ID numbers, phones, addresses, relatives.

Also how each is written down by a clerk, an operator or the petitioner, since
that is where matching gets hard: a surname and honorific on the hotline, a
misheard character, an ID typed with spaces or in the legacy 15-digit form, a
phone with +86 or the son's mobile.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from heldout import places

# Surnames, most frequent first, with rough weights for north China.
_SURNAMES_TOP = "王李张刘赵杨陈高马孙郭田徐韩朱董吴周胡于"
_SURNAMES_REST = (
    "何林冯宋郑谢唐许邓萧程曹袁傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪任姜范方石姚谭"
    "廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段钱汤尹黎常武乔贺龚文庞樊兰殷施陶洪翟安"
    "颜倪严牛温季俞章鲁葛伍韦申尤毕聂焦向柳邢路岳齐梅庄辛管祝左谷祁时耿詹关苗靳盛甄曲霍"
)
SURNAMES: tuple[str, ...] = tuple(_SURNAMES_TOP) + tuple(_SURNAMES_REST)
SURNAME_WEIGHTS: tuple[float, ...] = tuple(
    [14.0 - 0.5 * i for i in range(len(_SURNAMES_TOP))] + [1.0] * len(_SURNAMES_REST)
)

# Given names by gender and generation (older: born before 1970).
_GIVEN = {
    ("m", "old"): (
        "建国 国强 建军 振华 德明 志刚 宝山 永利 树林 福生 金海 长江 春生 玉田 凤山 庆祥 文华 "
        "国庆 保国 满仓 来顺 广才 树森 德胜 连生 秀峰 俊山 占林 宝林 玉明 学文 "
        "强 军 勇 刚 明 华 平 林 海 东 斌 忠 贵 福 山 正"
    ),
    ("f", "old"): (
        "秀英 桂兰 玉兰 凤英 淑华 秀兰 桂英 玉珍 凤兰 淑珍 秀珍 素芳 丽华 春梅 红梅 淑芬 桂芝 "
        "玉芬 秀云 凤霞 金凤 翠兰 素英 秀荣 桂荣 玉霞 "
        "芳 霞 红 燕 丽 敏 英 萍 兰 梅 珍 荣 凤"
    ),
    ("m", "young"): (
        "浩 宇 鹏飞 子豪 晓东 俊杰 海涛 建华 志强 雪松 立新 晓峰 春雷 宏伟 文博 浩然 一鸣 "
        "家豪 志远 振宇 明轩 博文 晓龙 天宇 海龙 新宇 国栋 凯 磊 伟 超 鹏 亮 涛 杰 斌 "
        "辉 峰 帅 健 洋 阳 飞 龙"
    ),
    ("f", "young"): (
        "婷 娜 倩 雪 晓燕 丽娜 欣怡 雅琪 晓丽 佳慧 静 丹 颖 琳 莹 璐 晶 蕾 佳 "
        "梦瑶 思雨 雨欣 文静 丽丽 晓敏 春燕 海燕 艳红 小红 美玲 秀娟 红艳 亚楠 "
        "敏 艳 娟 玲 芳 慧"
    ),
}
GIVEN: dict[tuple[str, str], tuple[str, ...]] = {k: tuple(v.split()) for k, v in _GIVEN.items()}

# Two-character given names are also composed, as most are: a first and a second character.
_COMPOSE = {
    "m": (
        "建国志文德永俊海春立宏晓明振玉金学家新天博长庆顺福宝占树云连凤国兴",
        "军华平强明林伟东刚峰杰涛斌辉龙生成山波勇亮光宇鹏飞超磊利民祥林才",
    ),
    "f": (
        "秀桂玉淑凤丽春红晓美彩翠海艳雅佳文小金素月慧俊亚静雪梦",
        "英兰珍华芳霞梅云荣芬敏燕玲娟婷丽琴红萍洁颖霞莉丹娜倩雯楠",
    ),
}

# Full names so common that different people share them (the hard negatives).
COMMON_NAMES: tuple[tuple[str, str], ...] = tuple(
    (n, g)
    for g, names in (
        ("m", "张伟 王伟 李伟 刘伟 李强 王磊 刘洋 王勇 李军 张勇 张磊 王强 王军 张涛 王涛 "),
        ("m", "王超 李明 李勇 刘杰 张军 王杰 张强 王刚 刘军 王辉 刘勇 王鹏 刘涛 陈伟 张鹏 "),
        ("f", "王芳 王秀英 李秀英 李娜 张秀英 张敏 李静 张丽 王静 王丽 张静 李敏 王敏 王艳 "),
        ("f", "李娟 张艳 李艳 王娟 刘敏 李霞 李丽 王秀兰 刘芳 张燕 刘艳 李桂英 王丹 李萍 "),
    )
    for n in names.split()
)

# Characters an operator may write for what she heard (same or near-same sound).
HOMOPHONES: dict[str, tuple[str, ...]] = {
    "伟": ("玮", "炜", "威", "巍"),
    "娜": ("纳", "那"),
    "芳": ("方", "坊"),
    "静": ("晶", "靖", "敬"),
    "敏": ("民", "岷"),
    "丽": ("莉", "立", "力"),
    "强": ("蔷", "墙"),
    "军": ("君", "钧", "均"),
    "杰": ("洁", "捷", "婕"),
    "磊": ("垒", "蕾"),
    "洋": ("阳", "扬", "杨"),
    "勇": ("涌", "永", "泳"),
    "艳": ("燕", "雁", "彦"),
    "秀": ("绣", "修"),
    "英": ("莹", "颖", "瑛"),
    "华": ("化", "桦", "骅"),
    "平": ("萍", "苹", "屏"),
    "刚": ("钢", "纲", "岗"),
    "明": ("鸣", "铭", "名"),
    "建": ("健", "剑", "键"),
    "国": ("果",),
    "红": ("虹", "宏", "鸿"),
    "霞": ("侠", "峡"),
    "玲": ("铃", "龄", "凌"),
    "桂": ("贵",),
    "兰": ("岚", "蓝"),
    "辉": ("晖", "徽"),
    "峰": ("锋", "丰", "风"),
    "志": ("智", "治"),
    "涛": ("韬", "滔"),
    "斌": ("彬", "滨"),
    "鹏": ("朋", "蓬"),
    "宇": ("雨", "羽", "语"),
    "凤": ("风", "奉"),
    "梅": ("玫", "媚"),
    "燕": ("艳", "雁"),
    "娟": ("鹃", "涓"),
    "颖": ("英", "莹"),
    "婷": ("亭", "庭"),
    "东": ("冬",),
    "林": ("琳", "霖"),
    "海": ("凯",),
    "珍": ("真", "贞"),
    "荣": ("蓉", "容"),
    "超": ("潮",),
    "亮": ("靓",),
    "飞": ("菲", "非"),
    "龙": ("隆",),
    "晓": ("小", "筱"),
    "春": ("椿",),
    "雪": ("学",),
    "新": ("欣", "鑫"),
    "文": ("雯", "闻"),
    "玉": ("钰", "宇"),
    "金": ("锦", "今"),
    "德": ("得",),
    "福": ("富",),
    "山": ("珊", "杉"),
    "生": ("升", "胜"),
    "庆": ("青",),
    "忠": ("中",),
}
SURNAME_HOMOPHONES: dict[str, tuple[str, ...]] = {
    "张": ("章",),
    "徐": ("许",),
    "王": ("汪",),
    "刘": ("柳",),
    "杨": ("阳",),
    "程": ("成",),
    "肖": ("萧",),
    "萧": ("肖",),
    "于": ("余", "俞"),
    "余": ("于",),
    "纪": ("季",),
    "季": ("纪",),
}

MOBILE_PREFIXES: tuple[str, ...] = tuple(
    f"1{n}" for n in (30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 50, 51, 52, 53, 55, 56, 57, 58, 59)
) + tuple(f"1{n}" for n in (66, 73, 75, 76, 77, 78, 80, 81, 82, 83, 85, 86, 87, 88, 89, 98, 99))


@dataclass(slots=True)
class Relative:
    """A family member: who files or whose phone is given instead of the petitioner's."""

    relation: str  # the relative as seen from the petitioner: 儿子, 女儿, 妻子, 丈夫, 弟弟 …
    name: str
    phone: str
    id18: str | None


@dataclass(slots=True)
class Person:
    """One true petitioner."""

    pid: str
    surname: str
    given: str
    gender: str  # "m" / "f"
    birth: date
    id18: str
    id_seq: str  # the 3-digit sequence, shared by the 15-digit legacy form
    region: str
    phone: str
    phone2: str | None
    landline: str | None
    district: str  # a Langfang district or an outside place name
    town: str
    locality: str  # village, or street address in town
    urban: bool
    teacher: bool
    relatives: list[Relative] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The full name as on the ID card."""
        return self.surname + self.given

    def age_on(self, day: date) -> int:
        """Age in whole years on a day."""
        return (
            day.year - self.birth.year - ((day.month, day.day) < (self.birth.month, self.birth.day))
        )


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_check(body17: str) -> str:
    """The GB 11643-1999 check character of a 17-digit body."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(body17, ID_WEIGHTS, strict=True)) % 11]


def make_id18(region: str, birth: date, seq: str) -> str:
    """An 18-character resident ID number."""
    body = f"{region}{birth:%Y%m%d}{seq}"
    return body + id_check(body)


def id_sequence(rng: random.Random, gender: str) -> str:
    """The 3-digit sequence: odd for men, even for women, never 000."""
    n = rng.randrange(0, 500) * 2 + 1 if gender == "m" else rng.randrange(1, 500) * 2
    return f"{n:03d}"


def legacy_id15(person: Person) -> str | None:
    """The 15-digit form issued before 1999 (no century, no check), if the person could hold one."""
    if person.birth.year >= 1990:
        return None
    return f"{person.region}{person.birth:%y%m%d}{person.id_seq}"


def mobile(rng: random.Random) -> str:
    """A mainland mobile number."""
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def landline(rng: random.Random) -> str:
    """A Langfang landline with its 0316 area code, as 0316 + 7 digits."""
    return "0316" + str(rng.randint(2, 8)) + f"{rng.randrange(10**6):06d}"


def pick_name(
    rng: random.Random, gender: str, birth_year: int, common_rate: float
) -> tuple[str, str]:
    """(surname, given name); sometimes one of the very common full names."""
    if rng.random() < common_rate:
        pool = [n for n, g in COMMON_NAMES if g == gender]
        full = rng.choice(pool)
        return full[0], full[1:]
    surname = rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
    if rng.random() < 0.45:
        first, second = _COMPOSE[gender]
        return surname, rng.choice(first) + rng.choice(second)
    gen = "old" if birth_year < 1970 else "young"
    if rng.random() < 0.15:  # generations overlap
        gen = "young" if gen == "old" else "old"
    return surname, rng.choice(GIVEN[(gender, gen)])


def random_birth(rng: random.Random) -> date:
    """Petitioners skew older: most born 1945-1990."""
    year = int(rng.triangular(1938, 2002, 1966))
    return date(year, rng.randint(1, 12), rng.randint(1, 28))


def make_person(pid: str, rng: random.Random, common_rate: float) -> Person:
    """A petitioner with a home, phones and a few relatives."""
    gender = "m" if rng.random() < 0.58 else "f"
    birth = random_birth(rng)
    surname, given = pick_name(rng, gender, birth.year, common_rate)
    if rng.random() < 0.9:
        dist = rng.choices(places.DISTRICTS, places.DISTRICT_WEIGHTS)[0]
        district, region, urban = dist.name, dist.region, dist.urban
        town = rng.choice(dist.towns)
        if urban and rng.random() < 0.6:
            locality = (
                f"{rng.choice(places.STREETS)}{places.estate_name(rng)}"
                f"{rng.randint(1, 28)}号楼{rng.randint(1, 6)}单元{rng.randint(1, 18)}0{rng.randint(1, 4)}室"
            )
            town = ""
        else:
            locality = places.village_name(rng)
    else:
        region, district = rng.choice(places.OUTSIDE_REGIONS)
        town, locality, urban = "", f"{rng.choice(places.STREETS)}{rng.randint(1, 300)}号", True
    seq = id_sequence(rng, gender)
    person = Person(
        pid=pid,
        surname=surname,
        given=given,
        gender=gender,
        birth=birth,
        id18=make_id18(region, birth, seq),
        id_seq=seq,
        region=region,
        phone=mobile(rng),
        phone2=mobile(rng) if rng.random() < 0.07 else None,
        landline=landline(rng) if rng.random() < (0.35 if birth.year < 1965 else 0.08) else None,
        district=district,
        town=town,
        locality=locality,
        urban=urban,
        teacher=rng.random() < 0.04,
    )
    person.relatives = make_relatives(person, rng)
    return person


def make_relatives(person: Person, rng: random.Random) -> list[Relative]:
    """A spouse, a child or a sibling, each with a phone (and an ID when adult)."""
    out: list[Relative] = []
    young = person.birth.year >= 1985
    options: list[str] = []
    options.append("妻子" if person.gender == "m" else "丈夫")
    if not young:
        options += ["儿子", "女儿"]
    options += ["弟弟", "妹妹", "哥哥", "姐姐"]
    for relation in rng.sample(options, k=min(len(options), rng.choice((1, 1, 2, 2, 3)))):
        gender = "f" if relation in ("妻子", "女儿", "妹妹", "姐姐") else "m"
        if relation in ("儿子", "女儿"):
            birth = date(
                min(person.birth.year + rng.randint(22, 32), 2004),
                rng.randint(1, 12),
                rng.randint(1, 28),
            )
            surname = person.surname
        elif relation in ("妻子", "丈夫"):
            birth = date(
                person.birth.year + rng.randint(-4, 4), rng.randint(1, 12), rng.randint(1, 28)
            )
            surname = rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
        else:
            birth = date(
                person.birth.year + rng.randint(-9, 9), rng.randint(1, 12), rng.randint(1, 28)
            )
            surname = person.surname
        gen = "old" if birth.year < 1970 else "young"
        given = rng.choice(GIVEN[(gender, gen)])
        if surname + given == person.name:
            given = rng.choice(GIVEN[(gender, gen)]) + rng.choice("文明华")
        out.append(
            Relative(
                relation=relation,
                name=surname + given,
                phone=mobile(rng),
                id18=make_id18(person.region, birth, id_sequence(rng, gender))
                if rng.random() < 0.8
                else None,
            )
        )
    return out


# ---------------------------------------------------------------------------
# Writing them down

_FW_DIGITS = str.maketrans("0123456789Xx-+()", "０１２３４５６７８９Ｘｘ－＋（）")


def fullwidth(s: str) -> str:
    """Digits and a few ASCII symbols as typed in a full-width input mode."""
    return s.translate(_FW_DIGITS)


def honorific(person: Person, day: date, rng: random.Random) -> str:
    """How an operator notes a caller who gave only a surname: 王先生, 张阿姨, 老赵, 小王 …"""
    s, age = person.surname, person.age_on(day)
    if person.gender == "m":
        opts = [f"{s}先生"] * 6 + [f"{s}师傅"] * 2
        if age >= 62:
            opts += [f"{s}大爷"] * 2 + [f"老{s}"]
        elif age >= 48:
            opts += [f"老{s}", f"{s}大哥"]
        if age < 36:
            opts += [f"小{s}"]
        if age >= 40 and len(opts) < 12:
            opts += [f"{s}总"]
    else:
        opts = [f"{s}女士"] * 6
        if age >= 55:
            opts += [f"{s}阿姨"] * 2 + [f"{s}大妈"]
        elif age >= 38:
            opts += [f"{s}大姐", f"{s}阿姨"]
        if age < 36:
            opts += [f"小{s}"]
    if person.teacher:
        opts += [f"{s}老师"] * 4
    return rng.choice(opts)


def homophone(name: str, rng: random.Random) -> str | None:
    """The name as an operator might mishear it: one character swapped for a homophone."""
    given_pos = [i for i in range(1, len(name)) if name[i] in HOMOPHONES]
    if given_pos and (name[0] not in SURNAME_HOMOPHONES or rng.random() < 0.85):
        i = rng.choice(given_pos)
        return name[:i] + rng.choice(HOMOPHONES[name[i]]) + name[i + 1 :]
    if name[0] in SURNAME_HOMOPHONES:
        return rng.choice(SURNAME_HOMOPHONES[name[0]]) + name[1:]
    return None


def spaced_name(name: str, rng: random.Random) -> str:
    """Two-character names padded to line up with three-character ones (王 伟, 王　伟)."""
    sep = rng.choice((" ", "　", "  ", " "))
    if len(name) == 2:
        return name[0] + sep + name[1]
    if rng.random() < 0.5:
        return name[0] + sep + name[1:]
    return sep.join(name)


def id_forms(person_id18: str, id15: str | None, rng: random.Random) -> tuple[str, str | None]:
    """(the ID as typed, a variation tag or None)."""
    r = rng.random()
    if r < 0.05 and id15:
        return id15, "id15"
    if r < 0.11:
        cut = rng.choice(((6, 14), (6, 14), (6, 10, 14), (4, 8, 12, 16), (rng.randrange(3, 16),)))
        parts, prev = [], 0
        for c in cut:
            parts.append(person_id18[prev:c])
            prev = c
        parts.append(person_id18[prev:])
        return rng.choice((" ", " ", "  ", "　")).join(parts), "spaced_id"
    if r < 0.15:
        return fullwidth(person_id18), "fullwidth_id"
    if person_id18.endswith("X") and r < 0.6:
        return person_id18[:-1] + "x", "lowercase_x"
    if r < 0.16:  # a mistyped digit: the check character no longer holds
        i = rng.randrange(6, 17)
        d = str((int(person_id18[i]) + rng.randint(1, 9)) % 10)
        return person_id18[:i] + d + person_id18[i + 1 :], "invalid_id"
    if r < 0.175:
        return " " + person_id18 + " ", None
    return person_id18, None


def phone_forms(
    number: str, rng: random.Random, *, plain_bias: float = 0.72
) -> tuple[str, str | None]:
    """(the phone as written, a variation tag or None)."""
    if number.startswith("0316"):
        local = number[4:]
        return rng.choice(
            (
                f"0316-{local}",
                f"0316-{local}",
                f"0316{local}",
                f"(0316){local}",
                f"（0316）{local}",
                f"0316 {local}",
                f"+86-316-{local}",
            )
        ), "landline"
    if rng.random() < plain_bias:
        return number, None
    return rng.choice(
        (
            f"+86 {number}",
            f"+86{number}",
            f"86-{number}",
            f"0086{number}",
            f"{number[:3]}-{number[3:7]}-{number[7:]}",
            f"{number[:3]} {number[3:7]} {number[7:]}",
            f"{number[:3]}-{number[3:]}",
            fullwidth(number),
            f"+86 {number[:3]} {number[3:7]} {number[7:]}",
        )
    ), "phone_format"
