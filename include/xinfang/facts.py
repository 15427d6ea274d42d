"""The facts a grievance names: the slots that tell one petition matter from another.

Each channel tells a grievance in its own words (a letter's 尊敬的院领导…, an
operator's 来电人反映…, a visit's short 诉求), so two items of one matter share few
words; they share facts: the counterparty, the sums of money, the dates, the places,
the people named (the judge, the debtor), the asset and the kind of complaint.
``extract`` pulls those slots out of ``content_normalized`` (simplified, full-width
folded) with patterns, no model; ``compare`` weighs the slots two texts share and
the ones on which they disagree, and names them, so a join can be explained.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from xinfang.normalize.case_number import find_case_numbers, parse_case_number
from xinfang.normalize.names import SURNAMES, chinese_number

__all__ = ["SLOT_WEIGHTS", "Comparison", "Facts", "compare", "extract"]

_CJK = "\u4e00-\u9fff"
_NUM = "零〇一二两三四五六七八九十百千万亿"

# ---- money -------------------------------------------------------------------------
_MONEY = re.compile(
    rf"(\d+(?:\.\d+)?|[{_NUM}]+)\s*(多|余)?\s*(亿|万|千|百)?\s*(多|余)?\s*(元|块|万元)?"
)
_UNITS = {"亿": 100_000_000, "万": 10_000, "千": 1_000, "百": 100, None: 1, "": 1}

# ---- dates -------------------------------------------------------------------------
_DATE_CN = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*[日号])?")
_DATE_NUM = re.compile(r"((?:19|20)\d{2})[-./](\d{1,2})[-./](\d{1,2})")

# ---- organizations -----------------------------------------------------------------
_ORG_SUFFIX = (
    "有限责任公司|股份有限公司|有限公司|分公司|公司|集团|工厂|厂|合作社|村民委员会|村委会|"
    "居民委员会|居委会|物业|医院|学校|银行|信用社|门市|超市|酒店|饭店|工地|项目部|"
    "开发区管委会|管委会|街道办事处|街道办|镇政府|乡政府|人民政府|政府|局|站|所|中心"
)
_ORG = re.compile(rf"([{_CJK}A-Za-z0-9]{{2,14}}?)({_ORG_SUFFIX})")
# words that end the text before a name starts: the name is what follows them
_LEAD_WORDS = re.compile(
    r".*(?:起诉|申请|执行|被告|原告|对方|单位|拖欠|欠款|欠我|欠|与|和|跟|向|被|是|在|的|了|把|给|"
    r"让|找|说|叫|去|到|帮|对|因|从|这家|那家|该|其|家住|住在|位于|涉及|关于|反映|投诉|称|后)"
)
_ORG_GENERIC = re.compile(
    r"^(?:河北省|河北|廊坊市|廊坊|北京市|北京|天津市|天津|三河市|三河|霸州市|霸州|固安县|固安|"
    r"永清县|永清|香河县|香河|大城县|大城|文安县|文安|大厂县|大厂|安次区|安次|广阳区|广阳|燕郊)+"
)
_ORG_TRADE = re.compile(
    r"(?:建筑工程|建筑安装|建筑|工程|房地产开发|房地产|置业|科技|商贸|贸易|物流|实业|劳务|建设|"
    r"装饰|装修|物业服务|物业管理|汽车销售|汽车|服务|投资|发展|管理|机械|建材|食品|农业|文化|"
    r"传媒|电子|信息|网络|餐饮|运输|钢铁|化工|制造|印刷|家具|纺织|医药|环保|能源|新材料|"
    r"保险|财产保险|人寿保险|财险|寿险)+$"
)
_OFFICE_SUFFIXES = frozenset({"政府", "人民政府", "局", "站", "所", "中心", "管委会"})
_NOT_ORG = frozenset(
    {"法院", "人民法院", "中院", "检察院", "公安局", "派出所", "信访局", "司法局", "政府", "执行局"}
)

# ---- places ------------------------------------------------------------------------
_PLACE = re.compile(
    rf"([{_CJK}0-9]{{1,8}}?)(村(?![里民委干])|庄|屯|镇|乡|街道|大街|街|路(?![费口])|道(?![歉理])|"
    rf"小区|社区|花园|家园|公寓|号楼|号院)"
)
# stems that end a verb or a phrase, not a place's name: 跑路, 公道, 以后村里…
_NOT_PLACE_STEM = re.compile(r"(?:跑|走|上|公|知|说|一|的|了|后|个|条|门|马|半)$")
_PLACE_SKIP = frozenset({"农村", "一路", "道路", "知道", "渠道", "街道", "乡镇", "城乡", "马路"})

# ---- people named ------------------------------------------------------------------
# officials of the court (they change and several are named: weak evidence) and the
# other party's roles (the counterparty of the grievance: strong evidence)
_OFFICIAL = "执行法官|承办法官|法官|庭长|院长|审判员|执行员|承办人|书记员"
_PARTY_ROLE = "经理|老板|包工头|村长|村主任|支书|书记|主任|厂长|队长"
_OFFICIAL_BEFORE = re.compile(rf"([{_CJK}]{{2,3}}?)(?:{_OFFICIAL})")
_OFFICIAL_AFTER = re.compile(rf"(?:{_OFFICIAL})[:：]?\s*([{_CJK}]{{2,3}})")
_PARTY_BEFORE = re.compile(rf"([{_CJK}]{{2,3}}?)(?:{_PARTY_ROLE})")
_PARTY_AFTER = re.compile(
    rf"(?:{_PARTY_ROLE}|被告人?|被执行人|被申请人|对方当事人|对方|债务人|借款人|欠款人|肇事者|"
    rf"肇事司机|司机|前夫|前妻|邻居|承包人|发包人|房东|租户|买方|卖方|出借人|村民|起诉|状告|借给|"
    rf"与|和|跟|同|告|欠)[:：]?\s*([{_CJK}]{{2,3}})"
)
_NOT_NAME = re.compile(r"包工|工头|法官|老板|公司|村委|对方|单位|政府|法院|领导|有关|当事")
_SURNAME_1 = frozenset(s for s in SURNAMES if len(s) == 1)
_SURNAME_2 = frozenset(s for s in SURNAMES if len(s) == 2)
_NOT_GIVEN = frozenset("某的了在是说不也都就还又已要把被给向对与和跟同等人们")

# ---- assets and kinds of complaint -------------------------------------------------
ASSETS: dict[str, tuple[str, ...]] = {
    "house": ("房屋", "房子", "住房", "商品房", "楼房", "宅基地", "门面", "商铺", "房产", "平房"),
    "vehicle": ("车辆", "汽车", "轿车", "货车", "车子", "面包车", "三轮车", "挖掘机"),
    "wages": ("工资", "工钱", "劳务费", "薪水", "薪酬", "劳动报酬", "农民工"),
    "land": ("土地", "承包地", "耕地", "林地", "责任田", "流转", "口粮田"),
    "loan": ("借款", "借钱", "借给", "欠款", "借条", "欠条", "利息", "民间借贷"),
    "injury": ("交通事故", "车祸", "撞伤", "受伤", "伤残", "医疗费", "人身损害", "工伤"),
    "compensation": ("拆迁", "征收", "征地", "补偿款", "安置", "腾退"),
    "family": ("离婚", "抚养", "赡养", "抚养费", "探望", "彩礼", "继承", "遗产"),
    "goods": ("货款", "买卖合同", "供货", "材料款", "建材"),
    "construction": ("工程款", "施工", "装修", "包工"),
    "rent": ("租金", "房租", "租赁"),
    "property_fee": ("物业费", "物业"),
    "fraud": ("诈骗", "集资", "非法吸收", "理财"),
}
KINDS: dict[str, tuple[str, ...]] = {
    "enforcement": ("执行", "被执行", "执行款", "强制执行", "查封", "冻结", "拍卖", "失信"),
    "filing": ("立案", "不予受理", "不给立案", "起诉材料"),
    "delay": ("拖延", "久拖", "超期", "不开庭", "迟迟", "审理期限"),
    "judgment": ("判决不公", "不服", "再审", "改判", "申诉", "偏袒", "枉法"),
    "conduct": ("态度", "作风", "推诿", "不接电话", "刁难", "吃拿卡要", "私下会见"),
    "aid": ("司法救助", "救助", "生活困难"),
    "objection": ("执行异议", "案外人", "错误查封"),
}


def case_kinds(case_number: str | None) -> frozenset[str]:
    """The kinds of complaint a case number's type code implies ('执恢' -> enforcement,
    '民终' -> judgment or delay): an item about 执行款 fits the 执 case of its person."""
    found = parse_case_number(case_number) if case_number else None
    if found is None:
        return frozenset()
    code = found.type_code
    if "执" in code:
        return frozenset({"enforcement", "objection"} if "异" in code else {"enforcement"})
    if "赔" in code or "救" in code:
        return frozenset({"aid"})
    return frozenset({"judgment", "delay"})


def _slot_words(table: dict[str, tuple[str, ...]]) -> re.Pattern[str]:
    words = sorted({w for ws in table.values() for w in ws}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words)))


_ASSET_WORDS = _slot_words(ASSETS)
_KIND_WORDS = _slot_words(KINDS)
_ASSET_OF = {w: k for k, ws in ASSETS.items() for w in ws}
_KIND_OF = {w: k for k, ws in KINDS.items() for w in ws}


@dataclass(frozen=True, slots=True)
class Facts:
    """The slots of one grievance text (empty sets where the text names nothing)."""

    money: frozenset[int] = frozenset()
    """Sums of money in yuan ('12万元', '十二万', '120,000元' -> 120000); an approximate
    one negative ('1万多' -> -10000)."""
    cases: frozenset[str] = frozenset()
    """Case numbers (案号) the text names, canonical."""
    dates: frozenset[str] = frozenset()
    """Days ('2023-05-12') and months ('2023-05') named."""
    orgs: frozenset[str] = frozenset()
    """Organizations, by their distinctive core ('廊坊市华信建筑有限公司' -> '华信')."""
    places: frozenset[str] = frozenset()
    """Villages, streets, housing estates ('东王村', '新华小区')."""
    people: frozenset[str] = frozenset()
    """The other party's people, by surname and first given character ('被执行人刘东',
    '前夫季强' -> '刘东', '季强')."""
    officials: frozenset[str] = frozenset()
    """The court's people named ('执行法官王建国' -> '王建'): they change, several are named."""
    assets: frozenset[str] = frozenset()
    """What is at stake: house, wages, land, loan, vehicle, injury, compensation…"""
    kinds: frozenset[str] = frozenset()
    """Kind of complaint: enforcement, filing, delay, judgment, conduct, aid, objection."""

    def is_empty(self) -> bool:
        return not (
            self.money
            or self.cases
            or self.dates
            or self.orgs
            or self.places
            or self.people
            or self.officials
        )


