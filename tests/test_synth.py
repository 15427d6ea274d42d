"""The synthetic data generator: deterministic, valid identifiers, every hard case, readable files.

Independent of the intake loader: files are read back with csv / openpyxl / json only.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
import unicodedata
import zipfile
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path

import openpyxl
import pytest

from xinfang.vocab import DISPOSITION_NAMES
from xinfang_dev.synth.__main__ import main as synth_main
from xinfang_dev.synth.campaign import (
    ShardMaker,
    generate_campaign,
    iter_campaigns,
    iter_items,
    progress_rows,
)
from xinfang_dev.synth.files import (
    COLUMNS,
    ENCODINGS,
    FORMATS,
    read_truth,
    write_bad_files,
    write_campaign,
    write_campaign_day,
    write_channel_file,
    write_progress_file,
    write_truth,
)
from xinfang_dev.synth.people import (
    LANGFANG_AREAS,
    IdentityFactory,
    id15_of,
    id_check_char,
    is_valid_id18,
    make_persons,
)

COURTS = {"冀10", "冀1002", "冀1003", "冀1022", "冀1023", "冀1024", "冀1025", "冀1026", "冀1028", "冀1081", "冀1082"}  # fmt: skip
CANON_CN = re.compile(r"\((20\d\d)\)(冀\d*)(民初|民终|民申|执|执异|行初|刑初)([1-9]\d*)号")
PINYIN = re.compile(r"[\u4e00-\u9fff]\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")


@cache
def campaign():
    """The evaluation-size campaign: 3,000 items in July 2023."""
    return generate_campaign(7, 3000, dt.date(2023, 7, 1), dt.date(2023, 7, 31))


def fold(s: str | None) -> str:
    """What any reader does first: NFKC and no whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s or ""))


def canon_case_number(typed: str) -> str:
    """A test-side reading of a typed 案号 (any brackets, spaces, missing 号)."""
    s = fold(typed)
    m = re.fullmatch(r"[\(\[〔]?(\d{4})[\)\]〕]?(冀\d*)(\D+?)(\d+)号?", s)
    assert m, typed
    return f"({m[1]}){m[2]}{m[3]}{m[4]}号"


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_campaign_other_seed_other_campaign():
    a = generate_campaign(11, 300)
    b = generate_campaign(11, 300)
    c = generate_campaign(12, 300)
    assert a.items == b.items
    assert a.plans == b.plans
    assert {k: p.id18 for k, p in a.persons.items()} == {k: p.id18 for k, p in b.persons.items()}
    names = [i.get("信访人") or i.get("来电人") or i.get("name") for i in a.items]
    assert names != [i.get("信访人") or i.get("来电人") or i.get("name") for i in c.items]


@pytest.mark.parametrize(
    ("start", "end"), [("2023-07-03", "2023-07-03"), ("2023-07-01", "2023-07-02")]
)
def test_short_windows_keep_every_item_inside(tmp_path, start, end):
    start, end = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    c = generate_campaign(11, 150, start, end)
    assert all(start <= i["received_at"].date() <= end for i in c.items)
    assert all(e.on <= end for plan in c.plans.values() for e in plan)
    assert len(write_campaign(c, tmp_path)) == 150


def test_no_global_random_state():
    random.seed(1)
    a = generate_campaign(5, 120).items
    random.seed(2)
    b = generate_campaign(5, 120).items
    assert a == b


def test_exact_item_count_and_unique_keys():
    c = campaign()
    assert len(c.items) == 3000
    assert len({i["item_key"] for i in c.items}) == 3000
    assert set(c.truth()) == {i["item_key"] for i in c.items}
    assert set(c.truth().values()) == set(c.cases)
    assert all(c.start <= i["received_at"].date() <= c.end for i in c.items)


# --------------------------------------------------------------------------- identifiers


def test_gb11643_check_character():
    assert id_check_char("11010519491231002") == "X"  # the standard's worked example
    assert is_valid_id18("11010519491231002X")
    assert not is_valid_id18("110105194912310021")


