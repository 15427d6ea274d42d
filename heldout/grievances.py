"""Kinds of grievance, the facts each one has, and the phrases that tell it.

Templates use slots: ``{S}`` the petitioner as subject (我 / 来电人, later 其),
``{my}`` / ``{home}`` possessives, and fact slots (``{cp}`` counterparty,
``{amt}``, ``{d1}`` …). A template is used only when the item carries every fact
it names, so short items carry fewer facts.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from heldout import places
from heldout.facts import Alt, Amount, Day, Fact, cn_number
from heldout.people import GIVEN, SURNAME_WEIGHTS, SURNAMES, Person


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of grievance: its 案号 types, how often it has none, and its phrases."""

    code: str
    label: str
    weight: float
    case_types: tuple[tuple[str, bool], ...]  # (类型代字, heard at the intermediate court)
    no_case_rate: float
    group_rate: float
    build: Callable[[random.Random, Person, date], dict[str, Fact]]
    bg: tuple[str, ...]
    issue: tuple[str, ...]
    demand: tuple[str, ...]
    title: tuple[str, ...]
    brief: tuple[str, ...]
    person_counterparty: bool = False


# ---------------------------------------------------------------------------
# Fact builders


def _name(rng: random.Random, gender: str | None = None) -> str:
    g = gender or rng.choice("mf")
    gen = rng.choice(("old", "young"))
    return rng.choices(SURNAMES, SURNAME_WEIGHTS)[0] + rng.choice(GIVEN[(g, gen)])


def person_party(rng: random.Random, name: str | None = None, role: str = "") -> Alt:
    """A private person on the other side: 王建国, 王某, 被执行人王建国, 对方."""
    n = name or _name(rng)
    firsts = (n, n, f"{role}{n}" if role else n)
    return Alt(first=firsts, later=(n, "对方", "此人", n), anon=(f"{n[0]}某", f"{n[0]}某某"))


def company_party(rng: random.Random, trade_pick: int | None = None) -> Alt:
    """A company: full registered name, short forms, 该公司, 某公司."""
    brand = rng.choice(places.COMPANY_BRANDS)
    trade, short = (
        places.COMPANY_TRADES[trade_pick]
        if trade_pick is not None
        else rng.choice(places.COMPANY_TRADES)
    )
    prefix = rng.choice(("廊坊市", "廊坊市", "河北", "廊坊", rng.choice(places.DISTRICTS).name[:2]))
    full = f"{prefix}{brand}{trade}有限公司"
    return Alt(
        first=(full, full, f"{brand}{short}公司", f"{brand}公司", f"{brand}{trade}公司"),
        later=("该公司", "这家公司", f"{brand}公司", "对方公司", "公司"),
        anon=("某公司", f"某{short}公司", "某有限公司"),
    )


def years_between(earlier: date, later: date) -> Alt:
    """How long ago, as people say it (一年多, 两年多, 大半年)."""
    days = (later - earlier).days
    if days < 365:
        opts: tuple[str, ...] = ("大半年", "快一年", "好几个月")
    elif days < 730:
        opts = ("一年多", "一年多", "快两年")
    elif days < 1095:
        opts = ("两年多", "两年多", "快三年")
    else:
        opts = ("三年多", "好几年", f"{days // 365}年多")
    return Alt(first=opts)


def _years(rng: random.Random) -> Alt:
    return Alt(
        first=(rng.choice(("一年多", "两年多", "三年多", "快两年", "大半年", "一年半", "四年")),)
    )


def _past(rng: random.Random, start: date, lo_days: int, hi_days: int) -> date:
    return start - timedelta(days=rng.randint(lo_days, hi_days))


