"""Hostile and damaged files against the readers and the decoder (issue 13).

Every file is built here, in tmp_path or in memory. A refused row must leave the good
rows beside it loading with their own row numbers; a refused file must fail with a
FileError naming the limit, quickly and without allocating what the file asks for.
"""

from __future__ import annotations

import codecs
import dataclasses
import json
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from xinfang.config import get_config
from xinfang.intake import readers
from xinfang.intake.base import FileError
from xinfang.intake.encoding import decode_text
from xinfang.intake.readers import check_size, inspect_xlsx, read_csv, read_jsonl, read_xlsx

HEADER = "登记日期,信访人,身份证号,联系电话,住址,涉及案号,反映法院,信访内容"
COLS = HEADER.split(",")


def limits(**changes):
    return dataclasses.replace(get_config().intake, **changes)


def row(n: int, content: str = "执行款未到位") -> str:
    return (
        f"2023-07-0{n % 9 + 1},张伟{n},,,廊坊市{n}号,(2023)冀1003民初{n}号,广阳区人民法院,{content}"
    )


def good(rows) -> dict[int, dict]:
    return {n: r for n, r in rows if "__error__" not in r}


def errors(rows) -> dict[int, str]:
    return {n: r["__error__"] for n, r in rows if "__error__" in r}


# --- XLSX: written by hand, as a hostile tool would ------------------------------------

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
SHEET_OPEN = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def istr(ref: str, text: str, extra: str = "") -> str:
    return f'<c r="{ref}"{extra} t="inlineStr"><is><t>{text}</t></is></c>'


def sheet_xml(body: str, dimension: str | None = None) -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f"{SHEET_OPEN}{dim}<sheetData>{body}</sheetData></worksheet>"


def small_sheet() -> str:
    rows = ['<row r="1">' + istr("A1", "信访人") + istr("B1", "信访内容") + "</row>"]
    for n in (2, 3, 4):
        rows.append(f'<row r="{n}">' + istr(f"A{n}", f"张伟{n}") + istr(f"B{n}", "内容") + "</row>")
    return sheet_xml("".join(rows), "A1:B4")


def write_xlsx(path: Path, sheet: str | bytes, extra: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, text in (extra or {}).items():
            zf.writestr(name, text)
    return path


def raw_zip(path: Path, parts: list[tuple[str, bytes, int, int]]) -> Path:
    """A zip written field by field: (name, packed bytes, method, declared unpacked size)."""
    out, central = bytearray(), bytearray()
    for name, packed, method, size in parts:
        offset = len(out)
        encoded = name.encode()
        out += struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            20,
            0,
            method,
            0,
            0x21,
            0,
            len(packed),
            size,
            len(encoded),
            0,
        )
        out += encoded + packed
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50, 20, 20, 0, method, 0, 0x21, 0, len(packed), size,
            len(encoded), 0, 0, 0, 0, 0, offset,
        )  # fmt: skip
        central += encoded
    eocd = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(parts), len(parts), len(central), len(out), 0
    )
    path.write_bytes(bytes(out + central + eocd))
    return path


def deflated(text: str) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(text.encode()) + c.flush()