def _money(text: str) -> frozenset[int]:
    if not any(c in text for c in "元块万"):
        return frozenset()
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    out = set()
    for m in _MONEY.finditer(text):
        number, unit, yuan = m.group(1), m.group(3), m.group(5)
        approx = bool(m.group(2) or m.group(4))
        if not unit and len(number) > 1 and number[-1] in "万亿":
            number, unit = number[:-1], number[-1]  # '十二万'
        if not unit and not yuan:
            continue  # a bare number: a count, a house number, a year
        if yuan == "万元":
            unit = unit or "万"
        if number[0].isdigit():
            value = float(number)
        else:
            value = _chinese_amount(number)
            if value is None:
                continue
        total = round(value * _UNITS[unit])
        if total >= 10**10:
            continue  # no petition's sum: a phone or ID number typed before 元
        if total >= 100 and not (unit is None and yuan in (None, "") and total < 1000):
            out.add(-total if approx else total)  # '1万多': about, at least 10000
    return frozenset(out)


def _same_sum(a: int, b: int) -> bool:
    """Two sums one grievance could name: equal within 1% ('7.49万' and '74910元'), or
    an approximate one (negative: '1万多') and one between it and twice it."""
    if a < 0 and b < 0:
        return a == b
    if a < 0 or b < 0:
        about, exact = (-a, b) if a < 0 else (-b, a)
        return about <= exact < 2 * about
    return abs(a - b) <= 0.01 * max(a, b)


