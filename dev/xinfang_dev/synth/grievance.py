"""Grievance texts: the facts of a petition matter told in several paraphrases.

Items of one matter share its facts (counterparty, amount, dispute, court) but not their
wording; different petitioners with the same kind of complaint share wording but not facts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from xinfang_dev.synth.people import random_company, random_name

COMPANY_DISPUTES = (
    "买卖合同纠纷", "劳务合同纠纷", "劳动争议", "房屋买卖合同纠纷", "建设工程施工合同纠纷", "物业服务合同纠纷",
    "房屋租赁合同纠纷", "追索劳动报酬纠纷", "装饰装修合同纠纷", "民间借贷纠纷",
)  # fmt: skip
PERSON_DISPUTES = (
    "民间借贷纠纷", "离婚纠纷", "机动车交通事故责任纠纷", "生命权、身体权、健康权纠纷", "土地承包经营权纠纷",
    "房屋租赁合同纠纷", "装饰装修合同纠纷", "劳务合同纠纷", "房屋买卖合同纠纷",
)  # fmt: skip
DISPUTES = (
    "民间借贷纠纷", "买卖合同纠纷", "劳务合同纠纷", "劳动争议", "房屋买卖合同纠纷", "建设工程施工合同纠纷",
    "机动车交通事故责任纠纷", "物业服务合同纠纷", "土地承包经营权纠纷", "房屋租赁合同纠纷", "追索劳动报酬纠纷",
    "离婚纠纷", "生命权、身体权、健康权纠纷", "装饰装修合同纠纷",
)  # fmt: skip
ADMIN_DISPUTES = (
    "房屋征收补偿决定纠纷",
    "行政处罚纠纷",
    "工伤认定纠纷",
    "政府信息公开纠纷",
    "行政许可纠纷",
)
AUTHORITIES = (
    "人民政府",
    "自然资源和规划局",
    "人力资源和社会保障局",
    "市场监督管理局",
    "住房和城乡建设局",
)
CRIMES = ("故意伤害", "诈骗", "交通肇事", "盗窃", "非法吸收公众存款", "抢劫")
# Category -> (case type codes with weights); None = no case number.
CATEGORIES: dict[str, tuple[tuple[str | None, int], ...]] = {
    "enforce": (("执", 6), ("民初", 3), ("民终", 1)),
    "delay": (("民初", 8), ("行初", 1), ("民终", 1)),
    "unjust": (("民初", 4), ("民终", 3), ("民申", 2), ("刑初", 1), ("行初", 1)),
    "enf_objection": (("执异", 1),),
    "filing": ((None, 1),),
    "conduct": ((None, 3), ("民初", 1)),
    "aid": (("刑初", 1),),
}
CATEGORY_WEIGHTS = {
    "enforce": 30,
    "delay": 15,
    "unjust": 20,
    "enf_objection": 6,
    "filing": 12,
    "conduct": 9,
    "aid": 8,
}

TEMPLATES: dict[str, tuple[str, ...]] = {
    "enforce": (
        "我与{cp}{dispute}一案，{court}判决对方支付{amount}，判决生效已{months}个月，至今没有执行到位，请求法院加大执行力度。",
        "{court}判决{cp}给付我{amount}，对方明明有财产却拒不履行，执行法官一直说查无可供执行的财产，要求尽快执行。",
        "反映{cp}欠我{amount}的案子，{months}个月了还没执行，希望法院尽快把钱要回来。",
        "申请执行{cp}{amount}，执行案件久拖不结，对方转移财产，请求依法对其采取强制措施。",
        "{cp}拖欠{amount}，{dispute}判决后一直不履行，家里等着用钱，恳请法院尽快执行。",
    ),
    "delay": (
        "我诉{cp}{dispute}一案在{court}立案已{months}个月，至今不开庭，请求尽快审理。",
        "{dispute}案件{months}个月没有结果，承办法官总说再等等，对方是{cp}，涉及{amount}，要求依法及时审结。",
        "反映{court}审理{cp}{dispute}案件拖延，{months}个月了一直没有判决。",
        "与{cp}的{dispute}官司拖了{months}个月，标的{amount}，希望法院不要再拖了。",
    ),
    "unjust": (
        "对{court}审理的我与{cp}{dispute}一案判决不服，认为认定事实错误，{amount}的证据没有采信，要求再审。",
        "{cp}{dispute}案判决不公，法院没有采纳我提交的证据，判我承担{amount}，请求依法纠正。",
        "反映与{cp}的{dispute}案件裁判不公，涉及{amount}，要求重新审理。",
        "我认为{court}在与{cp}{dispute}案中偏袒对方，{amount}的判决结果无法接受，申请复查。",
    ),
    "enf_objection": (
        "{court}在执行{cp}的案件中查封了我名下位于{place}的房屋，该房屋与被执行人无关，请求解除查封。",
        "我的房子（{place}）被法院错误查封，被执行人是{cp}，我提出的执行异议一直没有结果。",
        "反映执行{cp}案件时错误查封案外人房产（{place}），要求尽快审查执行异议。",
    ),
    "filing": (
        "我与{cp}的{dispute}，标的{amount}，多次到{court}起诉，法院一直不给立案，也不出具不予受理裁定。",
        "反映{court}立案难，{cp}欠我{amount}，起诉材料交了{months}个月没有立案。",
        "起诉{cp}{dispute}，{court}立案庭让回去等通知，至今{months}个月没有消息，要求依法立案。",
        "去{court}起诉{cp}（{dispute}，{amount}）被拒收材料，请求上级法院督促立案。",
    ),
    "conduct": (
        "反映{court}{judge}法官在办理我与{cp}{dispute}案件中态度恶劣，不接电话，要求调查处理。",
        "{court}承办法官{judge}接待时推诿敷衍，{cp}的案子找了{months}次都没人管。",
        "投诉{judge}法官作风问题，与{cp}的{dispute}案件中私下会见对方当事人。",
    ),
    "aid": (
        "我是{crime}案的被害人，被告人{cp}被判赔偿{amount}，但一直没有赔付，家庭生活困难，申请司法救助。",
        "{cp}{crime}案，附带民事部分判赔{amount}，一分钱没拿到，请求给予司法救助。",
        "反映{crime}案被害人得不到赔偿，被告人{cp}无力赔付{amount}，申请国家司法救助。",
    ),
}
TITLES: dict[str, tuple[str, ...]] = {
    "enforce": ("执行难问题反映", "请求尽快执行", "关于{cp}欠款执行问题", "判决不执行怎么办"),
    "delay": ("案件审理拖延", "请求尽快开庭审理", "关于{dispute}案件久拖不决"),
    "unjust": ("判决不公申请再审", "对判决不服", "请求纠正错误判决"),
    "enf_objection": ("执行异议", "请求解除查封", "房屋被错误查封"),
    "filing": ("立案难", "请求依法立案", "起诉不予立案问题"),
    "conduct": ("投诉法官作风", "反映法官态度问题", "投诉{judge}法官"),
    "aid": ("申请司法救助", "被害人得不到赔偿", "请求司法救助"),
}
EXTRAS = (
    "本人年事已高，生活困难。",
    "已多次到法院反映，始终没有结果。",
    "希望领导高度重视。",
    "家中老人生病急需用钱。",
    "恳请领导过问此事。",
    "我已经走投无路了。",
    "请求给一个明确答复。",
)
THREATS = (
    "如果再得不到解决，我就进京上访。",
    "再不解决我只能去北京上访了。",
    "实在不行我就自杀，死在法院门口。",
    "逼急了我就喝药自杀。",
    "要带着全家到市政府门口讨说法。",
    "准备组织其他受害人一起去省里集体上访。",
)
NEGATED_THREATS = (
    "我不会进京上访，相信法院能依法处理。",
    "我没有想过自杀，只是想讨个说法。",
    "我们不会越级上访，也不会去闹事。",
    "不会去北京上访，只希望依法解决。",
)
HOTLINE_LEADS = ("来电人反映：", "来电人称：", "来电反映", "来电人咨询并反映，", "")
HOTLINE_TAILS = (
    "已告知将转相关部门处理。",
    "已记录并转承办法官。",
    "已解释并安抚情绪。",
    "来电人要求回电。",
    "",
)
LETTER_HEADS = ("尊敬的院领导：", "尊敬的法院领导：", "廊坊中院领导：", "", "")
LETTER_TAILS = ("此致\n敬礼！", "望领导批示。", "", "")


@dataclass(frozen=True)
class Grievance:
    """The facts of one petition matter; ``tell`` words them differently each time."""

    category: str
    dispute: str
    counterparty: str
    amount: str
    months: int
    court_name: str
    judge: str
    crime: str
    place: str

    def slots(self, court: str | None = None) -> dict[str, str]:
        return {
            "cp": self.counterparty,
            "dispute": self.dispute,
            "amount": self.amount,
            "months": str(self.months),
            "court": court or self.court_name,
            "judge": self.judge,
            "crime": self.crime,
            "place": self.place,
        }

    def tell(
        self, rng: random.Random, court: str | None = None, template: int | None = None
    ) -> str:
        templates = TEMPLATES[self.category]
        i = rng.randrange(len(templates)) if template is None else template % len(templates)
        text = templates[i].format(**self.slots(court))
        if rng.random() < 0.35:
            text += rng.choice(EXTRAS)
        return text

    def title(self, rng: random.Random) -> str:
        return rng.choice(TITLES[self.category]).format(**self.slots())


def new_grievance(
    rng: random.Random, category: str, court_name: str, counterparty: str | None = None
) -> Grievance:
    company = counterparty is None and category != "aid" and rng.random() < 0.5
    cp = counterparty or (random_company(rng) if company else random_name(rng, rng.choice("MMF")))
    if rng.random() < 0.5:
        amount = f"{rng.randint(2, 300)}万元"
    else:
        amount = f"{rng.randint(3, 999) * 100}元"
    return Grievance(
        category=category,
        dispute=rng.choice(COMPANY_DISPUTES if company else PERSON_DISPUTES),
        counterparty=cp,
        amount=amount,
        months=rng.randint(2, 30),
        court_name=court_name,
        judge=rng.choice("王李张刘赵杨高马孙韩"),
        crime=rng.choice(CRIMES),
        place=f"{rng.choice(('广阳区', '安次区', '三河市燕郊镇', '霸州市', '固安县'))}"
        f"{rng.choice(('新华', '和平', '永安', '锦绣'))}小区{rng.randint(1, 30)}号楼",
    )