def test_person_ids_valid_unique_and_mostly_langfang():
    persons = list(campaign().persons.values())
    assert all(is_valid_id18(p.id18) for p in persons)
    assert len({p.id18 for p in persons}) == len(persons)
    assert len({p.mobile for p in persons}) == len(persons)
    langfang = sum(p.id18[:6] in LANGFANG_AREAS for p in persons)
    assert langfang / len(persons) > 0.8
    assert all(re.fullmatch(r"1[3-9]\d{9}", p.mobile) for p in persons)
    assert all(re.fullmatch(r"0316[2-8]\d{6}", p.landline) for p in persons if p.landline)
    assert all(p.address.startswith("河北省廊坊市") for p in persons)
    # gender digit agrees with the person
    assert all((int(p.id18[16]) % 2 == 1) == (p.gender == "M") for p in persons)


def test_identity_factory_never_repeats_an_id():
    f = IdentityFactory(3)
    rng = random.Random(3)
    ids = [f.new_id18(rng)[0] for _ in range(20000)]
    assert len(set(ids)) == len(ids)
    assert all(is_valid_id18(i) for i in ids)


def test_make_persons_repeats_common_names():
    persons = make_persons(1, 2000)
    assert persons == make_persons(1, 2000)
    names = Counter(p.name for p in persons)
    assert all(names[n] >= 5 for n in ("王伟", "张伟", "李娜", "刘洋"))
    assert len({p.id18 for p in persons}) == 2000


def test_typed_ids_and_phones_read_back_to_the_person():
    c = campaign()
    id_fields = ("身份证号", "身份证号码", "id_number")
    phone_fields = ("联系电话", "联系方式", "mobile", "来电号码")
    checked = 0
    for item in c.items:
        p = c.persons[item["truth_person"]]
        tags = set(item["tags"])
        typed = next((item[f] for f in id_fields if f in item), None)
        if typed and "id_typo" not in tags:
            value = fold(typed).upper()
            if len(value) == 15:
                assert value == id15_of(p.id18), item
            else:
                assert value == p.id18, item
            checked += 1
        elif typed:
            assert not is_valid_id18(fold(typed).upper())
        phone = next((item[f] for f in phone_fields if f in item), None)
        if phone:
            digits = re.sub(r"\D", "", fold(phone))
            assert digits.endswith(p.mobile) or (p.landline and digits.endswith(p.landline[4:]))
    assert checked > 1500


def test_every_item_has_a_strong_key():
    """An ID that checks, a phone or a case number: never a bare name."""
    for item in campaign().items:
        tags = set(item["tags"])
        has_id = "id_missing" not in tags and "id_typo" not in tags and item["channel"] != "hotline"
        has_phone = "phone_missing" not in tags
        has_cn = bool(item.get("涉及案号") or item.get("case_number"))
        assert has_id or has_phone or has_cn, item


def test_case_numbers_canonical_and_typed_variants_read_back():
    c = campaign()
    numbers = [k.case_number for k in c.cases.values() if k.case_number]
    assert all(CANON_CN.fullmatch(n) for n in numbers)
    inside = [n for n in numbers if CANON_CN.fullmatch(n)[2] in COURTS]
    assert len(inside) / len(numbers) > 0.9
    assert set(re.match(r"\(\d+\)(冀\d*)", n)[1] for n in inside) == COURTS
    for item in c.items:
        typed = item.get("涉及案号") or item.get("case_number")
        if typed:
            assert canon_case_number(typed) == c.cases[item["truth_case"]].case_number


# --------------------------------------------------------------------------- hard cases


def _by_case():
    out = defaultdict(list)
    for item in campaign().items:
        out[item["truth_case"]].append(item)
    return out


def _name(item):
    return next(item[f] for f in ("信访人", "来访人", "name", "来电人") if f in item)