def _chinese_amount(s: str) -> float | None:
    """'十二' -> 12, '三千五百' -> 3500, '一万二' is left to the unit parser."""
    total, section = 0, 0
    digit = None
    for ch in s:
        if ch in "万亿":
            section = (section + (digit or 0)) or 1
            total += section * (10_000 if ch == "万" else 100_000_000)
            section, digit = 0, None
        elif ch in "千百十":
            section += (digit if digit is not None else 1) * {"千": 1000, "百": 100, "十": 10}[ch]
            digit = None
        else:
            d = chinese_number(ch)
            if d is None:
                return None
            digit = d
    return float(total + section + (digit or 0)) if (total or section or digit) else None


def _dates(text: str) -> frozenset[str]:
    out = set()
    for m in (*_DATE_CN.finditer(text), *_DATE_NUM.finditer(text)):
        year, month, day = int(m.group(1)), int(m.group(2)), m.group(3)
        if not 1 <= month <= 12:
            continue
        out.add(f"{year:04d}-{month:02d}")
        if day and 1 <= int(day) <= 31:
            out.add(f"{year:04d}-{month:02d}-{int(day):02d}")
    return frozenset(out)


def _org_core(name: str) -> str | None:
    name = _LEAD_WORDS.sub("", name)
    name = re.sub(r"^.*(?:省|市|县|区|镇|乡)(?=..)", "", name)
    core = _ORG_TRADE.sub("", _ORG_GENERIC.sub("", name))
    core = re.sub(r"(?:市|县|区|省)$", "", core)
    if len(core) < 2:
        core = name
    core = core[-6:]  # a name ends where its suffix starts
    if len(core) < 2 or core in _NOT_ORG or _ORG_TRADE.fullmatch(core) or re.search(r"\d{5}", core):
        return None  # (a run of digits: a number typed into the text, never a name)
    return core