def bomb_stream(unpacked: int, block: int = 1 << 20) -> bytes:
    """Raw deflate of ``unpacked`` bytes of one repeated character, built from one block:
    after a full flush the compressor starts afresh, so every block packs to the same bytes."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = b"<" + b"A" * (block - 1)
    one = c.compress(data) + c.flush(zlib.Z_FULL_FLUSH)
    return one * (unpacked // block) + c.flush()


def workbook_parts(sheet: bytes, method: int = 8, size: int | None = None):
    parts = [
        (n, deflated(t), 8, len(t.encode()))
        for n, t in (
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", ROOT_RELS),
            ("xl/workbook.xml", WORKBOOK),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        )
    ]
    return [*parts, ("xl/worksheets/sheet1.xml", sheet, method, size)]


def test_an_ordinary_small_workbook_reads(tmp_path):
    path = write_xlsx(tmp_path / "ok.xlsx", small_sheet())
    header, rows = read_xlsx(path)
    assert header == ["信访人", "信访内容"]
    assert [(n, r["信访人"]) for n, r in rows] == [(2 - 1, "张伟2"), (2, "张伟3"), (3, "张伟4")]


def test_one_cell_at_xfd1048576_is_refused_before_calamine_sees_it(tmp_path):
    """2 KB on disk; calamine would allocate 1,048,576 x 16,384 cells (~512 GiB) and abort."""
    body = '<row r="1">' + istr("A1", "信访人") + "</row>"
    body += '<row r="1048576">' + istr("XFD1048576", "x") + "</row>"
    path = write_xlsx(tmp_path / "huge.xlsx", sheet_xml(body, "A1:XFD1048576"))
    assert path.stat().st_size < 4096
    with pytest.raises(FileError, match=r"declares 1,048,576 rows × 16,384 columns") as exc:
        read_xlsx(path)
    assert "intake.max_sheet_cells" in str(exc.value)


@pytest.mark.parametrize(
    "cell",
    [
        istr("XFD1048576", "x"),  # no <dimension>: found by the cell scan
        istr("XFD1048576", "x").replace('r="XFD1048576"', 't="s" r="XFD1048576"', 1),
        '<c t=">" r="XFD1048576"><v>1</v></c>',  # a '>' inside an attribute value
        "<c r='XFD1048576'><v>1</v></c>",  # single quotes
        '<x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'r="XFD1048576"><x:v>1</x:v></x:c>',  # a namespace prefix
    ],
    ids=["plain", "r-not-first", "gt-in-value", "single-quotes", "prefixed"],
)
def test_a_far_cell_in_any_spelling_is_found_without_a_dimension(tmp_path, cell):
    body = '<row r="1">' + istr("A1", "信访人") + "</row>" + '<row r="2">' + cell + "</row>"
    path = write_xlsx(tmp_path / "far.xlsx", sheet_xml(body))
    with pytest.raises(FileError, match=r"uses 2 rows × 16,384 columns"):
        inspect_xlsx(path, limits(max_sheet_cells=10_000))
    inspect_xlsx(path, limits(max_sheet_cells=40_000))  # the same sheet within a larger limit


def test_a_far_cell_split_across_inflate_pieces_is_found(tmp_path):
    """The sheet XML is scanned in 1 MB pieces: a reference cut between two is still read."""
    filler = istr("B2", "填" * 200)
    pad = '<row r="2">' + filler * 1747 + "</row>"  # ~1 MB, the far cell near the seam
    for shift in range(0, 40, 7):
        body = '<row r="1">' + istr("A1", "信访人") + "</row>" + pad + " " * shift
        body += '<row r="3"><c r="XFD3"><v>1</v></c></row>'
        path = write_xlsx(tmp_path / f"seam{shift}.xlsx", sheet_xml(body))
        with pytest.raises(FileError, match=r"uses 3 rows × 16,384 columns"):
            inspect_xlsx(path, limits(max_sheet_cells=40_000))


def test_cells_without_references_are_counted_by_position(tmp_path):
    body = '<row r="1">' + istr("A1", "信访人") + "</row>"
    body += "<row>" + "<c><v>1</v></c>" * 300 + "</row>"
    path = write_xlsx(tmp_path / "positional.xlsx", sheet_xml(body))
    with pytest.raises(FileError, match=r"uses 2 rows × 300 columns"):
        inspect_xlsx(path, limits(max_sheet_cells=500))
    inspect_xlsx(path, limits(max_sheet_cells=600))  # within the limit: accepted


def test_a_tall_narrow_sheet_within_the_limit_passes(tmp_path):
    """The fast scan bounds a one-letter column at Z; past that bound it counts exactly."""
    rows = "".join(f'<row r="{n}"><c r="B{n}"><v>{n}</v></c></row>' for n in range(1, 2001))
    path = write_xlsx(tmp_path / "tall.xlsx", sheet_xml(rows))
    inspect_xlsx(path, limits(max_sheet_cells=4000))  # 2000 x 2 (B), though 2000 x 26 > 4000
    with pytest.raises(FileError, match=r"uses 2,000 rows × 2 columns"):
        inspect_xlsx(path, limits(max_sheet_cells=3999))


def test_zip_bomb_declaring_two_gigabytes_is_refused(tmp_path):
    unpacked = 2 << 30
    packed = bomb_stream(unpacked)
    path = raw_zip(tmp_path / "bomb.xlsx", workbook_parts(packed, size=unpacked))
    assert path.stat().st_size < 4 << 20
    with pytest.raises(FileError, match=r"more than the limit of .*intake.max_unpacked_bytes"):
        read_xlsx(path)


def test_zip_bomb_declaring_a_small_size_is_caught_while_unpacking(tmp_path):
    packed = bomb_stream(2 << 30)
    path = raw_zip(tmp_path / "liar.xlsx", workbook_parts(packed, size=5000))
    with pytest.raises(FileError, match=r"unpacks to more than the 5,000 bytes it declares"):
        read_xlsx(path)


def test_absurd_compression_ratio_is_a_zip_bomb(tmp_path):
    unpacked = 64 << 20  # within max_unpacked_bytes, but ~1000:1
    path = raw_zip(tmp_path / "ratio.xlsx", workbook_parts(bomb_stream(unpacked), size=unpacked))
    with pytest.raises(FileError, match=r"times its packed size .*zip bomb"):
        inspect_xlsx(path)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "not an XLSX workbook"),  # old .xls
        ("登记日期,信访人\n".encode(), "not an XLSX workbook"),
        (b"", "not an XLSX workbook"),
    ],
    ids=["xls", "csv-renamed", "empty"],
)
def test_not_a_zip_is_a_file_error(tmp_path, content, match):
    path = tmp_path / "fake.xlsx"
    path.write_bytes(content)
    with pytest.raises(FileError, match=match):
        read_xlsx(path)


def test_workbook_without_its_sheet_part_is_a_file_error(tmp_path):
    path = tmp_path / "nosheet.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
    with pytest.raises(FileError, match=r"sheet1\.xml' is missing"):
        read_xlsx(path)


class FakePanic(BaseException):
    """pyo3's PanicException derives from BaseException, not Exception."""