def test_every_spelling_variant_is_present():
    tags = Counter(t for i in campaign().items for t in i["tags"])
    wanted = {
        "traditional", "pinyin", "fullwidth_text", "name_space", "name_traditional", "homophone",
        "id_missing", "id15", "id_lower_x", "id_upper_x", "id_fullwidth", "id_spaces", "id_typo",
        "phone_prefix", "phone_spaces", "phone_dashes", "phone_fullwidth", "landline", "landline_no_area",
        "cn_ascii", "cn_fullwidth", "cn_liuhe", "cn_square", "cn_none", "cn_spaces", "cn_no_hao",
        "cn_fullwidth_digits", "cn_missing", "date_iso", "date_slash", "date_dot", "date_cn", "date_time",
        "iso_offset", "iso_utc", "iso_naive", "group_visit", "referral", "repeat_after_close",
        "threat", "threat_negated", "common_name", "multi_channel",
    }  # fmt: skip
    assert wanted <= set(tags), wanted - set(tags)
    assert all(tags[t] >= 3 for t in wanted), {t: tags[t] for t in wanted if tags[t] < 3}


def test_spellings_look_as_tagged():
    c = campaign()
    for item in c.items:
        tags = set(item["tags"])
        text = item.get("信访内容") or item.get("来访诉求") or item.get("content") or item.get(
            "通话摘要"
        ) or item.get("反映问题")  # fmt: skip
        if "pinyin" in tags:
            assert PINYIN.search(fold(text)), text
        else:
            assert not PINYIN.search(fold(text)), text
        phone = next(
            (item[f] for f in ("联系电话", "联系方式", "mobile", "来电号码") if f in item), ""
        )
        if "phone_prefix" in tags:
            assert re.match(r"\s*(\+86|86|0086)", phone), phone
        cn = item.get("涉及案号") or item.get("case_number") or ""
        if "cn_liuhe" in tags:
            assert "〔" in cn
        if "cn_no_hao" in tags:
            assert not cn.strip().endswith("号")
        if "homophone" in tags:
            assert item["channel"] == "hotline"
            assert fold(_name(item)) != fold(c.persons[item["truth_person"]].name)
        if "id_missing" in tags:
            assert item["channel"] != "hotline"
    assert any("結(jié)" in (i.get("content") or "") or "(jié)" in str(i) for i in c.items)


def test_same_person_several_channels_different_spellings():
    found = 0
    for items in _by_case().values():
        channels = {i["channel"] for i in items}
        names = {_name(i) for i in items if i["channel"] != "visit"}
        if len(channels) >= 3 and len(names) >= 2:
            found += 1
    assert found >= 10


def test_same_person_two_case_numbers_two_truth_cases():
    c = campaign()
    per_person = defaultdict(set)
    for k in c.cases.values():
        if k.case_number:
            per_person[k.person].add((k.key, k.case_number))
    two = [v for v in per_person.values() if len({n for _, n in v}) >= 2]
    assert len(two) >= 5
    by_case = _by_case()
    for matters in two:
        for key, number in matters:
            assert by_case[key], key  # each matter has items of its own
            for item in by_case[key]:
                typed = item.get("涉及案号") or item.get("case_number")
                assert typed and canon_case_number(typed) == number


def test_two_parties_of_one_lawsuit_are_related_cases():
    c = campaign()
    pairs = c.related_pairs()
    assert len(pairs) >= 5
    for a, b in pairs:
        ca, cb = c.cases[a], c.cases[b]
        assert ca.case_number and ca.case_number == cb.case_number
        assert ca.person != cb.person
        assert c.persons[ca.person].id18 != c.persons[cb.person].id18
        assert b in ca.related and a in cb.related


def test_group_visits_join_the_lead_case():
    c = campaign()
    groups = [i for i in c.items if "group_visit" in i["tags"]]
    assert len(groups) >= 5
    assert any(re.fullmatch(r".+、.+等\d+人", i["来访人"]) for i in groups)
    for item in groups:
        case = c.cases[item["truth_case"]]
        assert case.group and case.person == item["truth_person"]
        lead = re.split(r"[、，,]|等\d+人", item["来访人"])[0]
        assert (
            fold(lead) in {fold(c.persons[case.person].name), fold(_to_s(lead))}
            or "name_traditional" in item["tags"]
        )
        if item["来访人"].endswith("人"):
            assert item["来访人"].endswith(f"等{item['来访人数']}人")
    # the lead also comes alone to the same case
    by_case = _by_case()
    assert any(
        any("group_visit" not in i["tags"] for i in by_case[k])
        for k in {g["truth_case"] for g in groups}
    )


def _to_s(s):
    from xinfang_dev.synth.variants import _t2s

    return _t2s().convert(s)