def _orgs(text: str) -> frozenset[str]:
    out = set()
    for m in _ORG.finditer(text):
        whole = m.group(1) + m.group(2)
        if any(bad in whole for bad in ("法院", "检察院", "公安", "信访")):
            continue
        if m.group(2) in _OFFICE_SUFFIXES and m.group(1)[-1] not in "省市县区镇乡":
            continue  # '希望政府…', '派出所': an office is named by its place
        core = _org_core(m.group(1))
        if core:
            out.add(core)
    return frozenset(out)


def _places(text: str) -> frozenset[str]:
    out = set()
    for m in _PLACE.finditer(text):
        stem = _LEAD_WORDS.sub("", m.group(1))
        stem = _ORG_GENERIC.sub("", stem)
        stem = re.sub(r"^.*?(?:省|市|县|区|镇|乡)(?=.)", "", stem)
        stem = stem[-4:]
        if not stem or stem.isdigit() or _NOT_PLACE_STEM.search(stem):
            continue  # '21号楼' is a building number; '跑路', '公道' are no places
        place = stem + m.group(2)
        if len(place) >= 3 and place not in _PLACE_SKIP and not re.search(r"\d{5}", place):
            out.add(place)
    return frozenset(out)


def _person_key(candidate: str) -> str | None:
    """Surname + first given character, if ``candidate`` starts like a person's name."""
    size = 2 if candidate[:2] in _SURNAME_2 else 1 if candidate[:1] in _SURNAME_1 else 0
    if not size or len(candidate) <= size or candidate[size] in _NOT_GIVEN:
        return None
    return candidate[: size + 1]


def _named(text: str, patterns: tuple[re.Pattern[str], ...]) -> frozenset[str]:
    out = set()
    for pattern in patterns:
        for m in pattern.finditer(text):
            cand = m.group(1)
            cand = _LEAD_WORDS.sub("", cand) or cand
            if _NOT_NAME.search(cand):
                continue
            key = _person_key(cand)
            if key:
                out.add(key)
    return frozenset(out)


@lru_cache(maxsize=32_768)  # about 1.5 KB a text: repeats, not every text
def extract(text: str | None) -> Facts:
    """The slots ``text`` names (see ``Facts``)."""
    if not text:
        return _NONE
    return Facts(
        money=_shared(_money(text)),
        cases=_shared(frozenset(c.canonical for c in find_case_numbers(text))),
        dates=_shared(_dates(text)),
        orgs=_shared(_orgs(text)),
        places=_shared(_places(text)),
        people=_shared(_named(text, (_PARTY_AFTER, _PARTY_BEFORE))),
        officials=_shared(_named(text, (_OFFICIAL_AFTER, _OFFICIAL_BEFORE))),
        assets=_shared(frozenset(_ASSET_OF[w] for w in _ASSET_WORDS.findall(text))),
        kinds=_shared(frozenset(_KIND_OF[w] for w in _KIND_WORDS.findall(text))),
    )


