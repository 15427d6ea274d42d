"""Month-end reports and the daily ledger export, read back with openpyxl."""

from __future__ import annotations

import csv
import datetime as dt
import warnings

import openpyxl
import pytest
from conftest import BOTH
from test_stats_scenario import JULY, Ledger, build

from xinfang.config import get_config
from xinfang.masking import mask_text
from xinfang.reports import fonts, ledger_export, monthly

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _sheet_rows(ws):
    return [list(r) for r in ws.iter_rows(values_only=True)]


@BOTH
def test_month_reports_written_with_chinese_headers(engine, dirs):
    build(engine)
    paths = monthly.write_month(engine, "2023-07")  # computes the month on the way
    folder = dirs["reports"] / "2023-07"
    assert sorted(p.name for p in paths) == sorted(
        [
            "xinfang_2023-07.xlsx",
            "dispositions_2023-07.csv",
            "kpi_2023-07.csv",
            "escalations_2023-07.csv",
            "daily_intake_2023-07.csv",
            "dispositions_by_court.png",
            "escalations_by_tier.png",
            "daily_intake.png",
        ]
    )
    assert all(p.parent == folder and p.stat().st_size > 0 for p in paths)

    wb = openpyxl.load_workbook(folder / "xinfang_2023-07.xlsx")
    assert wb.sheetnames == ["五个一批", "月度指标", "逐级上报", "每日收件"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        dims = ws.column_dimensions.values()
        assert dims and all(d.customWidth and d.width >= 6 for d in dims), ws.title
    grid = _sheet_rows(wb["五个一批"])
    assert grid[0] == ["法院代字", "法院", "依法评查", "依法导入程序", "依法化解", "依法救助", "依法终结", "合计"]  # fmt: skip
    assert len(grid) == 1 + 11 + 1
    by_code = {r[0]: r for r in grid[1:-1]}
    assert by_code["冀1003"][1:] == ["广阳区人民法院", 0, 0, 2, 0, 1, 3]
    assert by_code["冀10"][2:] == [1, 0, 0, 0, 0, 1]
    assert grid[-1][1:] == ["合计", 1, 0, 2, 0, 1, 4]
    # the court name column is wide enough for 大厂回族自治县人民法院 (11 wide characters)
    assert wb["五个一批"].column_dimensions["B"].width >= 22

    kpi = _sheet_rows(wb["月度指标"])
    header = kpi[0]
    assert header[:8] == ["法院代字", "法院", "台账案件数", "新增案件", "销号案件", "月初在办", "月末在办", "化解率"]  # fmt: skip
    row = dict(zip(header, next(r for r in kpi if r[0] == "冀1003"), strict=True))
    assert row["销号案件"] == 3 and row["化解率"] == pytest.approx(1.0)
    assert row["销号后再访案件"] == 2 and row["信访听证"] == 1 and row["上级交办"] == 1
    total = dict(zip(header, kpi[-1], strict=True))
    assert total["法院"] == "合计" and total["销号案件"] == 4
    assert total["化解率"] == pytest.approx(4 / (2 + 5))  # open at start A, H; new B K D F I
    assert wb["月度指标"]["H2"].number_format == "0.0%"

    esc = _sheet_rows(wb["逐级上报"])
    assert esc[0] == ["台账编号", "法院代字", "法院", "原层级", "升至层级", "层级责任人", "上报日期", "原因"]  # fmt: skip
    assert [(r[0], r[4]) for r in esc[1:]] == [("XF-B", 4), ("XF-H", 5), ("XF-K", 2), ("XF-D", 2)]
    assert esc[1][5] == "分管院领导" and esc[1][7] == "重点案件领导包案"
    assert esc[1][6] == dt.datetime(2023, 7, 4)

    daily = _sheet_rows(wb["每日收件"])
    assert daily[0] == ["日期", "来信", "来访", "网上信访", "12368热线", "上级交办", "合计"]
    assert len(daily) == 1 + 31
    day15 = daily[15]  # 7-15: D's visit and J's hotline call
    assert day15[0] == dt.datetime(2023, 7, 15) and day15[1:] == [0, 1, 0, 1, 0, 2]
    assert daily[31][1:] == [0, 0, 1, 1, 0, 2]  # 7-31: D 23:30 hotline, I 23:59:59 online
    assert sum(r[6] for r in daily[1:]) == 11

    raw = (folder / "dispositions_2023-07.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0][:3] == ["法院代字", "法院", "依法评查"] and len(rows) == 13
    for name in ("dispositions_by_court.png", "escalations_by_tier.png", "daily_intake.png"):
        assert (folder / name).read_bytes()[:8] == PNG_MAGIC


def test_rerun_replaces_the_month_folder(engine, dirs):
    ids = build(engine)
    monthly.run_month(engine, JULY)
    folder = dirs["reports"] / "2023-07"
    (folder / "stale.txt").write_text("left over")
    with engine.begin() as conn:
        Ledger(conn).progress(ids["F"], dt.date(2023, 7, 31), "closed", "aid")
    result = monthly.run_month(engine, "2023-07")
    assert result["month"] == "2023-07" and len(result["files"]) == 8
    assert not (folder / "stale.txt").exists()
    assert not [p for p in dirs["reports"].iterdir() if p.name.startswith(".")]
    wb = openpyxl.load_workbook(folder / "xinfang_2023-07.xlsx")
    row = next(r for r in _sheet_rows(wb["五个一批"]) if r[0] == "冀1022")
    assert row[5] == 1  # 依法救助: F's late closing row


def test_cjk_font_found_and_covers_every_label():
    entry = fonts.cjk_font()
    assert "CJK" in entry.name or "Hei" in entry.name or "Han" in entry.name
    cfg = get_config()
    labels = [
        *(c.name for c in cfg.courts.values()),
        *(monthly.short_court_name(c.name) for c in cfg.courts.values()),
        *monthly.DISPOSITION_HEADERS,
        *monthly.KPI_SHEET_HEADERS,
        *monthly.ESCALATION_HEADERS,
        *monthly.DAILY_HEADERS,
        *(t.role for t in cfg.tiers.values()),
        "2023年7月 五个一批处置情况（按法院）逐级上报次数（按升至层级）每日收件（按渠道）",
    ]
    assert fonts.missing_glyphs(labels) == set()
    # the check itself can fail: a private-use character has no glyph
    assert fonts.missing_glyphs(["广阳\ue000"]) == {"\ue000"}
    with pytest.raises(fonts.CJKFontMissing, match="no glyph"):
        fonts.check_labels(["\ue000"])


def test_rendered_labels_are_not_tofu():
    """matplotlib warns for every glyph it cannot draw; with the CJK font it never does."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    def render(family: str) -> list[str]:
        with warnings.catch_warnings(record=True) as caught, matplotlib.rc_context(
            {"font.family": [family]}
        ):  # fmt: skip
            warnings.simplefilter("always")
            fig = Figure()
            FigureCanvasAgg(fig)
            fig.add_subplot().set_title("五个一批 廊坊市中级人民法院 依法化解")
            fig.canvas.draw()
        return [str(w.message) for w in caught if "missing from font" in str(w.message)]

    assert render(fonts.cjk_font().name) == []
    assert render("DejaVu Sans")  # a Latin font would draw tofu, and says so


def test_missing_font_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(fonts, "CJK_FAMILIES", ("No Such Font Family",))
    fonts.cjk_font.cache_clear()
    try:
        with pytest.raises(fonts.CJKFontMissing, match="fonts-noto-cjk"):
            fonts.cjk_font()
    finally:
        fonts.cjk_font.cache_clear()


@BOTH
def test_daily_ledger_export_per_court(engine, dirs):
    build(engine)
    paths = ledger_export.write_daily(engine, dt.date(2023, 7, 31))
    folder = dirs["reports"] / "ledger" / "2023-07-31"
    assert {p.name for p in paths} == {f"{c}.xlsx" for c in get_config().courts}
    assert all(p.parent == folder for p in paths)

    ws = openpyxl.load_workbook(folder / "冀1003.xlsx")["台账"]
    rows = _sheet_rows(ws)
    assert rows[0][:10] == ledger_export.HEADERS[:10] == [
        "台账编号", "信访人", "案号", "责任法院", "承办部门", "承办法官", "包案领导", "层级", "状态", "最新进展",
    ]  # fmt: skip
    assert ws.freeze_panes == "A2" and ws.column_dimensions["J"].width > 12
    by_no = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert sorted(by_no) == ["XF-A", "XF-B", "XF-C", "XF-K"]
    a = by_no["XF-A"]
    assert [a[h] for h in ledger_export.HEADERS[:10]] == [
        "XF-A", "张伟", "(2023)冀1003民初1234号", "广阳区人民法院", "立案庭", "李法官", "王院长",
        2, "已销号", "已化解，销号",
    ]  # fmt: skip
    assert a["处置类别"] == "依法化解" and a["层级责任人"] == "案件承办法官"
    assert by_no["XF-B"]["重点案件"] == "是" and by_no["XF-B"]["状态"] == "办理中"
    assert by_no["XF-C"]["最新进展"] == "依法终结"

    ten = _sheet_rows(openpyxl.load_workbook(folder / "冀10.xlsx")["台账"])
    assert [r[0] for r in ten[1:]] == ["XF-H", "XF-I"]  # G arrives in August
    empty = _sheet_rows(openpyxl.load_workbook(folder / "冀1082.xlsx")["台账"])
    assert empty == [ledger_export.HEADERS]

    # as of 7-09 A's latest note is the one dated 7-09; the rerun of a day replaces it
    ledger_export.write_daily(engine, "2023-07-09")
    early = _sheet_rows(
        openpyxl.load_workbook(folder.parent / "2023-07-09" / "冀1003.xlsx")["台账"]
    )
    a = next(r for r in early if r[0] == "XF-A")
    assert a[9] == "听证后调解"
    assert [r[0] for r in early[1:]] == ["XF-A", "XF-B", "XF-C", "XF-K"]


@BOTH
def test_small_court_files_built_in_memory_big_ones_streamed(engine, dirs, monkeypatch):
    """A court's file is built in memory up to IN_MEMORY_ROWS rows and streamed past it;
    either way it holds the same cells, widths and layout."""
    import xlsxwriter

    build(engine)
    in_memory = _ledger_layout(ledger_export.write_daily(engine, dt.date(2023, 7, 31)))
    opened: dict[str, dict] = {}
    real = xlsxwriter.Workbook

    def spy(path, options=None):
        opened[path.rsplit("/", 1)[-1]] = dict(options or {})
        return real(path, options)

    monkeypatch.setattr(xlsxwriter, "Workbook", spy)
    monkeypatch.setattr(ledger_export, "IN_MEMORY_ROWS", 2)
    streamed = _ledger_layout(ledger_export.write_daily(engine, dt.date(2023, 7, 31)))
    assert opened["冀1003.xlsx"] == {"constant_memory": True}  # 4 rows
    assert opened["冀10.xlsx"] == {"in_memory": True}  # 2 rows
    assert opened["冀1082.xlsx"] == {"in_memory": True}  # empty
    assert streamed == in_memory


def _ledger_layout(paths) -> dict[str, list]:
    out = {}
    for path in paths:
        ws = openpyxl.load_workbook(path)["台账"]
        widths = {k: d.width for k, d in ws.column_dimensions.items()}
        out[path.name] = [ws.freeze_panes, ws.auto_filter.ref, widths, _sheet_rows(ws)]
    return out


def test_column_widths_measured_as_displayed_up_to_the_cap():
    """Widths come from the widest of the first WIDTH_SAMPLE cells (wide characters count
    twice), capped at MAX_WIDTH: a long note is not measured past the cap, with the same
    result as measuring it whole."""
    from xinfang.reports import tables

    class Sheet:
        def __init__(self):
            self.columns: dict[int, float] = {}

        def __getattr__(self, name):  # write_* / freeze_panes / autofilter: not looked at
            return lambda *args, **kwargs: None

        def set_column(self, first, last, width):
            self.columns[first] = width

    class Book:
        def __init__(self):
            self.sheet = Sheet()

        def add_worksheet(self, name):
            return self.sheet

        def add_format(self, spec):
            return spec

    rows = [
        ["ab", "信访", 7, dt.date(2023, 7, 1), True, "x" * 100, None],
        ["abcd", "信访人员", 123456, dt.datetime(2023, 7, 1, 9), False, "信" * 57, 0.5],
        ["a", "Ｆ", 1.25, None, None, "短", None],
    ]
    book = Book()
    tables.write_sheet(book, "s", ["h1", "标题", "n", "日期", "是否", "进展", "率"], rows)
    expected = [
        min(tables.MAX_WIDTH, max(tables.display_width(v) for v in column) + 2)
        for column in zip(*[["h1", "标题", "n", "日期", "是否", "进展", "率"], *rows], strict=True)
    ]
    assert [book.sheet.columns[c] for c in range(7)] == expected == [6, 10, 8, 21, 7, 60, 8]
    assert tables.display_width("信访Ａb") == 7 and tables.display_width(0.5) == 6


FULL_ID = "110101199003074514"
FULL_PHONE = "13812345678"


def _all_cells(folder) -> str:
    """Every cell of every workbook (and CSV) under ``folder``, as one text."""
    parts = []
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".xlsx":
            for ws in openpyxl.load_workbook(path).worksheets:
                parts += [repr(r) for r in ws.iter_rows(values_only=True)]
        elif path.suffix == ".csv":
            parts.append(path.read_text(encoding="utf-8-sig"))
    return "\n".join(parts)


@BOTH
def test_ledger_export_holds_no_full_id_or_phone(engine, dirs):
    """Progress notes and typed-in names reach the staff's ledger file masked, whether or
    not the note's masked copy was stored (the raw note is masked on the way out)."""
    note = f"电话联系信访人{FULL_PHONE}，身份证{FULL_ID}，座机0316-2345678，2023年7月3日约谈"
    with engine.begin() as conn:
        lg = Ledger(conn)
        first = dt.datetime(2023, 7, 3, 9)
        stored = lg.case("XF2023-000001", "冀1003", first, judge=f"李法官{FULL_PHONE}")
        lg.progress(stored, first.date(), "open", note=note, note_masked=mask_text(note))
        bare = lg.case("XF2023-000002", "冀1003", first, petitioner_name=f"张伟{FULL_ID}")
        lg.progress(bare, first.date(), "open", note=f"身份证 {FULL_ID[:6]} {FULL_ID[6:]}")
    ledger_export.write_daily(engine, dt.date(2023, 7, 3))
    folder = dirs["reports"] / "ledger" / "2023-07-03"
    rows = _sheet_rows(openpyxl.load_workbook(folder / "冀1003.xlsx")["台账"])
    by_no = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_no["XF2023-000001"]["最新进展"] == (
        "电话联系信访人138****5678，身份证110101********4514，座机031****5678，2023年7月3日约谈"
    )
    assert by_no["XF2023-000001"]["承办法官"] == "李法官138****5678"
    assert by_no["XF2023-000002"]["最新进展"] == "身份证 110101********4514"
    assert by_no["XF2023-000002"]["信访人"] == "张伟110101********4514"
    everything = _all_cells(folder)
    for raw in (FULL_ID, FULL_PHONE, "2345678", FULL_ID[6:]):
        assert raw not in everything


def test_month_reports_hold_no_full_id_or_phone(engine, dirs):
    build(engine)  # its items carry 110101199003074514 and 13812345678
    monthly.write_month(engine, "2023-07")
    everything = _all_cells(dirs["reports"] / "2023-07")
    assert "XF-B" in everything  # the escalations sheet lists the cases
    assert FULL_ID not in everything and FULL_PHONE not in everything