def test_repeats_after_closing():
    c = campaign()
    repeats = [i for i in c.items if "repeat_after_close" in i["tags"]]
    assert len(repeats) >= 5
    by_case = _by_case()
    for item in repeats:
        closes = [e.on for e in c.plans[item["truth_case"]] if e.status == "已销号"]
        assert closes and closes[0] < item["received_at"].date()
        assert any(i["received_at"].date() <= closes[0] for i in by_case[item["truth_case"]])


def test_text_only_matters_are_paraphrased():
    c = campaign()
    by_case = _by_case()
    text_only = [k for k in c.cases.values() if k.case_number is None and len(by_case[k.key]) >= 2]
    assert len(text_only) >= 20
    paraphrased = 0
    for k in text_only:
        texts = {fold(i.get("content") or i.get("信访内容") or i.get("来访诉求") or i.get("通话摘要") or "")
                 for i in by_case[k.key]}  # fmt: skip
        paraphrased += len(texts) >= 2
        assert all(not (i.get("涉及案号") or i.get("case_number")) for i in by_case[k.key])
    assert paraphrased >= 15


def test_common_names_repeat_across_different_people():
    c = campaign()
    people_by_name = defaultdict(set)
    for p in c.persons.values():
        people_by_name[p.name].add(p.key)
    for name in ("王伟", "张伟", "李娜", "刘洋"):
        assert len(people_by_name[name]) >= 3, name
    clusters = defaultdict(list)
    for k in c.cases.values():
        if k.scenario.startswith("common_cluster"):
            clusters[(c.persons[k.person].name, k.scenario)].append(k)
    similar = [v for v in clusters.values() if len({x.person for x in v}) >= 2]
    assert similar, "namesakes with the same kind of complaint"
    for cases in similar:
        assert len({x.key for x in cases}) == len(cases)
        assert len({c.persons[x.person].id18 for x in cases}) == len(cases)
        assert len({x.grievance.category for x in cases}) == 1


def test_referrals_carry_document_number_and_deadline():
    c = campaign()
    refs = [i for i in c.items if i["channel"] == "referral"]
    assert len(refs) >= 10
    for item in refs:
        assert re.fullmatch(r".+〔20\d\d〕\d+号", item["交办文号"])
        assert item["交办单位"]
        assert item["cell_dates"]["办结时限"] > item["cell_dates"]["交办日期"]
        assert c.cases[item["truth_case"]].referral


def test_threats_and_their_negations():
    items = campaign().items
    threats = [i for i in items if "threat" in i["tags"]]
    negated = [i for i in items if "threat_negated" in i["tags"]]
    assert len(threats) >= 10 and len(negated) >= 5
    assert any("自杀" in str(i) for i in threats) and any("进京上访" in str(i) for i in threats)
    unpinyin = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")
    assert all(re.search(r"不会|没有想过", _to_s(unpinyin.sub("", fold(str(i))))) for i in negated)


# --------------------------------------------------------------------------- files


def _read_back(path: Path, fmt: str, encoding: str):
    if fmt == "jsonl":
        lines = path.read_text(encoding="utf-8").splitlines()
        records = [json.loads(line) for line in lines]
        return list(records[0]), [[r[k] for k in records[0]] for r in records]
    if fmt == "xlsx":
        wb = openpyxl.load_workbook(path, read_only=True)
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
        return [fold(h) for h in rows[0]], [list(r) for r in rows[1:]]
    raw = path.read_bytes()
    if encoding == "utf-16":
        assert raw[:2] == b"\xff\xfe"
        text = raw[2:].decode("utf-16-le")
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter="\t"))
    else:
        if encoding == "utf-8-sig":
            assert raw[:3] == b"\xef\xbb\xbf"
        else:
            assert raw[:3] != b"\xef\xbb\xbf"
        rows = list(csv.reader(io.StringIO(raw.decode(encoding), newline="")))
    return [fold(h) for h in rows[0]], rows[1:]


COMBOS = [
    (channel, fmt, encoding)
    for channel in COLUMNS
    for fmt in FORMATS[channel]
    for encoding in (ENCODINGS if fmt == "csv" else ("utf-8",))
]