def test_a_calamine_panic_becomes_a_file_error(tmp_path, monkeypatch):
    import python_calamine

    path = write_xlsx(tmp_path / "ok.xlsx", small_sheet())

    class Sheet:
        def iter_rows(self):
            yield ["信访人", "信访内容"]
            yield ["张伟", "内容"]
            raise FakePanic("index out of bounds")

    class Book:
        sheet_names = ("Sheet1",)

        def get_sheet_by_index(self, _):
            return Sheet()

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", lambda _: Book())
    _, rows = read_xlsx(path)
    assert next(rows) == (1, {"信访人": "张伟", "信访内容": "内容"})
    with pytest.raises(FileError, match=r"after data row 1 \(FakePanic"):
        next(rows)

    def explode(_):
        raise FakePanic("calamine panicked")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", explode)
    with pytest.raises(FileError, match="FakePanic: calamine panicked"):
        read_xlsx(path)


def test_check_size():
    check_size(1000, limits(max_file_bytes=1000))
    with pytest.raises(FileError, match=r"1,001 bytes, more than .*intake.max_file_bytes"):
        check_size(1001, limits(max_file_bytes=1000))


# --- CSV: field counts, long records, quotes ------------------------------------------


def test_rows_with_too_few_or_too_many_fields_are_row_errors():
    lines = [
        HEADER,
        row(1),
        "2023-07-03,李强,,,(2023)冀1003民初7号,广阳区人民法院,内容",  # 7: a field missing
        row(3, "执行款未到位,至今无果"),  # 9: an unquoted comma in the content
        row(4) + ",,",  # 10, the extra two empty: formatting
        row(5),
    ]
    header, rows = read_csv("\n".join(lines) + "\n")
    got = list(rows)
    assert header == COLS
    assert [n for n, _ in got] == [1, 2, 3, 4, 5]
    assert sorted(good(got)) == [1, 4, 5]
    assert good(got)[5]["信访人"] == "张伟5" and good(got)[5]["信访内容"] == "执行款未到位"
    assert good(got)[4]["信访内容"] == "执行款未到位" and len(good(got)[4]) == 8
    errs = errors(got)
    assert errs[2].startswith("line 3: 7 fields, the header has 8")
    assert errs[3].startswith("line 4: 9 fields, the header has 8")
    raw = dict(got)[3]
    assert raw["信访内容"] == "执行款未到位" and raw["column_9"] == "至今无果"  # what came, kept
    assert dict(got)[2]["涉及案号"] == "广阳区人民法院"  # shifted, shown as it came


def test_a_record_past_max_line_chars_is_refused_and_the_rest_loads():
    long = "长" * 300_000
    text = "\n".join([HEADER, row(1), row(2, long), row(3), row(4, "短")]) + "\n"
    _, rows = read_csv(text, limits(max_line_chars=100_000))
    got = list(rows)
    assert sorted(good(got)) == [1, 3, 4]
    assert good(got)[3]["信访人"] == "张伟3"
    assert errors(got)[2].startswith("line 3: 300,0")
    assert "intake.max_line_chars" in errors(got)[2]
    assert len(readers.to_json(dict(got)[2])) < 10_000  # the raw column keeps a cut