def _amount(
    rng: random.Random, lo: int, hi: int, round_to: int = 10000, round_rate: float = 0.7
) -> Amount:
    if rng.random() < round_rate:
        return Amount(rng.randint(max(lo // round_to, 1), hi // round_to) * round_to)
    if rng.random() < 0.7:
        return Amount(rng.randint(lo // 10, hi // 10) * 10)
    return Amount(rng.randint(lo, hi))


def _place(rng: random.Random, person: Person) -> Alt:
    if person.town and rng.random() < 0.7:
        return Alt(
            first=(
                f"{person.town}{person.locality}",
                person.locality,
                f"{person.district}{person.town}{person.locality}",
            )
        )
    d = rng.choices(places.DISTRICTS, places.DISTRICT_WEIGHTS)[0]
    town, village = rng.choice(d.towns), places.village_name(rng)
    return Alt(first=(f"{town}{village}", village, f"{d.name}{town}{village}"))


def _car(rng: random.Random) -> Alt:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    plate = rng.choice(letters) + "".join(rng.choice("0123456789" + letters[:8]) for _ in range(4))
    plate = plate[:1] + str(rng.randint(0, 9)) + plate[2:]
    color = rng.choice(("白色", "黑色", "银色", "红色", "灰色"))
    brand = rng.choice(
        ("大众", "丰田", "本田", "奥迪", "宝马", "别克", "哈弗", "比亚迪", "奔驰", "长城皮卡")
    )
    return Alt(
        first=(
            f"车牌号为冀R{plate}的{color}{brand}轿车",
            f"冀R·{plate}{brand}车",
            f"一辆{color}{brand}",
            f"{brand}轿车（冀R{plate}）",
        ),
        later=("那辆车", "这辆车", "车"),
    )


def _house(rng: random.Random, person: Person) -> Alt:
    estate = places.estate_name(rng)
    unit = (
        f"{rng.randint(1, 30)}号楼{rng.randint(1, 5)}单元{rng.randint(1, 26)}0{rng.randint(1, 4)}"
    )
    return Alt(
        first=(
            f"位于{estate}{unit}室的房产",
            f"{estate}的一套住房",
            f"{estate}{unit}的房子",
            f"名下{estate}的房子",
        ),
        later=("该房产", "这套房子", "房子"),
    )


def _asset(rng: random.Random, person: Person) -> Alt:
    r = rng.random()
    if r < 0.45:
        return _car(rng)
    if r < 0.8:
        return _house(rng, person)
    if r < 0.9:
        shop = rng.choice(("超市", "饭店", "五金店", "建材门市", "汽修厂", "洗浴中心"))
        return Alt(
            first=(f"在{rng.choice(places.DISTRICTS).towns[0]}开的{shop}", f"经营的{shop}"),
            later=(f"那个{shop}",),
        )
    return Alt(first=("银行存款", "微信和支付宝里的钱", "工资收入"), later=("存款",))


def _judge(judge_name: str, role: str) -> Alt:
    s = judge_name[0]
    return Alt(
        first=(
            f"{judge_name}法官",
            f"{role}{judge_name}",
            f"{s}法官",
            f"{role}{s}某",
            judge_name,
            f"姓{s}的法官",
        ),
        later=(f"{s}法官", "该法官", "这个法官", f"{s}法官"),
        anon=(f"{role}{s}某", f"{s}某法官"),
    )


def _court(court: places.Court) -> Alt:
    return Alt(first=(court.name, *court.aliases), later=("法院", "该院", "法院"))


# A builder receives (rng, person, start) plus context set by the planner in ``extra``;
# the planner adds court, judge and case-number facts itself.


def _b_loan(rng: random.Random, p: Person, start: date) -> dict[str, Fact]:
    d1 = _past(rng, start, 700, 2500)
    d2 = d1 + timedelta(days=rng.randint(300, 900))
    d2 = min(d2, start - timedelta(days=60))
    principal = _amount(rng, 20000, 800000, round_rate=0.85)
    asset = _asset(rng, p)
    facts: dict[str, Fact] = {
        "cp": person_party(rng, role="被执行人") if rng.random() < 0.65 else company_party(rng),
        "amt": principal,
        "amt2": Amount(
            int(principal.yuan * rng.uniform(1.05, 1.45)) // 10 * 10 + rng.randint(0, 9)
        ),
        "d1": Day(d1, rng.choice(("day", "month", "month"))),
        "d2": Day(d2, rng.choice(("day", "month"))),
        "asset": asset,
        "years": _years(rng),
    }
    if "那辆车" in asset.later:
        facts["car"] = asset
    return facts


LOAN = Kind(
    code="loan_enforcement",
    label="借款执行",
    weight=15,
    case_types=(("执", False), ("执", False), ("民初", False), ("执恢", False)),
    no_case_rate=0.06,
    group_rate=0.0,
    build=_b_loan,
    person_counterparty=True,
    bg=(
        "{d1}，{cp}以资金周转为由向{S}借款{amt}，并出具了借条",
        "{S}于{d1}借给{cp}{amt}，到期后对方一直不还",
        "{S}与{cp}民间借贷纠纷一案，{court}于{d2}判决{cp}偿还借款{amt}及利息",
        "{cp}欠{S}借款{amt}，经{court}判决后拒不履行",
        "{S}诉{cp}民间借贷纠纷一案{case}早已判决生效",
        "{S}借给{cp}的{amt}，官司早就打赢了",
        "{S}申请执行{cp}借款一案，执行标的{amt2}",
        "{S}与{cp}的借款纠纷案件",
        "{S}起诉{cp}还钱的案子判了",
    ),
    issue=(
        "申请强制执行至今已{years}，{judge}一直说对方名下没有可供执行的财产",
        "{judge}以暂无财产可供执行为由终结了本次执行程序",
        "{S}多次向法院提供{cp}名下{asset}的线索，法院迟迟不采取措施",
        "{cp}开着{car}到处跑，法院就是不管",
        "案子执行了{years}，一分钱也没拿到",
        "执行法官电话打不通，去了也见不着人",
        "至今未执行到位",
        "{cp}把{asset}转到亲戚名下逃避执行",
        "执行款{amt2}至今一分未到",
    ),
    demand=(
        "要求法院尽快查封{cp}名下的{asset}",
        "请求依法对{cp}采取拘留、限制高消费等措施",
        "希望法院加大执行力度，尽快把钱要回来",
        "要求恢复执行并更换执行法官",
        "请求领导督促执行",
        "要求依法追究{cp}拒不执行判决的刑事责任",
    ),
    title=(
        "借款{amt}判了也拿不到",
        "关于{cp}借款一案执行的问题",
        "执行难，法院不作为",
        "求助：民间借贷案件执行",
        "反映{court}执行问题",
        "老赖欠钱不还法院不管",
    ),
    brief=(
        "要求执行{cp}欠款",
        "催问借款案执行进展",
        "反映执行难，{cp}有{asset}不执行",
        "要求对{cp}司法拘留",
        "执行{amt}借款问题",
        "借款案执行",
    ),
)


def _b_wage(rng: random.Random, p: Person, start: date) -> dict[str, Fact]:
    d1 = _past(rng, start, 200, 1400)
    if rng.random() < 0.55:
        cp = company_party(rng, trade_pick=rng.choice((0, 7, 10, 11)))
    else:
        cp = person_party(rng, _name(rng, "m"), role="包工头")
    proj_place = rng.choice(rng.choices(places.DISTRICTS, places.DISTRICT_WEIGHTS)[0].towns)
    if rng.random() < 0.6:
        proj = f"{places.estate_name(rng)}{rng.choice(('二期', '三期', '一期', ''))}项目"
    else:
        proj = f"{rng.choice(('厂房', '学校', '安置房', '商业综合体', '污水处理厂', '物流园'))}工程"
    return {
        "cp": cp,
        "proj": Alt(
            first=(proj, f"{proj}工地", f"{proj_place}{proj}"), later=("工地", "该工程", "那个工地")
        ),
        "place": Alt(first=(proj_place,)),
        "amt": _amount(rng, 8000, 90000, round_to=1000, round_rate=0.6),
        "d1": Day(d1, rng.choice(("year", "month"))),
        "years": _years(rng),
    }


WAGE = Kind(
    code="wage_arrears",
    label="拖欠工资",
    weight=10,
    case_types=(("民初", False), ("执", False), ("民终", True)),
    no_case_rate=0.2,
    group_rate=0.45,
    build=_b_wage,
    bg=(
        "{d1}{S}在{cp}承包的{proj}干活，工程完工后{cp}拖欠工资{amt}",
        "{S}给{cp}打工，{cp}至今拖欠{my}工资{amt}",
        "{S}和工友们在{proj}务工，工钱一直没结",
        "{d1}起{S}在{place}一处工地干活，{cp}一直拖着不结账",
        "{cp}拖欠{S}劳务费{amt}，{S}起诉到{court}",
        "{S}追索劳动报酬一案{case}，法院判决{cp}支付工资{amt}",
        "{S}在{proj}干了大半年，一分钱工钱没拿到",
        "{S}与{cp}劳务合同纠纷",
    ),
    issue=(
        "判决生效后{cp}一直不给钱，法院也不执行",
        "{cp}说开发商没给工程款，所以发不了工资",
        "找了劳动监察，又找了法院，互相推诿",
        "申请执行{years}没有任何进展",
        "{judge}让{S}自己去找{cp}的财产",
        "案子立案后一直没开庭",
        "{cp}已经跑路，电话也不接了",
    ),
    demand=(
        "要求{cp}立即支付拖欠的工资{amt}",
        "请求法院尽快执行，让农民工拿到血汗钱",
        "希望政府和法院给农民工做主",
        "要求尽快开庭审理",
        "要求追加发包方为被执行人",
    ),
    title=(
        "农民工讨薪难",
        "{cp}拖欠工资{amt}",
        "关于{proj}拖欠农民工工资的问题",
        "请帮帮我们农民工",
        "讨要工钱",
    ),
    brief=(
        "讨要工资{amt}",
        "{cp}欠薪问题",
        "要求执行工资款",
        "农民工工资问题",
        "反映{proj}欠薪",
    ),
)


def _town_office(town: str) -> str:
    """镇政府, 乡政府 or 街道办 as people call their own township's office."""
    return "镇政府" if town.endswith("镇") else "乡政府" if town.endswith("乡") else "街道办"


def _b_demolition(rng: random.Random, p: Person, start: date) -> dict[str, Fact]:
    d = next((x for x in places.DISTRICTS if x.name == p.district), rng.choice(places.DISTRICTS))
    town = p.town or rng.choice(d.towns)
    gov = rng.choice(
        (
            (f"{town}人民政府", (f"{town}政府", _town_office(town))),
            (
                f"{d.name}人民政府",
                (f"{d.name}政府", {"区": "区政府", "县": "县政府", "市": "市政府"}[d.name[-1]]),
            ),
            (f"{d.name}房屋征收办公室", ("征收办", "拆迁办", f"{d.name}征收办")),
            (f"{d.name}城中村改造指挥部", ("指挥部", "改造指挥部", "拆迁指挥部")),
        )
    )
    offered = _amount(rng, 100000, 900000, round_rate=0.5)
    return {
        "cp": Alt(first=(gov[0], *gov[1]), later=("他们", "对方", gov[1][0]), anon=(gov[0],)),
        "place": _place(rng, p),
        "area": Alt(
            first=(f"{rng.randint(60, 420)}{rng.choice(('平方米', '平米', '㎡', '平方'))}",)
        ),
        "amt": offered,
        "amt2": Amount(int(offered.yuan * rng.uniform(1.6, 3.5)) // 10000 * 10000),
        "d1": Day(_past(rng, start, 120, 1500), rng.choice(("day", "month"))),
    }


DEMOLITION = Kind(
    code="demolition_compensation",
    label="拆迁补偿",
    weight=8,
    case_types=(("行初", False), ("行初", True), ("行终", True)),
    no_case_rate=0.18,
    group_rate=0.3,
    build=_b_demolition,
    bg=(
        "{d1}，{cp}在未达成补偿协议的情况下强行拆除了{S}位于{place}的房屋",
        "{home}在{place}有宅基地房屋{area}，被{cp}列入征收范围",
        "{cp}对{home}房屋只给补偿{amt}，远低于市场价",
        "{S}诉{cp}强制拆除房屋一案{case}",
        "{S}的老房子{area}被{cp}强拆了",
        "{S}不服{cp}作出的房屋征收补偿决定，向法院提起行政诉讼",
    ),
    issue=(
        "法院判决违法却不判赔偿，等于没判",
        "评估价明显偏低，{S}要求重新评估被拒绝",
        "{judge}偏向政府，开庭时不让{S}说话",
        "同村其他人每平米补得比{S}多",
        "案子拖了很久没有结果，{S}一家现在租房住",
        "至今补偿款一分没给",
    ),
    demand=(
        "要求按市场价补偿不低于{amt2}",
        "要求依法撤销{cp}的补偿决定",
        "请求法院依法公正审理，责令{cp}恢复原状或给予赔偿",
        "要求落实安置房",
        "希望领导过问，早日解决安置问题",
    ),
    title=(
        "强拆无补偿",
        "关于{place}房屋被强拆的问题",
        "拆迁补偿不公",
        "{cp}违法强拆",
        "我的房子被拆了怎么办",
    ),
    brief=(
        "拆迁补偿问题",
        "要求重新评估房屋",
        "反映{cp}强拆",
        "{place}拆迁安置问题",
        "要求补偿{amt2}",
    ),
)


def _b_traffic(rng: random.Random, p: Person, start: date) -> dict[str, Fact]:
    ins_full, ins_short = rng.choice(places.INSURERS)
    road = rng.choice(places.ROADS)
    return {
        "cp": person_party(rng, role="肇事司机"),
        "ins": Alt(first=(ins_full, *ins_short), later=("保险公司", ins_short[0])),
        "place": Alt(first=(road, f"{road}附近", f"{road}上")),
        "d1": Day(_past(rng, start, 300, 1600), "day"),
        "inj": Alt(
            first=(
                rng.choice(
                    (
                        "左腿粉碎性骨折",
                        "颅脑损伤",
                        "腰椎压缩性骨折",
                        "右臂骨折",
                        "多根肋骨骨折",
                        "脾脏破裂",
                        "骨盆骨折",
                    )
                ),
            )
        ),
        "level": Alt(first=(rng.choice(("十级伤残", "九级伤残", "八级伤残", "七级伤残")),)),
        "amt": _amount(rng, 30000, 600000, round_rate=0.3),
    }


TRAFFIC = Kind(
    code="traffic_accident",
    label="交通事故赔偿",
    weight=8,
    case_types=(("民初", False), ("执", False), ("民终", True)),
    no_case_rate=0.08,
    group_rate=0.0,
    build=_b_traffic,
    person_counterparty=True,
    bg=(
        "{d1}，{S}在{place}被{cp}驾驶的车辆撞伤，造成{inj}",
        "{S}于{d1}发生交通事故，经鉴定为{level}",
        "{S}与{cp}、{ins}机动车交通事故责任纠纷一案{case}",
        "{court}判决{ins}和{cp}赔偿{S}各项损失{amt}",
        "{S}出车祸被撞成{inj}，肇事方是{cp}",
        "{S}因交通事故起诉{cp}和{ins}",
    ),
    issue=(
        "保险公司赔了一部分，剩下的{cp}一直不给",
        "{cp}名下没有财产，法院说执行不了",
        "判决的赔偿数额太低，连医药费都不够",
        "{judge}没有采纳{S}提交的伤残鉴定",
        "{S}现在丧失劳动能力，一家人生活困难",
        "判决生效一年多了钱还没拿到",
    ),
    demand=(
        "要求尽快执行赔偿款{amt}",
        "申请司法救助",
        "要求重新鉴定并改判",
        "请求对{cp}采取强制措施",
        "希望法院帮忙协调保险公司",
    ),
    title=(
        "交通事故赔偿款执行不到位",
        "车祸受害人求助",
        "关于{d1}交通事故案件的反映",
        "{ins}拒不理赔",
        "被撞成{level}，赔偿款拿不到",
    ),
    brief=(
        "交通事故赔偿执行",
        "要求执行赔偿款",
        "申请司法救助",
        "车祸赔偿{amt}未执行",
        "对事故案判决不服",
    ),
)


def _b_land(rng: random.Random, p: Person, start: date) -> dict[str, Fact]:
    village = p.locality if p.locality.endswith("村") else places.village_name(rng)
    if rng.random() < 0.7:
        cp = Alt(
            first=(f"{village}村民委员会", f"{village}村委会", "村委会", f"{village}村委"),
            later=("村委会", "村里", "村干部"),
        )
    else:
        cp = person_party(rng, role="同村村民")
    mu = rng.choice(
        (
            f"{rng.randint(2, 15)}亩",
            f"{cn_mu(rng)}亩",
            f"{rng.randint(2, 12)}.5亩",
            f"{rng.randint(2, 9)}亩多",
        )
    )
    return {
        "cp": cp,
        "place": Alt(first=(village, f"{p.town}{village}" if p.town else village)),
        "mu": Alt(first=(mu,)),
        "d1": Day(date(rng.randint(1998, 2019), rng.randint(1, 12), 1), "year"),
        "amt": _amount(rng, 5000, 200000, round_to=1000, round_rate=0.7),
    }


def cn_mu(rng: random.Random) -> str:
    """A land area in Chinese numerals (六亩, 十二亩)."""
    return cn_number(rng.randint(2, 20))


LAND = Kind(
    code="land_contract",
    label="土地承包",
    weight=6,
    case_types=(("民初", False), ("民终", True)),
    no_case_rate=0.22,
    group_rate=0.25,
    build=_b_land,
    person_counterparty=False,
    bg=(
        "{d1}，{S}承包了{place}的{mu}耕地，签有承包合同",
        "{home}在{place}的{mu}承包地被{cp}收回转包给别人",
        "{cp}未经{S}同意，将{my}承包地流转给外村老板",
        "{S}诉{cp}土地承包经营权纠纷一案{case}",
        "{S}家的{mu}地被{cp}占了",
        "{S}与{cp}因土地承包发生纠纷",
    ),
    issue=(
        "法院判{S}败诉，理由是合同到期，但二轮承包期明明还没到",
        "{cp}拿走了土地补偿款{amt}，一分没给{S}",
        "{judge}不调查就下判决",
        "案子判了以后村里还是不退地",
        "现在地上已经盖了厂房",
    ),
    demand=(
        "要求返还承包地",
        "要求{cp}支付土地补偿款{amt}",
        "请求法院再审",
        "要求法院到现场调查",
    ),
    title=(
        "承包地被强占",
        "关于{place}土地承包纠纷的反映",
        "村委会侵占我家承包地",
        "土地补偿款被截留",
    ),
    brief=(
        "土地承包纠纷",
        "要求返还{mu}承包地",
        "反映{cp}占地",
        "土地补偿款问题",
    ),
)


_DISPUTES = (
    "买卖合同纠纷",
    "建设工程施工合同纠纷",
    "房屋租赁合同纠纷",
    "合伙协议纠纷",
    "物业服务合同纠纷",
    "承揽合同纠纷",
    "房屋买卖合同纠纷",
    "排除妨害纠纷",
    "相邻关系纠纷",
    "继承纠纷",
)


def _b_delay(rng: random.Random, p: Person, start: date) -> dict[str, Fact]:
    dispute = rng.choice(_DISPUTES)
    return {
        "cp": person_party(rng) if rng.random() < 0.5 else company_party(rng),
        "dispute": Alt(first=(dispute, dispute.removesuffix("纠纷") + "的官司", dispute)),
        "d1": Day(_past(rng, start, 300, 1300), rng.choice(("day", "month"))),
        "amt": _amount(rng, 10000, 2000000, round_rate=0.6),
        "years": _years(rng),
    }


DELAY = Kind(
    code="delayed_trial",
    label="超期审理",
    weight=8,
    case_types=(("民初", False), ("民初", False), ("民终", True)),
    no_case_rate=0.08,
    group_rate=0.0,
    build=_b_delay,
    bg=(
        "{S}于{d1}向{court}起诉{cp}{dispute}，法院当时就立了案",
        "{S}与{cp}{dispute}一案{case}，立案至今已{years}",
        "{S}起诉{cp}要求支付{amt}的案子",
        "{d1}立案的{dispute}，到现在都没判",
        "{S}和{cp}的{dispute}",
    ),
    issue=(
        "至今已{years}未作出判决，严重超过审限",
        "{judge}每次都说在走程序，让{S}等通知",
        "开过一次庭后就再没消息了",
        "案件中途换了三次法官",
        "法院说要鉴定，鉴定拖了一年多",
        "久拖不决",
    ),
    demand=(
        "要求法院尽快依法判决",
        "请求院领导督促承办法官依法审理",
        "要求说明超期原因",
        "希望早日结案",
    ),
    title=(
        "案件超期审理",
        "立案{years}仍未判决",
        "关于{case}久拖不决的问题",
        "法院审理拖延",
        "催办案件",
    ),
    brief=(
        "催促尽快判决",
        "反映案件超期未结",
        "询问案件进展",
        "{dispute}超审限",
    ),
)


def _b_retrial(rng: random.Random, p: Person, start: date) -> dict[str, Fact]:
    dispute = rng.choice((*_DISPUTES, "民间借贷纠纷", "离婚纠纷", "劳动争议"))
    return {
        "cp": person_party(rng) if rng.random() < 0.6 else company_party(rng),
        "dispute": Alt(first=(dispute, dispute)),
        "d2": Day(_past(rng, start, 60, 700), rng.choice(("day", "month"))),
        "amt": _amount(rng, 10000, 1500000, round_rate=0.5),
        "evid": Alt(
            first=(
                rng.choice(
                    (
                        "转账记录",
                        "录音证据",
                        "证人证言",
                        "收条原件",
                        "鉴定意见",
                        "合同原件",
                        "微信聊天记录",
                    )
                ),
            )
        ),
    }


RETRIAL = Kind(
    code="retrial_request",
    label="不服判决",
    weight=9,
    case_types=(("民终", True), ("民申", True), ("民初", False), ("民初", False)),
    no_case_rate=0.06,
    group_rate=0.0,
    build=_b_retrial,
    person_counterparty=True,
    bg=(
        "{S}与{cp}{dispute}一案，{court}于{d2}作出判决",
        "{S}不服{court}{case}民事判决",
        "{d2}，法院判{S}败诉，要{S}赔{cp}{amt}",
        "{S}与{cp}打官司，法院判决明显不公",
        "{S}对{cp}诉{S}{dispute}一案的判决不服",
        "{S}和{cp}的{dispute}已经二审判了",
    ),
    issue=(
        "法院认定事实错误，{S}提交的{evid}没有被采信",
        "{judge}明显偏袒{cp}",
        "一审二审都没让{S}充分发表意见",
        "对方提供的证据是伪造的，法院不予审查",
        "判决书写的金额{amt}和实际不符",
        "适用法律错误",
    ),
    demand=(
        "请求依法再审，撤销原判",
        "要求重新审理此案",
        "请求院长过问，纠正错案",
        "要求调取{evid}重新审查",
    ),
    title=(
        "申请再审",
        "不服判决",
        "关于{case}判决不公的申诉",
        "{judge}枉法裁判",
        "冤案求助",
    ),
    brief=(
        "不服判决要求再审",
        "申诉{dispute}案",
        "对判决有异议",
        "要求改判",
    ),
)


def _b_conduct(rng: random.Random, p: Person, start: date) -> dict[str, Fact]:
    return {
        "cp": person_party(rng) if rng.random() < 0.6 else company_party(rng),
        "d1": Day(_past(rng, start, 5, 120), "day"),
        "conduct": Alt(
            first=(
                rng.choice(
                    (
                        "态度恶劣，当众训斥",
                        "拒绝接收证据材料",
                        "私下和对方当事人吃饭",
                        "电话一直不接",
                        "让回家等消息",
                        "开庭时打断陈述不让说话",
                        "收了对方的好处",
                        "威胁撤诉",
                    )
                ),
            )
        ),
        "dispute": Alt(first=(rng.choice(_DISPUTES),)),
    }


CONDUCT = Kind(
    code="judge_conduct",
    label="法官态度作风",
    weight=5,
    case_types=(("民初", False), ("执", False), ("民终", True)),
    no_case_rate=0.2,
    group_rate=0.0,
    build=_b_conduct,
    bg=(
        "{d1}{S}到{court}找{judge}询问案件情况",
        "{S}与{cp}{dispute}一案由{judge}承办",
        "{S}的案子{case}承办人是{judge}",
        "{S}在{court}打官司，承办法官是{judge}",
        "{S}跟{cp}的案子",
    ),
    issue=(
        "{judge}{conduct}",
        "该法官{conduct}，严重损害法院形象",
        "{S}怀疑{judge}与{cp}有不正当关系",
        "{judge}对{S}说“爱去哪告去哪告”",
        "法官{conduct}",
    ),
    demand=(
        "要求更换承办法官",
        "要求法院调查{judge}的违纪问题并给个说法",
        "要求{judge}赔礼道歉",
        "请求纪检部门介入",
    ),
    title=(
        "投诉{judge}",
        "法官作风问题",
        "举报承办法官",
        "关于法官态度问题的投诉",
    ),
    brief=(
        "投诉承办法官",
        "要求更换法官",
        "反映{judge}态度问题",
    ),
)


def _b_support(rng: random.Random, p: Person, start: date) -> dict[str, Fact]:
    ex_gender = "f" if p.gender == "m" else "m"
    ex = _name(rng, ex_gender)
    monthly = rng.choice((500, 600, 800, 1000, 1200, 1500, 2000))
    months = rng.randint(8, 40)
    return {
        "cp": Alt(
            first=(
                ex,
                f"前夫{ex}" if ex_gender == "m" else f"前妻{ex}",
                "孩子他爸" if ex_gender == "m" else "孩子他妈",
            ),
            later=(ex, "对方"),
            anon=(f"{ex[0]}某",),
        ),
        "amt": Amount(monthly),
        "amt2": Amount(monthly * months),
        "child": Alt(first=(rng.choice(("儿子", "女儿", "孩子", "两个孩子")),)),
        "d1": Day(_past(rng, start, 400, 2500), rng.choice(("year", "month"))),
    }


SUPPORT = Kind(
    code="child_support",
    label="抚养费执行",
    weight=5,
    case_types=(("执", False), ("民初", False)),
    no_case_rate=0.1,
    group_rate=0.0,
    build=_b_support,
    bg=(
        "{S}与{cp}于{d1}离婚，{child}由{S}抚养",
        "法院判决{cp}每月支付{child}抚养费{amt}",
        "{S}申请执行{cp}抚养费一案{case}",
        "{cp}离婚后从没给过{child}抚养费",
        "{S}是单亲妈妈，离婚后独自带{child}",
    ),
    issue=(
        "{cp}至今拖欠抚养费共计{amt2}",
        "{cp}有工作有收入，就是不给钱",
        "法院说找不到{cp}本人",
        "{judge}让{S}自己去找人",
    ),
    demand=(
        "要求法院强制执行抚养费{amt2}",
        "要求对{cp}采取拘留措施",
        "要求从{cp}工资中直接扣划",
        "请求法院帮帮孩子",
    ),
    title=(
        "抚养费执行难",
        "前夫拒付抚养费",
        "孩子的抚养费谁来管",
        "申请执行抚养费",
    ),
    brief=(
        "执行抚养费",
        "{cp}拖欠抚养费{amt2}",
        "抚养费问题",
    ),
)


def _b_criminal(rng: random.Random, p: Person, start: date) -> dict[str, Fact]:
    relation = (
        rng.choice(("儿子", "丈夫", "弟弟", "女儿", "父亲"))
        if p.birth.year < 1980
        else rng.choice(("父亲", "哥哥", "丈夫", "弟弟"))
    )
    rel_name = (
        p.surname
        if relation in ("儿子", "女儿", "父亲", "弟弟", "哥哥")
        else rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
    ) + rng.choice(GIVEN[("f" if relation == "女儿" else "m", "young")])
    return {
        "rel": Alt(
            first=(f"{{my}}{relation}{rel_name}", rel_name, f"{{my}}{relation}"),
            later=(f"{{my}}{relation}", rel_name),
            anon=(f"{{my}}{relation}{rel_name[0]}某",),
        ),
        "crime": Alt(
            first=(
                rng.choice(
                    (
                        "故意伤害罪",
                        "盗窃罪",
                        "诈骗罪",
                        "非法吸收公众存款罪",
                        "寻衅滋事罪",
                        "交通肇事罪",
                        "合同诈骗罪",
                        "职务侵占罪",
                    )
                ),
            )
        ),
        "term": Alt(
            first=(
                rng.choice(
                    (
                        "有期徒刑三年",
                        "有期徒刑五年六个月",
                        "有期徒刑十年",
                        "有期徒刑二年",
                        "有期徒刑七年",
                        "有期徒刑一年零八个月",
                    )
                ),
            )
        ),
        "d2": Day(_past(rng, start, 90, 1500), rng.choice(("day", "month", "year"))),
        "place": _place(rng, p),
    }


CRIMINAL = Kind(
    code="criminal_appeal",
    label="刑事申诉",
    weight=5,
    case_types=(("刑初", False), ("刑终", True), ("刑申", True)),
    no_case_rate=0.1,
    group_rate=0.0,
    build=_b_criminal,
    bg=(
        "{rel}因{crime}被{court}判处{term}",
        "{d2}，{court}以{crime}判处{rel}{term}",
        "{S}为{rel}{crime}一案{case}提出申诉",
        "{rel}被判了{crime}，{S}认为是冤案",
        "{rel}的刑事案件",
    ),
    issue=(
        "认定{rel}犯罪的证据不足，主要证人证言前后矛盾",
        "公安机关存在刑讯逼供",
        "量刑过重，同案其他人都判了缓刑",
        "真正的责任人另有其人",
        "二审没有开庭就维持原判",
    ),
    demand=(
        "请求依法再审，还{rel}清白",
        "要求重新调查案件事实",
        "请求依法改判",
        "要求调阅全部卷宗",
    ),
    title=(
        "为{rel}申冤",
        "刑事申诉",
        "{crime}一案申诉",
        "冤案申诉求助",
    ),
    brief=(
        "为家属刑事案件申诉",
        "刑事申诉",
        "不服{crime}判决",
    ),
)


def _b_home(rng: random.Random, p: Person, start: date) -> dict[str, Fact]:
    dev = company_party(rng, trade_pick=rng.choice((1, 8)))
    estate = places.estate_name(rng)
    town = rng.choice(rng.choices(places.DISTRICTS, places.DISTRICT_WEIGHTS)[0].towns)
    unit = (
        f"{rng.randint(1, 30)}号楼{rng.randint(1, 4)}单元{rng.randint(2, 28)}0{rng.randint(1, 4)}"
    )
    return {
        "cp": dev,
        "proj": Alt(first=(f"{town}{estate}", estate, f"{estate}项目"), later=(estate, "小区")),
        "unit": Alt(first=(f"{unit}室", unit)),
        "amt": _amount(rng, 150000, 1200000, round_rate=0.55),
        "d1": Day(_past(rng, start, 400, 2200), rng.choice(("day", "month", "year"))),
    }


HOME = Kind(
    code="home_delivery",
    label="商品房交付",
    weight=5,
    case_types=(("民初", False), ("执", False), ("民终", True)),
    no_case_rate=0.18,
    group_rate=0.35,
    build=_b_home,
    bg=(
        "{S}于{d1}购买了{cp}开发的{proj}{unit}，已付房款{amt}",
        "{S}在{proj}买了房，交了首付{amt}",
        "{cp}开发的{proj}一直烂尾",
        "{S}起诉{cp}商品房预售合同纠纷一案{case}",
        "{S}是{proj}的业主",
    ),
    issue=(
        "合同约定的交房日期早过了，房子还没盖完",
        "法院判决{cp}退还房款，但{cp}资金被冻结无法执行",
        "{cp}老板已经跑了",
        "房子交了也办不了房产证",
        "每个月还着房贷却住不上房",
    ),
    demand=(
        "要求{cp}尽快交房",
        "要求退还购房款{amt}",
        "请求法院协调复工",
        "要求依法执行{cp}的资产",
    ),
    title=(
        "{proj}烂尾何时能交房",
        "购房者维权",
        "开发商逾期交房",
        "要求退还购房款",
    ),
    brief=(
        "{proj}交房问题",
        "要求退购房款",
        "商品房逾期交付",
    ),
)


def _b_funds(rng: random.Random, p: Person, start: date) -> dict[str, Fact]:
    return {
        "cp": person_party(rng) if rng.random() < 0.5 else company_party(rng),
        "amt": _amount(rng, 10000, 500000, round_rate=0.4),
        "d1": Day(_past(rng, start, 40, 500), rng.choice(("day", "month"))),
    }


FUNDS = Kind(
    code="enforcement_funds",
    label="执行款发放",
    weight=5,
    case_types=(("执", False), ("执", False), ("执恢", False)),
    no_case_rate=0.08,
    group_rate=0.0,
    build=_b_funds,
    bg=(
        "{S}申请执行{cp}一案{case}，法院已于{d1}扣划到执行款{amt}",
        "{cp}早就把{amt}打到了法院账户",
        "法院执行回来的{amt}一直没发给{S}",
        "{S}的执行案件款项已到法院账上",
    ),
    issue=(
        "{judge}说要走审批程序，一拖就是几个月",
        "执行款迟迟不予发放",
        "{S}多次去法院问，财务说找执行局，执行局说找财务",
        "怀疑执行款被挪用",
    ),
    demand=(
        "要求立即发放执行款{amt}",
        "要求说明执行款去向",
        "请求领导督办",
    ),
    title=(
        "执行款为何迟迟不发",
        "法院扣着执行款不给",
        "催要执行款",
    ),
    brief=(
        "要求发放执行款",
        "执行款{amt}未发放",
        "催领案款",
    ),
)


def _b_injury(rng: random.Random, p: Person, start: date) -> dict[str, Fact]:
    return {
        "cp": company_party(rng),
        "d1": Day(_past(rng, start, 300, 1800), "day"),
        "inj": Alt(
            first=(
                rng.choice(
                    (
                        "右手三根手指被机器轧断",
                        "从脚手架上摔下腰椎骨折",
                        "左眼被铁屑崩伤失明",
                        "被钢筋砸伤头部",
                        "左脚被压粉碎",
                    )
                ),
            )
        ),
        "level": Alt(first=(rng.choice(("九级伤残", "八级伤残", "十级伤残", "六级伤残")),)),
        "amt": _amount(rng, 40000, 500000, round_rate=0.4),
        "hosp": Alt(first=(rng.choice(places.HOSPITALS),)),
    }


INJURY = Kind(
    code="work_injury",
    label="工伤赔偿",
    weight=4,
    case_types=(("民初", False), ("执", False), ("行初", False)),
    no_case_rate=0.12,
    group_rate=0.0,
    build=_b_injury,
    bg=(
        "{d1}，{S}在{cp}上班时{inj}，在{hosp}住院治疗",
        "{S}在{cp}工作期间受伤，被认定为工伤，{level}",
        "{S}与{cp}工伤赔偿纠纷一案{case}，法院判决赔偿{amt}",
        "{S}干活时{inj}",
        "{S}在{cp}受了工伤",
    ),
    issue=(
        "{cp}没给{S}上工伤保险，赔偿款一直不给",
        "判决生效后{cp}把厂子关了",
        "{S}已经花了十几万医药费",
        "{judge}说公司没有财产",
    ),
    demand=(
        "要求{cp}支付工伤赔偿{amt}",
        "请求尽快执行",
        "申请司法救助",
    ),
    title=(
        "工伤赔偿拿不到",
        "{cp}拒付工伤赔偿",
        "工伤职工求助",
    ),
    brief=(
        "工伤赔偿执行",
        "要求支付工伤赔偿",
        "{level}工伤赔偿问题",
    ),
)


def _b_filing(rng: random.Random, p: Person, start: date) -> dict[str, Fact]:
    return {
        "cp": person_party(rng) if rng.random() < 0.5 else company_party(rng),
        "dispute": Alt(first=(rng.choice((*_DISPUTES, "民间借贷纠纷", "劳务合同纠纷")),)),
        "d1": Day(_past(rng, start, 10, 200), "day"),
        "amt": _amount(rng, 5000, 800000, round_rate=0.6),
    }


FILING = Kind(
    code="filing_refused",
    label="立案难",
    weight=3,
    case_types=(),
    no_case_rate=1.0,
    group_rate=0.0,
    build=_b_filing,
    bg=(
        "{S}于{d1}到{court}起诉{cp}，要求支付{amt}",
        "{S}想起诉{cp}{dispute}",
        "{S}和{cp}之间有{dispute}，涉及金额{amt}",
        "{S}要告{cp}",
    ),
    issue=(
        "立案庭以材料不全为由不给立案，也不出具书面裁定",
        "跑了五六趟，每次都让补材料",
        "法院说这事不归法院管",
        "网上立案提交后一直显示审核中",
    ),
    demand=(
        "要求法院依法登记立案",
        "要求出具不予受理裁定",
        "请求领导督促立案",
    ),
    title=(
        "立案难",
        "法院不给立案",
        "起诉{cp}被拒绝立案",
    ),
    brief=(
        "反映立案难",
        "要求立案",
        "起诉{cp}不予立案",
    ),
)


def _b_auction(rng: random.Random, p: Person, start: date) -> dict[str, Fact]:
    price = _amount(rng, 200000, 1500000, round_rate=0.3)
    return {
        "asset": _house(rng, p),
        "cp": person_party(rng, role="申请执行人") if rng.random() < 0.6 else company_party(rng),
        "amt": price,
        "amt2": Amount(int(price.yuan * rng.uniform(1.4, 2.2)) // 10000 * 10000),
        "d1": Day(_past(rng, start, 20, 300), "day"),
    }


AUCTION = Kind(
    code="property_auction",
    label="执行拍卖异议",
    weight=3,
    case_types=(("执异", False), ("执", False), ("执复", True)),
    no_case_rate=0.08,
    group_rate=0.0,
    build=_b_auction,
    bg=(
        "{court}在执行{cp}申请执行{S}一案中，于{d1}拍卖了{S}的{asset}",
        "{S}{asset}被法院以{amt}拍卖",
        "{S}对法院拍卖{my}{asset}提出执行异议{case}",
        "{S}唯一的住房被法院拍卖了",
    ),
    issue=(
        "拍卖价远低于市场价{amt2}",
        "评估时根本没有通知{S}",
        "这是{S}一家唯一住房，依法不能拍卖",
        "{judge}驳回了{S}的异议",
    ),
    demand=(
        "要求撤销拍卖",
        "要求重新评估",
        "请求暂缓腾房",
    ),
    title=(
        "唯一住房被拍卖",
        "执行拍卖价格严重偏低",
        "对拍卖提出异议",
    ),
    brief=(
        "对拍卖有异议",
        "要求撤销拍卖",
        "唯一住房被拍问题",
    ),
)


def _b_over(rng: random.Random, p: Person, start: date) -> dict[str, Fact]:
    debt = _amount(rng, 20000, 500000, round_rate=0.7)
    return {
        "cp": person_party(rng, role="申请人") if rng.random() < 0.7 else company_party(rng),
        "asset": _asset(rng, p),
        "amt": debt,
        "amt2": Amount(int(debt.yuan * rng.uniform(2.0, 6.0)) // 1000 * 1000),
        "d1": Day(_past(rng, start, 10, 200), "day"),
    }


OVER = Kind(
    code="over_enforcement",
    label="超标的查封",
    weight=3,
    case_types=(("执", False), ("执异", False)),
    no_case_rate=0.1,
    group_rate=0.0,
    build=_b_over,
    person_counterparty=True,
    bg=(
        "{cp}申请执行{S}一案{case}，执行标的只有{amt}",
        "{d1}，法院查封了{S}的{asset}",
        "{S}只欠{cp}{amt}，法院却冻结了{S}{amt2}的财产",
        "{S}是被执行人，欠{cp}的钱",
    ),
    issue=(
        "超标的查封，严重影响{S}正常经营",
        "{S}已经和{cp}达成和解，法院还不解封",
        "{judge}不听{S}解释",
        "查封的{asset}是{S}家人的财产",
    ),
    demand=(
        "要求解除对{asset}的查封",
        "要求依法纠正超标的查封",
        "请求按和解协议结案",
    ),
    title=(
        "超标的查封",
        "法院乱查封",
        "要求解除查封",
    ),
    brief=(
        "要求解封",
        "反映超标的查封",
        "对查封有异议",
    ),
)


KINDS: tuple[Kind, ...] = (
    LOAN,
    WAGE,
    DEMOLITION,
    TRAFFIC,
    LAND,
    DELAY,
    RETRIAL,
    CONDUCT,
    SUPPORT,
    CRIMINAL,
    HOME,
    FUNDS,
    INJURY,
    FILING,
    AUCTION,
    OVER,
)
KIND_BY_CODE = {k.code: k for k in KINDS}


def court_fact(court: places.Court) -> Alt:
    """The case's court as people name it."""
    return _court(court)


def judge_fact(name: str, ctype: str) -> Alt:
    """The handling judge, with a role fitting the case (执行法官 for enforcement)."""
    return _judge(name, "执行法官" if ctype.startswith("执") else "承办法官")
