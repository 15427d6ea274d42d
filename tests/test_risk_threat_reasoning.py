"""Threats said without the lexicon's words, and the traps that share its words.

Issue 15: the screen reasons about who does what — the petitioner threatening an act,
now or on a condition — against reports of what someone else did, case facts,
officials' acts, negations, hearsay, idioms and past events. One test per category
and per trap; the sentences are written here, not taken from the held-out sets.
"""

from __future__ import annotations

import pytest

from xinfang.normalize.text import normalize_text
from xinfang.risk.threat import compile_lexicon, detect_threat

CATEGORY_CASES = {
    "self_harm": [
        "执行款再不到位，我就绝食，饿死在你们门口",
        "来电人称不想活了，已经把后事都安排好了",
        "我准备好了绳子，这次不是吓唬你们",
        "要是下个月还不立案，我就从法院楼上往下跳",
    ],
    "violence": [
        "再拖下去我就拿上菜刀去找他算账",
        "如果出了人命，你们法院负责",
        "他再赖账，我就让他知道厉害，有他好受的",
        "来访人称钱要不回来就要他的命",
    ],
    "escalation": [
        "再不给答复，我就找记者把这事曝光",
        "来电人称下周就坐车去北京，找中央领导反映",
        "我把视频都录好了，你们不办我就发到网上",
        "如果还是这样拖，我就去省政府上访",
    ],
    "collective": [
        "我们村三十多户商量好了，下周一起去法院门口讨说法",
        "来访人称如不解决将组织工友集体上访",
        "你们不给答复，我就带一百个人来",
        "业主们已经做好横幅，周五到法院门口拉横幅",
    ],
}

TRAP_CASES = {
    "keyword_other_person": [
        "被执行人曾试图自杀，后下落不明，执行中止",
        "被告扬言要杀了我，请法院尽快出具人身安全保护令",
        "我前夫说不撤诉就带孩子跳河，我已经报警",
    ],
    "case_fact": [
        "我父亲在车祸中死亡，肇事司机至今未赔偿",
        "被告人持刀伤人一案已判决，附带民事赔偿未履行",
    ],
    "official_act": [
        "执行法官专程去北京查询被执行人的银行账户",
        "法院在网上曝光了失信被执行人名单，里面有欠我钱的人",
    ],
    "negated": [
        "我不会去北京上访，相信法院能依法处理",
        "我绝不会做傻事，只希望早点拿到钱",
    ],
    "hearsay": [
        "听说有人要去省里上访，我不参与，我走法律程序",
    ],
    "idiom": [
        "为这个案子我急得要死，晚上睡不着",
        "老人家一哭二闹三上吊的事我不会做",
    ],
    "past_event": [
        "去年我去过北京上访，后来法院给解决了",
        "上个月我在法院说要跳楼是气头上的话，现在向接待人员道歉",
    ],
    "lawful_channel": [
        "如果中院还不纠正，我将依法向省高院申请再审",
    ],
}


@pytest.mark.parametrize(
    ("category", "text"),
    [(c, t) for c, texts in CATEGORY_CASES.items() for t in texts],
)
def test_each_category_is_found_with_its_evidence(category, text):
    hit = detect_threat(normalize_text(text))
    assert hit is not None, text
    assert hit.category == category
    evidence = hit.evidence()
    assert f"（{category}）" in evidence and hit.term in evidence and hit.sentence in evidence


@pytest.mark.parametrize(
    ("trap", "text"), [(k, t) for k, texts in TRAP_CASES.items() for t in texts]
)
def test_each_trap_is_no_threat(trap, text):
    assert detect_threat(normalize_text(text)) is None, (trap, text)


def test_an_omitted_subject_is_the_writer():
    # Chinese drops the subject: after a clause about the judge, the writer still speaks
    for text in (
        "执行法官不作为，不解决就去北京上访",
        "被执行人转移财产，法官不管，再不解决我就去北京上访",
        "对方再不还钱，他就让对方待不下去",
        "对方当事人名下有车有房却说没有财产，我只能去北京上访",  # 说 closed a clause ago
    ):
        assert detect_threat(text) is not None, text
    assert detect_threat("法官不作为，被执行人扬言要去北京告我") is None


def test_the_voice_decides_who_he_is():
    # a clerk's 他 is the petitioner; in the petitioner's own words 他 is somebody else
    assert detect_threat("来访人称对方欠钱不还，他忍不了了，说下次碰见对方不会让他站着走回去")
    assert detect_threat("他在抖音上发视频说我是骗子，请法院认定他侵权") is None


def test_hearsay_counts_from_where_the_petitioner_last_speaks():
    assert detect_threat("有的人拉横幅、堵门，我不干那种事") is None
    assert detect_threat("信访人称曾听被执行人的亲属说逼急了就跳楼") is None
    assert detect_threat("听说法院要拍卖我的房子，我就去北京上访") is not None


def test_in_traditional_and_with_pinyin():
    assert detect_threat(normalize_text("再不解決，我就拿上菜(cài)刀去找他算(suàn)賬")) is not None
    assert detect_threat(normalize_text("被執(zhí)行人曾試圖自殺，後下落不明")) is None


def test_a_court_adds_its_own_terms_and_actors_through_the_config():
    from xinfang.config import get_config

    risk = dict(get_config().raw["risk"])
    text = "再不解决我就去县委大院门口摆摊卖惨"
    assert detect_threat(text) is None
    lexicon = {**risk["threat_lexicon"], "escalation": ["县委大院门口摆摊"]}
    added = compile_lexicon({**risk, "threat_lexicon": lexicon})
    assert detect_threat(text, added).category == "escalation"
    # and another party whose words are no threat of the petitioner's
    actors = risk["threat_other_actor"].rstrip(")") + "|拆迁办主任)"
    told = compile_lexicon({**risk, "threat_other_actor": actors})
    assert detect_threat("拆迁办主任扬言要去北京告我", told) is None
    assert detect_threat("拆迁办主任扬言要去北京告我") is not None


def _scores(path: str):
    from pathlib import Path

    from xinfang.risk.evaluate import evaluate, read_jsonl

    return evaluate(read_jsonl(str(Path(__file__).parent.parent / path)))[0]


def test_held_out_set_meets_issue_15_targets():
    scores = _scores("heldout/threat_sentences.jsonl")
    assert scores.precision >= 0.97 and scores.recall >= 0.97, scores


def test_sets_by_other_hands_stay_above_their_floors():
    # the second tuning set and the acceptance corpus (never tuned on): floors a little
    # under today's figures (bench/README.md, "Issue 15 round"), so a regression shows
    tuning = _scores("heldout/threat_tuning.jsonl")
    assert tuning.precision >= 0.94 and tuning.recall >= 0.86, tuning
    acceptance = _scores("tests/acceptance/threat_corpus.jsonl")
    assert acceptance.precision >= 0.87 and acceptance.recall >= 0.75, acceptance