def test_a_field_past_the_csv_modules_128k_default_loads():
    text = "\n".join([HEADER, row(1, "长" * 200_000), row(2)]) + "\n"
    _, rows = read_csv(text, limits(max_line_chars=1_000_000))
    got = list(rows)
    assert not errors(got)
    assert len(good(got)[1]["信访内容"]) == 200_000 and good(got)[2]["信访人"] == "张伟2"


def test_an_unclosed_quote_does_not_swallow_the_rest_of_the_file():
    lines = [HEADER, row(1), row(2, '"诉求未果'), *(row(n) for n in range(3, 40))]
    _, rows = read_csv("\n".join(lines) + "\n")
    got = list(rows)
    assert errors(got) == {
        2: 'line 3: a quote (") opened in this line is not closed by the end of the file '
        "(38 lines); the line is refused and reading goes on at line 4"
    }
    assert sorted(good(got)) == [1, *range(3, 40)]
    assert good(got)[39]["信访人"] == "张伟39"
    assert dict(got)[2]["信访内容"] == '"诉求未果'


def test_a_stray_quote_closed_rows_later_refuses_only_its_line():
    lines = [HEADER, row(1), row(2, '"诉求'), row(3), row(4), row(5, '未果"再诉'), row(6)]
    _, rows = read_csv("\n".join(lines) + "\n")
    got = list(rows)
    assert list(errors(got)) == [2]
    assert "line 3: a quote" in errors(got)[2]
    assert sorted(good(got)) == [1, 3, 4, 5, 6]
    assert good(got)[5]["信访内容"] == '未果"再诉'


def test_a_quote_running_past_max_record_lines_is_refused(monkeypatch):
    monkeypatch.setattr(readers, "MAX_RECORD_LINES", 10)
    lines = [HEADER, row(1), row(2, '"开头'), *(row(n) for n in range(3, 30)), '结尾"', row(30)]
    _, rows = read_csv("\n".join(lines) + "\n")
    got = list(rows)
    assert list(errors(got)) == [2, 30]
    assert errors(got)[2].startswith('line 3: a quote (") opened in this line is not closed')
    assert errors(got)[30].startswith("line 31: 1 field, the header has 8")
    assert sorted(good(got)) == [1, *range(3, 30), 31]
    assert good(got)[3]["信访人"] == "张伟3" and good(got)[31]["信访人"] == "张伟30"


def test_quoted_line_breaks_stay_one_row_and_numbering_continues():
    lines = [HEADER, row(1, '"第一段\n第二段\n第三段"'), row(2), row(3, '"一,二"')]
    _, rows = read_csv("\n".join(lines) + "\n")
    got = list(rows)
    assert not errors(got)
    assert [n for n, _ in got] == [1, 2, 3]
    assert good(got)[1]["信访内容"] == "第一段\n第二段\n第三段"
    assert good(got)[3]["信访内容"] == "一,二"


def test_a_multi_line_record_with_wrong_field_count_names_its_lines():
    lines = [HEADER, "2023-07-03,张伟,,,住址,案号,法院", '"多行\n内容",多余', row(3)]
    _, rows = read_csv("\n".join(lines) + "\n")
    got = list(rows)
    assert errors(got)[1].startswith("line 2: 7 fields, the header has 8")
    assert errors(got)[2].startswith("lines 3–4: 2 fields, the header has 8")
    assert good(got)[3]["信访人"] == "张伟3"


def test_blank_lines_stay_blank_rows_not_field_count_errors():
    _, rows = read_csv("\n".join([HEADER, row(1), "", ",,,", row(2)]) + "\n")
    got = list(rows)
    assert not errors(got)
    assert [readers.is_blank(r) for _, r in got] == [False, True, True, False]


# --- encodings --------------------------------------------------------------------------