@pytest.fixture(scope="module")
def progress():
    c = campaign()
    return progress_rows(c, lambda k: f"TZ2023-{k}", c.end, random.Random(1))


@pytest.mark.parametrize(("channel", "fmt", "encoding"), COMBOS)
def test_channel_file_reads_back_with_the_contract_headers(
    tmp_path, progress, channel, fmt, encoding
):
    items = progress[:80] if channel == "progress" else [i for i in campaign().items if i["channel"] == channel][:80]  # fmt: skip
    if encoding == "gbk":
        items = [i for i in items if all(str(i.get(k) or "").encode("gbk", "ignore").decode("gbk") == str(i.get(k) or "") for k in COLUMNS[channel])]  # fmt: skip
    path = tmp_path / f"{channel}_20230703.{fmt}"
    truth = write_channel_file(items, channel, path, fmt, encoding)
    headers, rows = _read_back(path, fmt, encoding)
    assert headers == list(COLUMNS[channel])
    assert len(rows) == len(items)
    assert [t.source_row for t in truth] == list(range(1, len(items) + 1))
    assert all(t.source_file == path.name and t.channel == channel for t in truth)
    assert [t.truth_case for t in truth] == [i["truth_case"] for i in items]
    text_col = {"letter": "信访内容", "visit": "来访诉求", "online": "content", "hotline": "通话摘要",
                "referral": "反映问题", "progress": "办理进展"}[channel]  # fmt: skip
    j = list(COLUMNS[channel]).index(text_col)
    assert [r[j] for r in rows] == [i[text_col] for i in items]
    if fmt == "xlsx":
        date_col = {"letter": 0, "visit": 0, "referral": 2, "progress": 1}[channel]
        kinds = {type(r[date_col]) for r in rows}
        assert dt.datetime in kinds and str in kinds, kinds  # Excel date cells and typed text


def test_xlsx_and_csv_headers_may_carry_padding(tmp_path):
    items = [i for i in campaign().items if i["channel"] == "letter"][:20]
    raw_headers = set()
    for n in range(12):
        path = tmp_path / f"letter_{n}.xlsx"
        write_channel_file(items, "letter", path, "xlsx", rng=random.Random(n))
        wb = openpyxl.load_workbook(path, read_only=True)
        raw_headers |= set(next(wb.worksheets[0].iter_rows(values_only=True)))
    padded = {h for h in raw_headers if h != h.strip() or h not in COLUMNS["letter"]}
    assert padded and {fold(h) for h in padded} <= set(COLUMNS["letter"])