_EMPTY: frozenset = frozenset()


def _shared(values: frozenset) -> frozenset:
    """One empty set for every slot a text leaves empty (most of them): each empty
    frozenset is an object of 216 bytes of its own."""
    return values or _EMPTY


_NONE = Facts()

SLOT_WEIGHTS: dict[str, tuple[float, float]] = {
    # slot: (added when the texts share a value, taken off when both name values and
    # share none). Disagreement weighs less than agreement: one matter's texts name
    # different sums (offered, claimed) and different people (the judge, the debtor).
    "cases": (1.00, 0.40),
    "money": (0.45, 0.20),
    "orgs": (0.45, 0.20),
    "people": (0.40, 0.25),
    "officials": (0.30, 0.0),
    "places": (0.30, 0.15),
    "dates": (0.20, 0.05),
    "assets": (0.10, 0.20),
    "kinds": (0.05, 0.05),
}
# (A different asset or kind of complaint tells another matter more than a shared one
# tells the same: a person's matters are often of one kind; ``assets`` 0.20 and
# ``kinds`` 0.05 off, from 0.10 and 0: heldout pairwise P 0.9749 -> 0.9769 at 1,500.)


def _in_order(values: frozenset[str]) -> Iterable[str]:
    """A set's strings in a fixed order: which shared value the evidence names must not
    depend on the process's string hashing (PYTHONHASHSEED)."""
    return sorted(values) if len(values) > 1 else values


def _org_match(a: frozenset[str], b: frozenset[str]) -> str | None:
    for x in _in_order(a):
        for y in _in_order(b):
            if x == y or (len(x) >= 2 and len(y) >= 2 and (x in y or y in x)):
                return x if len(x) <= len(y) else y
    return None


@dataclass(frozen=True, slots=True)
class Comparison:
    """How two grievances' facts relate: a score and the slots behind it."""

    score: float
    shared: tuple[str, ...]
    """'money=350000', 'orgs=恒达'…"""
    conflicts: tuple[str, ...]
    """Slots both name with no value in common: 'money', 'orgs'…"""


def compare(a: Facts, b: Facts, text_a: str = "", text_b: str = "") -> Comparison:
    """Weigh the slots two grievances share against the ones where they disagree.

    With the texts given, an organization, place or person one text names that the
    other text mentions in passing (恒达建材 in 'the 恒达 case') counts as shared too.
    """
    score = 0.0
    shared: list[str] = []
    conflicts: list[str] = []
    for slot, (gain, loss) in SLOT_WEIGHTS.items():
        va, vb = getattr(a, slot), getattr(b, slot)
        common = None
        if slot in _NAMED and (text_a or text_b):
            common = _mentioned(va, text_b) or _mentioned(vb, text_a)
        if common is None:
            if not va or not vb:
                continue
            common = _common(slot, va, vb)
            if common is not None and slot == "dates" and len(common) == 7:
                gain = gain / 2  # the same month only
        if common is not None:
            score += gain
            shared.append(f"{slot}={common}")
        elif loss:
            score -= loss
            conflicts.append(slot)
    return Comparison(round(score, 4), tuple(shared), tuple(conflicts))


_NAMED = frozenset({"orgs", "places", "people", "officials"})


def _mentioned(values: frozenset[str], text: str) -> str | None:
    for v in _in_order(values):
        if len(v) >= 2 and v in text:
            return v
    return None


def _common(slot: str, va: frozenset, vb: frozenset) -> str | int | None:
    if slot == "orgs":
        return _org_match(va, vb)
    if slot == "money":
        return next((abs(x) for x in va for y in vb if _same_sum(x, y)), None)
    both = va & vb
    if not both:
        return None
    if slot == "dates":
        days = [d for d in both if len(d) == 10]
        return max(days) if days else max(both)
    return min(both)