def test_a_gbk_line_in_a_utf8_file_is_a_row_error_naming_its_line():
    data = "\n".join([HEADER, row(1), row(2), row(3), row(4)]).encode() + b"\n"
    lines = data.split(b"\n")
    lines[2] = row(2, "来自旧系统").encode("gbk")  # physical line 3
    decoded = decode_text(b"\n".join(lines))
    assert decoded.encoding == "utf-8"
    assert decoded.bad_lines == {3: "bytes that are not valid UTF-8 text"}
    _, rows = read_csv(decoded.text, limits(), decoded.bad_lines)
    got = list(rows)
    assert errors(got) == {2: "line 3: bytes that are not valid UTF-8 text"}
    assert sorted(good(got)) == [1, 3, 4] and good(got)[4]["信访人"] == "张伟4"
    assert "\\x" in dict(got)[2]["信访内容"]  # the bytes, escaped, in the raw column


def test_broken_bytes_in_a_gb18030_file_decode_by_line_and_the_rest_loads():
    text = "\n".join([HEADER, *(row(n) for n in range(1, 12))]) + "\n"
    lines = text.encode("gb18030").split(b"\n")
    lines[5] += b"\x81\x30"  # a cut 4-byte sequence at the end of line 6 (would eat the LF)
    data = b"\n".join(lines)
    decoded = decode_text(data)
    assert decoded.encoding == "gb18030"
    _, rows = read_csv(decoded.text, limits(), decoded.bad_lines)
    got = list(rows)
    assert errors(got) == {5: "line 6: bytes that are not valid GB18030 text"}
    assert sorted(good(got)) == [n for n in range(1, 12) if n != 5]
    assert good(got)[6]["信访人"] == "张伟6"


def test_bad_lines_with_lone_cr_line_ends_are_numbered_as_the_csv_reader_counts():
    text = "\r".join([HEADER, row(1), row(2)]) + "\n" + "\r".join([row(3), row(4)]) + "\n"
    data = text.encode()
    lines = data.split(b"\n")
    lines[1] = lines[1].replace("张伟3".encode(), b"\xff\xfe")  # \n-line 2 holds rows 3 and 4
    decoded = decode_text(b"\n".join(lines))
    assert decoded.bad_lines == {2: "bytes that are not valid UTF-8 text"}
    _, rows = read_csv(decoded.text, limits(), decoded.bad_lines)
    got = list(rows)
    assert errors(got) == {3: "line 4: bytes that are not valid UTF-8 text", 4: errors(got)[4]}
    assert sorted(good(got)) == [1, 2]


def test_too_many_bad_lines_or_a_bad_header_is_not_text():
    good_lines = [row(n).encode() for n in range(1, 10)]
    with pytest.raises(FileError, match=r"not a text file in UTF-8, UTF-16 or GB18030: 4 of 10"):
        decode_text(b"\n".join([HEADER.encode(), *good_lines[:5], *[b"\xff\xfe\xfd"] * 4]))
    with pytest.raises(FileError, match=r": 2 of 4 lines cannot be decoded"):  # half: not text
        decode_text(b"\n".join([HEADER.encode(), good_lines[0], *[b"\xff\xfe\xfd"] * 2]))
    with pytest.raises(FileError, match=r"header line \(line 1\)"):
        decode_text(b"\n".join([b"\xff" + HEADER.encode(), *good_lines]))


def test_a_nul_byte_is_not_utf16():
    data = "\n".join([HEADER, row(1), row(2, "内容\0尾"), row(3)]).encode()
    decoded = decode_text(data)
    assert decoded.encoding == "utf-8" and not decoded.bad_lines
    _, rows = read_csv(decoded.text)
    got = list(rows)
    assert [n for n, _ in got] == [1, 2, 3]
    assert got[1][1]["信访内容"] == "内容\0尾"  # the loader refuses it; the reader keeps it


def test_nuls_on_most_lines_are_not_text():
    data = b"\n".join(b"a\0b,c\0\0d" for _ in range(20))
    with pytest.raises(FileError, match="20 of 20 lines hold NUL bytes"):
        decode_text(data)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_still_detected(codec):
    text = "\n".join([HEADER, row(1), row(2)]) + "\n"
    assert decode_text(text.encode(codec)).encoding == codec
    assert decode_text(text.encode(codec)).text == text


def test_truncated_utf16_marks_only_the_last_line():
    text = "\r\n".join([HEADER, *(row(n) for n in range(1, 12))])
    data = codecs.BOM_UTF16_LE + text.encode("utf-16-le") + b"\x41"
    decoded = decode_text(data)
    assert decoded.encoding == "utf-16" and decoded.bad_lines == {
        12: "bytes that are not valid UTF-16 text"
    }
    _, rows = read_csv(decoded.text, limits(), decoded.bad_lines)
    got = list(rows)
    assert list(errors(got)) == [11] and sorted(good(got)) == list(range(1, 11))


