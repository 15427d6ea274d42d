"""The threat rule: terms, negation, hearsay, neutral senses, normalized input, the labelled set."""

from __future__ import annotations

import pytest

from xinfang.normalize.text import normalize_text
from xinfang.risk.evaluate import evaluate
from xinfang.risk.threat import compile_lexicon, default_lexicon, detect_threat
from xinfang_dev.labelled import generate

THREATS = [
    ("再不解决我就去北京上访", "escalation"),
    ("执行款要是月底还不到位，我就在法院门口自焚", "self_harm"),
    ("来电人称如不解决将赴京上访", "escalation"),
    ("逼急了我就和被执行人同归于尽", "violence"),
    ("我决不罢休，一定要上访到底", "escalation"),
    ("实在没有办法了，只能喝农药", "self_harm"),
    ("别逼我跳楼", "self_harm"),
    ("我不会善罢甘休，要和他们拼了", "violence"),
    ("如果这次还是驳回，我们就拉横幅堵法院大门", "collective"),
    ("我真的活不下去了", "self_harm"),
    ("我去省里上访", "escalation"),
    ("如果还不给我解决，我就抱着孩子从桥上跳下去", "self_harm"),
    ("大不了一命换一命", "violence"),
    ("我已经写好遗书了", "self_harm"),
    ("我已经买好了汽油", "self_harm"),
    ("我准备带着煤气罐去法院", "violence"),
    ("我要去国家信访局反映", "escalation"),
    ("信访人扬言要进京", "escalation"),
    ("信访人情绪激动，扬言要做极端的事", "violence"),
]

NOT_THREATS = [
    "我不会做极端的事",
    "我不会去北京上访",
    "没有想过自杀",
    "我从来没有想过要去北京，只想把钱要回来",
    "跳楼这种傻事我是不会干的",
    "工作人员劝他不要走极端，他表示理解",
    "听说邻居去北京上访了",
    "母亲去世后留下的遗产被哥哥独占",
    "被告是北京的一家公司，拖欠货款",
    "父亲自然死亡，遗嘱继承纠纷",
    "商家搞跳楼价促销，家电质量有问题",
    "我丈夫去年喝药身亡，赔偿款一直没执行",
    "极端天气导致工期延误",
    "我去北京给孩子看病期间被法院拘传",
    "我去省城看病花光了积蓄",
    "举报后我遭到打击报复，被单位辞退",
    "经劝导，信访人表示不再进京上访",
    "北京来的专家鉴定有问题",
    "进京务工人员工资被拖欠",
    "儿子跳楼自杀身亡后，学校拒不赔偿",
    "他骑车时被煤气罐车撞伤",
    "",
]


@pytest.mark.parametrize(("text", "category"), THREATS)
def test_threats_are_found_with_their_sentence(text, category):
    hit = detect_threat(text)
    assert hit is not None, text
    assert hit.category == category
    assert hit.term in hit.sentence
    assert hit.term in hit.evidence()


@pytest.mark.parametrize("text", NOT_THREATS)
def test_negations_hearsay_and_neutral_mentions_are_not_threats(text):
    assert detect_threat(text) is None


def test_none_text():
    assert detect_threat(None) is None


def test_second_sentence_counts_after_a_negated_first():
    text = "我不会去北京上访。但如果再拖下去，我只能去北京上访！"
    hit = detect_threat(text)
    assert hit is not None
    assert hit.sentence.startswith("但如果")


@pytest.mark.parametrize(
    "raw",
    [
        "我要去北(běi)京(jīng)上訪(fǎng)",
        "如果再不解決，我就去法院門口自(zì)焚(fén)",
        "執行款再不到位，我就和他們同歸於盡",
        "ｗｏ：再不解决我就进京！",
    ],
)
def test_traditional_and_pinyin_annotated_threats_after_normalization(raw):
    assert detect_threat(normalize_text(raw)) is not None


def test_negated_traditional_text_after_normalization():
    assert detect_threat(normalize_text("我不會去北(běi)京(jīng)上訪(fǎng)")) is None


def test_lexicon_comes_from_config():
    raw = {
        "threat_lexicon": {"self_harm": ["跳楼"], "escalation": []},
        "threat_neutral": [],
        "threat_event_after": "(?:身亡)",
        "threat_negation": "(?:不会)",
        "threat_negation_cancel": "(?:罢休)",
        "threat_negation_breakers": "(?:就)",
        "threat_reported": "(?:听说)",
        "threat_negation_after": "(?:不可能)",
    }
    lex = compile_lexicon(raw)
    assert detect_threat("我要跳楼", lex) is not None
    assert detect_threat("我要去北京上访", lex) is None  # not in this lexicon
    assert detect_threat("我不会跳楼", lex) is None
    assert default_lexicon().terms  # the shipped one is not empty


def test_labelled_set_precision_and_recall():
    items = generate()
    assert len(items) >= 200
    kinds = {i.kind for i in items}
    assert kinds == {"threat", "negated", "reported", "neutral"}
    assert {i.form for i in items} == {"simplified", "traditional", "pinyin"}
    scores, errors = evaluate(items)
    assert scores.precision >= 0.95, errors
    assert scores.recall >= 0.95, errors


def test_labelled_set_holds_for_another_seed():
    scores, errors = evaluate(generate(seed=2024))
    assert scores.precision >= 0.95 and scores.recall >= 0.95, errors
