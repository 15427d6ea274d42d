"""Langfang's courts, districts, towns and streets, and the ways people name them.

Written from the contract's court list and public knowledge of the city's
administrative divisions; villages are composed, so they repeat the way real
village names do (many a 东小屯村, many a 王各庄村).
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Court:
    """A court of the default config: its 案号 code, formal name and everyday names."""

    code: str
    name: str
    district: str | None
    aliases: tuple[str, ...]


INTERMEDIATE = Court(
    "冀10",
    "廊坊市中级人民法院",
    None,
    ("廊坊中院", "廊坊市中院", "廊坊市中级法院", "市中院", "廊坊市中级人民法院"),
)

BASIC_COURTS: tuple[Court, ...] = (
    Court("冀1002", "安次区人民法院", "安次区", ("廊坊市安次区人民法院", "安次法院", "安次区法院")),
    Court("冀1003", "广阳区人民法院", "广阳区", ("廊坊市广阳区人民法院", "广阳法院", "广阳区法院")),
    Court("冀1022", "固安县人民法院", "固安县", ("固安法院", "固安县法院", "廊坊市固安县人民法院")),
    Court("冀1023", "永清县人民法院", "永清县", ("永清法院", "永清县法院", "永清县人民法院")),
    Court("冀1024", "香河县人民法院", "香河县", ("香河法院", "香河县法院", "河北省香河县人民法院")),
    Court("冀1025", "大城县人民法院", "大城县", ("大城法院", "大城县法院", "河北省大城县人民法院")),
    Court("冀1026", "文安县人民法院", "文安县", ("文安法院", "文安县法院", "廊坊市文安县人民法院")),
    Court(
        "冀1028",
        "大厂回族自治县人民法院",
        "大厂回族自治县",
        ("大厂法院", "大厂县法院", "大厂县人民法院", "大厂回族自治县法院"),
    ),
    Court("冀1081", "霸州市人民法院", "霸州市", ("霸州法院", "霸州市法院", "河北省霸州市人民法院")),
    Court("冀1082", "三河市人民法院", "三河市", ("三河法院", "三河市法院", "三河市人民法院")),
)

ALL_COURTS: tuple[Court, ...] = (INTERMEDIATE, *BASIC_COURTS)
COURT_BY_DISTRICT = {c.district: c for c in BASIC_COURTS}

# Courts outside the config that a 案号 may still name (an appeal heard higher up).
OUTSIDE_COURT_CODES = ("冀", "冀01", "冀09", "京03")


@dataclass(frozen=True, slots=True)
class District:
    """A county-level division: name, ID-number region code, towns, and whether urban."""

    name: str
    region: str
    towns: tuple[str, ...]
    urban: bool


DISTRICTS: tuple[District, ...] = (
    District(
        "安次区",
        "131002",
        (
            "码头镇",
            "葛渔城镇",
            "东沽港镇",
            "调河头乡",
            "杨税务乡",
            "仇庄乡",
            "落垡镇",
            "北史家务乡",
        ),
        True,
    ),
    District(
        "广阳区",
        "131003",
        ("九州镇", "万庄镇", "北旺乡", "南尖塔镇", "解放道街道", "新开路街道", "新源道街道"),
        True,
    ),
    District(
        "固安县",
        "131022",
        ("固安镇", "宫村镇", "柳泉镇", "牛驼镇", "马庄镇", "渠沟乡", "礼让店乡", "彭村乡"),
        False,
    ),
    District(
        "永清县",
        "131023",
        ("永清镇", "韩村镇", "后奕镇", "别古庄镇", "里澜城镇", "管家务乡", "曹家务乡", "刘街乡"),
        False,
    ),
    District(
        "香河县",
        "131024",
        ("淑阳镇", "蒋辛屯镇", "渠口镇", "安头屯镇", "安平镇", "刘宋镇", "五百户镇", "钱旺乡"),
        False,
    ),
    District(
        "大城县",
        "131025",
        ("平舒镇", "旺村镇", "大尚屯镇", "南赵扶镇", "留各庄镇", "权村镇", "里坦镇", "广安镇"),
        False,
    ),
    District(
        "文安县",
        "131026",
        ("文安镇", "新镇镇", "苏桥镇", "大柳河镇", "左各庄镇", "滩里镇", "赵各庄镇", "孙氏镇"),
        False,
    ),
    District(
        "大厂回族自治县",
        "131028",
        ("大厂镇", "夏垫镇", "祁各庄镇", "陈府镇", "邵府镇"),
        False,
    ),
    District(
        "霸州市",
        "131081",
        ("霸州镇", "南孟镇", "信安镇", "堂二里镇", "煎茶铺镇", "胜芳镇", "杨芬港镇", "康仙庄乡"),
        False,
    ),
    District(
        "三河市",
        "131082",
        ("泃阳镇", "燕郊镇", "李旗庄镇", "杨庄镇", "皇庄镇", "新集镇", "段甲岭镇", "高楼镇"),
        False,
    ),
)
DISTRICT_WEIGHTS = (10, 12, 9, 7, 7, 7, 7, 4, 10, 11)

# People from elsewhere who petition here (work, marriage, a lawsuit against a local firm).
OUTSIDE_REGIONS = (
    ("110105", "北京市朝阳区"),
    ("120104", "天津市南开区"),
    ("130602", "保定市竞秀区"),
    ("130102", "石家庄市长安区"),
    ("131102", "衡水市桃城区"),
    ("130902", "沧州市新华区"),
    ("411323", "河南省淅川县"),
    ("372401", "山东省德州市"),
)

_VILLAGE_HEADS = (
    "东",
    "西",
    "南",
    "北",
    "前",
    "后",
    "大",
    "小",
    "新",
    "老",
    "上",
    "下",
    "中",
)
_VILLAGE_CORES = (
    "王",
    "李",
    "张",
    "刘",
    "赵",
    "杨",
    "高",
    "马",
    "孙",
    "郭",
    "田",
    "韩",
    "杜",
    "曹",
    "冯",
    "崔",
    "史",
    "辛",
    "南",
    "柳",
    "桃",
    "杏",
    "枣",
    "石",
    "龙",
    "马头",
    "双",
    "花",
    "沙",
    "河",
)
_VILLAGE_TAILS = (
    "庄",
    "各庄",
    "家务",
    "屯",
    "营",
    "堡",
    "寨",
    "店",
    "辛庄",
    "官屯",
    "家坊",
    "窑",
    "码头",
    "口",
    "洼",
)


def village_name(rng: random.Random) -> str:
    """A composed village name ending in 村, e.g. 东王各庄村."""
    head = rng.choice(_VILLAGE_HEADS) if rng.random() < 0.45 else ""
    return f"{head}{rng.choice(_VILLAGE_CORES)}{rng.choice(_VILLAGE_TAILS)}村"


STREETS = (
    "新华路",
    "和平路",
    "银河北路",
    "银河南路",
    "建设南路",
    "建设北路",
    "永兴路",
    "光明东道",
    "光明西道",
    "广阳道",
    "爱民东道",
    "爱民西道",
    "新开路",
    "金光道",
    "解放道",
    "艺术大道",
    "创业路",
    "北凤道",
    "祥云道",
    "永丰道",
    "东安路",
    "西昌路",
    "华祥路",
    "常甫路",
)
_ESTATE_WORDS = (
    "阳光",
    "金色",
    "和平",
    "幸福",
    "温馨",
    "龙河",
    "华夏",
    "书香",
    "盛世",
    "明珠",
    "紫云",
    "翰林",
    "康庄",
    "锦绣",
    "碧水",
    "泰合",
    "御景",
    "新世纪",
    "怡然",
    "香榭",
)
_ESTATE_TAILS = ("小区", "花园", "家园", "嘉苑", "名苑", "新城", "公寓", "雅居")


def estate_name(rng: random.Random) -> str:
    """A residential compound name, e.g. 书香嘉苑."""
    return rng.choice(_ESTATE_WORDS) + rng.choice(_ESTATE_TAILS)


ROADS = (
    "廊霸公路",
    "京台高速廊坊段",
    "112国道",
    "廊涿公路",
    "固霸公路",
    "津围公路",
    "大广高速",
    "京津塘高速",
    "新华路与和平路交叉口",
    "银河南路与光明西道交叉口",
    "廊大路",
    "燕郊迎宾路",
)

# Higher authorities that refer petitions, with the abbreviation of their document numbers.
REFERRERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("廊坊市信访局", ("廊信转", "廊信交")),
    ("廊坊市委政法委", ("廊政法交", "廊政法信")),
    ("河北省高级人民法院", ("冀高法信转", "冀高法访")),
    ("廊坊市人大常委会信访室", ("廊人大信",)),
    ("河北省信访局", ("冀信转",)),
    ("国家信访局", ("国信转",)),
    ("廊坊市纪委监委信访室", ("廊纪信",)),
    ("最高人民法院立案庭", ("最高法信",)),
)
REFERRER_WEIGHTS = (30, 20, 18, 8, 8, 6, 5, 5)

# Staff who receive visitors (接待人); not petitioners.
RECEPTION_STAFF = (
    "杜晓梅",
    "韩志强",
    "宋丽娟",
    "郝建新",
    "马晓燕",
    "孟凡军",
    "张志红",
    "齐海涛",
    "贾秀梅",
    "吕国栋",
    "魏红霞",
    "冯立新",
    "石磊",
    "白雪",
    "付强",
    "谷春燕",
    "常海波",
    "阎淑敏",
    "信访办值班",
    "立案庭",
)

COMPANY_BRANDS = (
    "鑫盛",
    "华泰",
    "宏达",
    "恒信",
    "金鼎",
    "博远",
    "瑞丰",
    "通达",
    "永顺",
    "聚源",
    "隆基",
    "天成",
    "安泰",
    "广源",
    "德润",
    "锦程",
    "中润",
    "嘉禾",
    "兴旺",
    "富达",
    "昌隆",
    "汇通",
    "众城",
    "润泽",
    "新宇",
    "宝龙",
    "泰丰",
    "开元",
    "晟达",
    "福瑞",
    "万象",
    "金泰",
    "荣兴",
    "京廊",
    "燕达",
    "鼎盛",
    "双赢",
    "中嘉",
    "凯旋",
    "大业",
)
COMPANY_TRADES = (
    ("建筑工程", "建筑"),
    ("房地产开发", "地产"),
    ("物流", "物流"),
    ("建材", "建材"),
    ("商贸", "商贸"),
    ("家具制造", "家具"),
    ("汽车销售服务", "汽车"),
    ("劳务分包", "劳务"),
    ("置业", "置业"),
    ("物业服务", "物业"),
    ("钢结构", "钢构"),
    ("装饰工程", "装饰"),
    ("农业开发", "农业"),
    ("金属制品", "金属"),
    ("塑料制品", "塑料"),
    ("印刷包装", "印刷"),
)

INSURERS = (
    ("中国人民财产保险股份有限公司廊坊市分公司", ("人保财险", "人保公司", "人保")),
    ("中国平安财产保险股份有限公司廊坊中心支公司", ("平安保险", "平安财险", "平安")),
    ("中华联合财产保险股份有限公司廊坊中心支公司", ("中华联合保险", "中华联合")),
    ("中国太平洋财产保险股份有限公司廊坊中心支公司", ("太平洋保险", "太保")),
    ("中国人寿财产保险股份有限公司廊坊市中心支公司", ("国寿财险", "人寿财险")),
)

HOSPITALS = (
    "廊坊市人民医院",
    "廊坊市中医医院",
    "廊坊市第四人民医院",
    "固安县人民医院",
    "霸州市第一医院",
    "三河市医院",
    "燕郊人民医院",
    "香河县人民医院",
)