def test_campaign_files_and_truth_join_exactly(tmp_path):
    c = generate_campaign(21, 600, dt.date(2023, 7, 1), dt.date(2023, 7, 10))
    truth = write_campaign(c, tmp_path)
    assert len(truth) == 600
    assert {t.item_key for t in truth} == {i["item_key"] for i in c.items}
    names = {p.name for p in tmp_path.glob("*/incoming/*")}
    assert all(
        re.fullmatch(r"(letter|visit|online|hotline|referral)_202307\d\d\.(csv|xlsx|jsonl)", n)
        for n in names
    )
    assert {n.rsplit(".", 1)[1] for n in names} == {"csv", "xlsx", "jsonl"}
    items = {i["item_key"]: i for i in c.items}
    for t in truth:
        assert t.source_file.startswith(f"{t.channel}_{items[t.item_key]['received_at']:%Y%m%d}")
    # the online files: line n holds the ticket of the truth row
    for t in truth:
        if t.channel == "online":
            lines = (
                (tmp_path / "online" / "incoming" / t.source_file).read_text("utf-8").splitlines()
            )
            assert (
                json.loads(lines[t.source_row - 1])["ticket_id"] == items[t.item_key]["ticket_id"]
            )
    write_truth(truth, tmp_path / "truth.csv")
    with (tmp_path / "truth.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["channel", "source_file", "source_row", "truth_case"]
    assert len(rows) == 600 and len({(r["source_file"], r["source_row"]) for r in rows}) == 600
    assert read_truth(tmp_path / "truth.csv") == {
        (t.channel, t.source_file, t.source_row): t.truth_case for t in truth
    }


def test_formats_and_encodings_vary_across_days(tmp_path):
    c = campaign()
    rng = random.Random(4)
    for day in c.days():
        write_campaign_day(c, day, tmp_path, rng)
    letters = list((tmp_path / "letter" / "incoming").iterdir())
    assert {p.suffix for p in letters} == {".csv", ".xlsx"}
    boms = {p.read_bytes()[:2] for p in (tmp_path / "hotline" / "incoming").iterdir()}
    assert b"\xff\xfe" in boms and len(boms) >= 3
    assert not list((tmp_path / "letter" / "incoming").glob("*20230701*"))  # a Saturday: no post


def test_progress_rows(progress):
    c = campaign()
    first = {}
    for i in c.items:
        first.setdefault(i["truth_case"], i["received_at"].date())
    spellings = {s for code, name in DISPOSITION_NAMES.items() for s in (code, name, name[2:])}
    assert progress and all(r["台账编号"].startswith("TZ2023-") for r in progress)
    assert {r["状态"] for r in progress} == {"办理中", "中止", "已销号"}
    for r in progress:
        key = r["truth_case"]
        assert r["cell_dates"]["日期"] > first[key]  # the court acts after the item arrives
        assert (r["处置类别"] in spellings) == (r["状态"] == "已销号")
        assert r["重点案件"] in ("是", "否", "")
        assert bool(r["包案领导"]) == (r["重点案件"] == "是")
    used = {r["处置类别"] for r in progress if r["处置类别"]}
    assert {"resolved", "依法化解", "化解"} & used and len(used) >= 8
    closed = {r["truth_case"] for r in progress if r["状态"] == "已销号"}
    assert len(closed) / len({r["truth_case"] for r in progress}) > 0.5
    paused = [r["truth_case"] for r in progress if r["状态"] == "中止"]
    assert paused
    resumed = 0
    for key in paused:
        seq = [r["状态"] for r in progress if r["truth_case"] == key]
        after = seq[seq.index("中止") + 1 :]
        assert not after or after[0] == "办理中"  # a pause is resumed (unless at the month's end)
        resumed += bool(after)
    assert resumed
    assert any(r["听证日期"] for r in progress)
    # referral cases are key, with a leader
    refs = {i["truth_case"] for i in c.items if i["channel"] == "referral"}
    assert any(r["重点案件"] == "是" for r in progress if r["truth_case"] in refs)


def test_progress_rows_day_by_day_equal_all_at_once():
    c = generate_campaign(8, 400)
    known = sorted(c.plans)[::2]
    lookup = {k: f"TZ-{k}" for k in known}.get
    once = progress_rows(c, lookup, c.end, random.Random(0))
    daily = [r for d in c.days() for r in progress_rows(c, lookup, d, random.Random(0), since=d)]
    key = lambda r: (r["truth_case"], r["cell_dates"]["日期"], r["状态"], r["办理进展"])  # noqa: E731
    assert sorted(map(key, once)) == sorted(map(key, daily))
    assert {r["truth_case"] for r in once} <= set(known)


def test_progress_file_of_a_day(tmp_path, progress):
    day = dt.date(2023, 7, 10)
    rows = [r for r in progress if r["cell_dates"]["日期"] == day]
    truth = write_progress_file(rows, day, tmp_path, random.Random(2))
    (path,) = (tmp_path / "progress" / "incoming").iterdir()
    assert re.fullmatch(r"progress_20230710\.(csv|xlsx)", path.name)
    assert len(truth) == len(rows) > 0 and truth[0].source_file == path.name
    assert write_progress_file([], day, tmp_path, random.Random(2)) == []


def test_bad_files(tmp_path):
    bad = write_bad_files(tmp_path)
    again = write_bad_files(tmp_path / "again")
    assert [b.path.read_bytes() for b in bad] == [b.path.read_bytes() for b in again]
    assert {b.expect for b in bad} == {"quarantine", "rows"}
    garbage = next(b for b in bad if "garbage" in b.path.name).path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        garbage.decode("utf-8")
    corrupt = next(b for b in bad if "corrupt" in b.path.name).path
    with pytest.raises(zipfile.BadZipFile):
        openpyxl.load_workbook(corrupt)
    nodate = next(b for b in bad if "nodate" in b.path.name).path
    header = next(csv.reader(io.StringIO(nodate.read_text("utf-8-sig"))))
    assert "来电时间" not in header and "来电人" in header
    rows_csv = next(b for b in bad if b.path.suffix == ".csv" and b.expect == "rows")
    rows = list(csv.reader(io.StringIO(rows_csv.path.read_bytes().decode("gb18030"))))[1:]
    assert rows[1][0] == "2023-02-30" and not any(rows[2])
    assert set(rows_csv.good_rows) | {r for r, _ in rows_csv.bad_rows} == set(
        range(1, len(rows) + 1)
    )
    rows_xlsx = next(b for b in bad if b.path.suffix == ".xlsx" and b.expect == "rows")
    ws = openpyxl.load_workbook(rows_xlsx.path).worksheets[0]
    values = list(ws.iter_rows(min_row=2, values_only=True))
    assert values[1][0].startswith("2023年2月30日") and not any(values[2])


# --------------------------------------------------------------------------- scale


def test_iter_items_streams_unique_shards():
    shards = list(iter_campaigns(5, 1300, shard_items=400, base_shards=2))
    assert [len(s.items) for s in shards] == [400, 400, 400, 100]
    items = [i for s in shards for i in s.items]
    assert len({i["item_key"] for i in items}) == 1300
    ids = [p.id18 for s in shards for p in s.persons.values()]
    assert len(set(ids)) == len(ids) and all(is_valid_id18(i) for i in ids)
    numbers = [k.case_number for s in shards for k in s.cases.values() if k.case_number]
    related = sum(len(k.related) for s in shards for k in s.cases.values())
    assert len(set(numbers)) == len(numbers) - related // 2
    for s in shards:
        for i in s.items:
            case = s.cases[i["truth_case"]]
            assert case.person == i["truth_person"]
            typed = i.get("涉及案号") or i.get("case_number")
            if typed:
                assert canon_case_number(typed) == case.case_number
            assert "\ue000" not in str(i) and "\ue001" not in str(i) and "token_fields" not in i
    derived = shards[2]
    assert derived.items[0]["item_key"].startswith("S2-")
    assert [len(i["tags"]) > 0 for i in derived.items].count(True) > 300
    assert sum(1 for _ in iter_items(5, 700)) == 700


def test_a_shard_is_the_same_whoever_builds_it():
    """Shard s depends on (seed, s) only: workers can build shards in any order."""
    in_order = list(iter_campaigns(6, 1000, shard_items=250, base_shards=2))
    alone = ShardMaker(6, 1000, shard_items=250, base_shards=2)
    assert alone.shard(3).items == in_order[3].items
    assert alone.shard(1).items == in_order[1].items


def test_xlsx_bytes_are_deterministic(tmp_path):
    items = [i for i in campaign().items if i["channel"] == "referral"]
    a, b = tmp_path / "a" / "referral_x.xlsx", tmp_path / "b" / "referral_x.xlsx"
    write_channel_file(items, "referral", a, "xlsx")
    write_channel_file(items, "referral", b, "xlsx")
    assert a.read_bytes() == b.read_bytes()


def test_cli_writes_files_and_truth(tmp_path, capsys):
    assert synth_main(["--items", "250", "--seed", "3", "--out", str(tmp_path), "--bad"]) == 0
    with (tmp_path / "truth.csv").open(encoding="utf-8") as fh:
        truth = list(csv.DictReader(fh))
    assert len(truth) == 250
    files = {p.name for p in tmp_path.glob("*/incoming/*")}
    assert {t["source_file"] for t in truth} <= files
    assert (tmp_path / "truth_cases.csv").exists()
    assert "250 items" in capsys.readouterr().out
    out = tmp_path / "stream"
    assert synth_main(["--items", "300", "--seed", "3", "--out", str(out), "--stream"]) == 0
    with (out / "truth.csv").open(encoding="utf-8") as fh:
        assert sum(1 for _ in csv.DictReader(fh)) == 300
    assert all("_p0000" in p.name for p in out.glob("*/incoming/*"))