# --- JSON Lines -------------------------------------------------------------------------


def test_hostile_json_lines_are_row_errors_and_the_good_lines_load():
    obj = {"ticket_id": "W1", "name": "张伟", "content": "诉求"}
    lines = [
        json.dumps(obj, ensure_ascii=False),
        '{"ticket_id": "W2", "name": "\\ud800"}',  # a lone surrogate escape
        '{"ticket_id": "W3", "amount": ' + "9" * 5000 + "}",  # past int's 4,300 digits
        "[" * 100_000 + "]" * 100_000,  # RecursionError in the standard parser
        '{"a": ' + "[" * 200 + "]" * 200 + "}",  # deep, though orjson would take it
        '{"content": "' + "长" * 2_000_000 + '"}',  # past max_line_chars
        '"just a string"',
        '{"ticket_id": "W8", "content": "一\u2028二"}',  # U+2028 inside a string: one line
        json.dumps({**obj, "ticket_id": "W9", "big": 2**70}),
    ]
    header, rows = read_jsonl("\n".join(lines) + "\n", limits(max_line_chars=1_000_000))
    got = list(rows)
    assert header == ["content", "name", "ticket_id"]
    assert [n for n, _ in got] == list(range(1, 10))
    assert {n: r["ticket_id"] for n, r in good(got).items()} == {1: "W1", 8: "W8", 9: "W9"}
    assert good(got)[8]["content"] == "一\u2028二" and good(got)[9]["big"] == 2**70
    errs = errors(got)
    assert "lone surrogate" in errs[2]
    assert errs[3].startswith("line 3 is not JSON this reader accepts")
    assert "nested deeper than" in errs[4] and "nested deeper than" in errs[5]
    assert errs[6].startswith("line 6 has 2,000,0") and "intake.max_line_chars" in errs[6]
    assert errs[7] == "line 7 is not a JSON object"
    for _, r in got:
        readers.to_json(r).encode("utf-8")  # every raw value can be stored


def test_jsonl_bad_bytes_are_row_errors_with_line_numbers():
    lines = [json.dumps({"ticket_id": f"W{n}"}).encode() for n in range(1, 12)]
    lines[4] = b'{"ticket_id": "W5\xff"}'
    decoded = decode_text(b"\n".join(lines), header=False)
    _, rows = read_jsonl(decoded.text, limits(), decoded.bad_lines)
    got = list(rows)
    assert errors(got) == {5: "line 5 holds bytes that are not valid UTF-8 text"}
    assert good(got)[6]["ticket_id"] == "W6" and len(good(got)) == 10


def test_a_short_gbk_file_with_two_damaged_lines_still_loads_its_other_rows():
    """Seven lines, two bad: more than 10 %, but a file may always hold a few bad lines."""
    text = "\r\n".join(
        ["工单号,来电时间,来电人", *(f"R{n},2023-07-03,张伟{n}" for n in range(1, 7))]
    )
    lines = text.encode("gbk").split(b"\r\n")
    lines[2] = lines[2].replace(b",", b"\xff,", 1)  # data row 2
    lines[5] = lines[5].replace(b",", b"\x81\x7f,", 1)  # data row 5
    decoded = decode_text(b"\r\n".join(lines))
    assert decoded.encoding == "gb18030"
    _, rows = read_csv(decoded.text, limits(), decoded.bad_lines)
    got = list(rows)
    assert errors(got) == {
        2: "line 3: bytes that are not valid GB18030 text",
        5: "line 6: bytes that are not valid GB18030 text",
    }
    assert {n: r["来电人"] for n, r in good(got).items()} == {
        1: "张伟1",
        3: "张伟3",
        4: "张伟4",
        6: "张伟6",
    }


def test_a_short_utf16_file_without_bom_is_detected_and_few_nuls_in_utf8_are_not():
    text = "信访人,信访内容\r\n张伟,内容\r\n"  # only 5 ASCII characters: 5 zero bytes
    assert decode_text(text.encode("utf-16-le")).text == text
    assert decode_text(text.encode("utf-16-be")).text == text
    data = "ab\0c\0d,信访内容\n张伟,内容\n".encode()  # two NULs, both at even offsets
    assert data.index(b"\0") % 2 == 0 and data.rindex(b"\0") % 2 == 0
    assert decode_text(data).encoding == "utf-8"
