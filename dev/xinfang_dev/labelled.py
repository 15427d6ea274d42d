"""A labelled sentence set for the threat rule, generated from templates.

The sentences are written the way petitioners and clerks write them (hotline summaries in
the third person, conditional threats, negations, neutral complaints that mention Beijing,
the province or a death in another sense), assembled from independent slots so a lexicon
term alone does not make a sentence. Some are rendered in traditional characters or with
pinyin inserted after characters (as scraped pages are), to be screened after normalization.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from xinfang.risk.labelled import Labelled

THREAT = "threat"
NEGATED = "negated"
REPORTED = "reported"
NEUTRAL = "neutral"


GRIEVANCES = [
    "执行款拖了三年一分没到",
    "判决生效两年了还没执行",
    "法官收了对方的好处",
    "一审判决明显不公",
    "案子立案后一直没人管",
    "对方转移财产法院不查",
    "工程款被拖欠到现在",
    "房子被法院错误查封",
    "拆迁补偿的案子一拖再拖",
    "工伤赔偿判了却拿不到钱",
    "离婚案子的抚养费一直没给",
    "借款本息被执行人拒不履行",
]

CONDITIONS = [
    "如果法院再不给个说法，",
    "这个案子再拖下去，",
    "执行款要是月底还不到位，",
    "你们要是再推来推去，",
    "再不解决的话，",
    "逼急了",
    "实在没办法了，",
    "如果这次还是驳回，",
    "",
    "",
]

SUBJECTS_FIRST = ["我就", "我只能", "我们全家就", "我们就", "大不了我", "我一定", "那我就"]
SUBJECTS_CLERK = [
    "来电人称",
    "信访人表示",
    "来访人情绪激动，扬言",
    "该人多次声称",
    "当事人在电话中说",
    "来访人当场表示",
]

THREAT_ACTIONS = {
    "self_harm": [
        "去法院门口喝农药",
        "从你们法院楼顶跳下去",
        "在法院门口自焚",
        "死给你们看",
        "买瓶敌敌畏喝了",
        "一死了之",
        "带着孩子去跳河",
        "在信访大厅割腕",
        "卧轨自杀",
        "以死相逼",
        "从大楼上跳下来",
        "结束自己的生命",
        "在法院门口上吊",
        "喝药",
    ],
    "violence": [
        "和被执行人同归于尽",
        "跟他们拼了",
        "杀了那个老赖",
        "做出极端的事情",
        "采取极端手段",
        "让他血溅当场",
        "和他们鱼死网破",
        "报复社会",
        "炸了他家",
        "放火烧了他家房子",
        "捅死对方",
        "带刀去找法官",
    ],
    "escalation": [
        "进京上访",
        "去北京上访",
        "到北京找中央领导反映",
        "赴京喊冤",
        "去省里上访",
        "到省委门口讨说法",
        "上访到底",
        "一直告到北京",
        "越级上访",
        "去天安门",
        "告到中央",
        "坐火车到北京去告你们",
        "跑到省城去信访",
    ],
    "collective": [
        "拉横幅",
        "召集村民堵法院大门",
        "组织工友集体上访",
        "在法院门口静坐",
        "带着横幅到政府门口",
        "喊上几十个乡亲来闹",
    ],
}

THREAT_TAILS = ["", "！", "，说到做到", "，出了事你们负责", "，让大家都看看", "，谁也拦不住"]

STANDALONE_THREATS = [
    "我现在活不下去了",
    "我真的不想活了",
    "自杀未遂后仍多次来访",
    "来电人称已经准备好了安眠药",
    "信访人称已买好去北京的车票，准备进京",
    "老人说家里已经备好农药",
    "他说这事没完，要上访到底",
    "如不答复，我们下周就去省里上访",
]

NEGATED_SUBJECTS = ["我", "我们", "本人", "信访人表示", "来电人称", "我们全家"]
NEGATED_PHRASES = [
    "不会去北京上访",
    "从来没有想过自杀",
    "不会做极端的事",
    "绝不会采取过激行为",
    "没打算去省里上访",
    "已经打消了进京上访的念头",
    "不会跳楼的",
    "不想轻生",
    "不会和他们同归于尽",
    "没有想过要去北京",
    "不会拉横幅闹事",
    "不打算越级上访",
    "决不会去法院门口静坐",
    "从未想过走极端",
]
NEGATED_TAILS = [
    "，只希望法院依法处理",
    "，相信法院会给个公道",
    "，只求尽快执行到位",
    "，请领导放心",
    "",
    "，只想把钱要回来",
]
NEGATED_FIXED = [
    "进京上访这种事我是不会做的",
    "自杀是不可能的，我还有孩子要养",
    "工作人员劝他不要走极端，他表示理解",
    "跳楼这种傻事我是不会干的",
    "去北京上访我从来没想过，只想要回工钱",
    "经过耐心解释，信访人放弃了进京上访的想法",
    "虽然生活很困难，但我没想过轻生",
    "我们不会去堵法院大门，只想当面反映情况",
]

REPORTED_SENTENCES = [
    "听说邻居去北京上访了，我不想那样",
    "新闻报道有人在法院门口自焚，我很害怕",
    "据说以前有人拉横幅被处理了",
    "听人说去省里上访也没用",
    "网上看到有人跳楼讨薪的新闻",
    "听说隔壁村有人喝农药了",
    "有人劝我去北京上访，我没有理会",
    "别人说要进京，我不掺和",
]

RELATIVES = ["父亲", "母亲", "丈夫", "妻子", "爷爷", "奶奶", "哥哥", "儿子", "岳父", "婆婆"]
NEUTRAL_DEATH = [
    "{r}去世后留下的遗产被{o}独占，请求法院主持公道",
    "{r}因病去世，丧葬费至今未执行",
    "交通事故致我{r}死亡，死亡赔偿金一直没有执行",
    "{r}自然死亡，遗嘱继承纠纷的判决有问题",
    "被执行人已经死亡，要求追加其继承人为被执行人",
    "{r}生前借给{o}的钱要不回来",
    "{r}过世多年，房产过户的案子还没结",
    "我{r}在工地摔伤后死亡，包工头拒不赔偿",
    "{r}的死亡证明开具后，保险公司仍拒赔",
    "{r}离世前立有遗嘱，{o}不认可",
]
OTHERS = ["我哥哥", "继母", "二叔", "大伯一家", "前妻", "村委会"]
NEUTRAL_PLACE = [
    "被告是北京的一家公司，拖欠货款{n}万元",
    "我儿子在北京工作，委托他代为签收法律文书",
    "我去北京出差时合同被对方违约，诉讼至今未结",
    "北京某科技公司拖欠我工资{n}个月",
    "原告住所地在北京市朝阳区，管辖有争议",
    "我进京务工期间工资被拖欠，要求执行",
    "我去省城看病花光了积蓄，请求司法救助",
    "案件已经上诉到省高院，希望尽快审理",
    "去省里开会的领导说会督办，但一直没有消息",
    "对方在北京有房产，请求法院查封",
    "我到北京给孩子看病期间被法院拘传",
    "被执行人跑到北京躲起来了，请法院查找",
    "我去北京的路上接到法院电话，说案子要重审",
    "省里的专家鉴定意见被法院采纳不公",
]
NEUTRAL_OTHER = [
    "商家搞跳楼价促销，卖给我的家电质量有问题",
    "极端天气导致工期延误，对方却要我承担违约金",
    "我拼命打工挣钱还债，法院却冻结了我的工资卡",
    "举报后我遭到打击报复，被单位辞退",
    "对方在庭审中辱骂我，法官没有制止",
    "邻居家的树倒了砸坏我的房子，要求赔偿",
    "判决书中被告持有的股份没有依法评估",
    "孩子在学校被同学打伤，学校推卸责任",
    "丈夫长期家暴，离婚案子一直拖着不判",
    "执行法官态度恶劣，说我再来就不管了",
    "开发商跑路，购房款{n}万元要不回来",
    "银行把我的担保责任算错了，利息多算了{n}千元",
    "村里的土地承包合同纠纷判决不公",
    "我对再审裁定不服，申请检察监督",
]


def _pick(rng: random.Random, items: list[str]) -> str:
    return items[rng.randrange(len(items))]


def _threats(rng: random.Random, n: int) -> Iterator[Labelled]:
    categories = sorted(THREAT_ACTIONS)
    for i in range(n):
        action = _pick(rng, THREAT_ACTIONS[categories[i % len(categories)]])
        if rng.random() < 0.3:
            text = f"{_pick(rng, GRIEVANCES)}，{_pick(rng, SUBJECTS_CLERK)}如不解决将{action}"
        else:
            cond = _pick(rng, CONDITIONS)
            lead = f"{_pick(rng, GRIEVANCES)}，" if rng.random() < 0.5 else ""
            text = f"{lead}{cond}{_pick(rng, SUBJECTS_FIRST)}{action}{_pick(rng, THREAT_TAILS)}"
        yield Labelled(text, True, THREAT)
    for text in STANDALONE_THREATS:
        yield Labelled(text, True, THREAT)


def _negated(rng: random.Random, n: int) -> Iterator[Labelled]:
    for _ in range(n):
        lead = f"{_pick(rng, GRIEVANCES)}，但" if rng.random() < 0.5 else ""
        text = f"{lead}{_pick(rng, NEGATED_SUBJECTS)}{_pick(rng, NEGATED_PHRASES)}{_pick(rng, NEGATED_TAILS)}"
        yield Labelled(text, False, NEGATED)
    for text in NEGATED_FIXED:
        yield Labelled(text, False, NEGATED)


def _neutral(rng: random.Random, n: int) -> Iterator[Labelled]:
    pools = [NEUTRAL_DEATH, NEUTRAL_PLACE, NEUTRAL_OTHER]
    for i in range(n):
        template = _pick(rng, pools[i % 3])
        text = template.format(r=_pick(rng, RELATIVES), o=_pick(rng, OTHERS), n=rng.randint(2, 90))
        if rng.random() < 0.3:
            text = f"{text}，{_pick(rng, GRIEVANCES)}"
        yield Labelled(text, False, NEUTRAL)


def _pinyin_annotated(text: str, rng: random.Random) -> str:
    """Insert tone-marked pinyin after some characters, as in the seed document."""
    from pypinyin import Style, pinyin

    out = []
    for ch, (py,) in zip(
        text, pinyin(text, style=Style.TONE, errors=lambda s: [[c] for c in s]), strict=False
    ):
        out.append(f"{ch}({py})" if "\u4e00" <= ch <= "\u9fff" and rng.random() < 0.4 else ch)
    return "".join(out)


def generate(
    seed: int = 7, threats: int = 240, negated: int = 100, neutral: int = 180
) -> list[Labelled]:
    """The labelled set: threats, negations, hearsay and neutral mentions, deduplicated.

    About a quarter of the sentences are written in traditional characters and some of
    those with pinyin annotations; they must be normalized before screening.
    """
    import opencc

    rng = random.Random(seed)
    s2t = opencc.OpenCC("s2t")
    items = [
        *_threats(rng, threats),
        *_negated(rng, negated),
        *(Labelled(t, False, REPORTED) for t in REPORTED_SENTENCES),
        *_neutral(rng, neutral),
    ]
    seen: set[str] = set()
    out: list[Labelled] = []
    for item in items:
        if item.text in seen:
            continue
        seen.add(item.text)
        roll = rng.random()
        if roll < 0.15:
            item = Labelled(s2t.convert(item.text), item.is_threat, item.kind, "traditional")
        elif roll < 0.25:
            text = _pinyin_annotated(s2t.convert(item.text), rng)
            item = Labelled(text, item.is_threat, item.kind, "pinyin")
        out.append(item)
    return out
