"""Encoding detection and the readers, on bytes generated here (never hand-edited blobs)."""

from __future__ import annotations

import pytest

from xinfang.intake.base import FileError
from xinfang.intake.encoding import decode, detect_encoding
from xinfang.intake.readers import fold_header, read_csv, read_jsonl, sniff_delimiter

TEXT = "登记日期,信访人,信访内容\n2023-07-03,张伟,執行款未到位\n"


@pytest.mark.parametrize(
    ("codec", "expected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gb18030", "gb18030"),
        ("gbk", "gb18030"),
        ("utf-16", "utf-16"),
        ("utf-16-le", "utf-16-le"),
        ("utf-16-be", "utf-16-be"),
    ],
)
def test_encodings_are_detected_and_decoded(codec, expected):
    data = TEXT.encode(codec)
    assert detect_encoding(data) == expected
    text, _ = decode(data)
    assert text == TEXT


def test_binary_garbage_is_a_file_error():
    garbage = bytes(range(256)) * 8
    with pytest.raises(FileError, match="not a text file"):
        decode(garbage)


def test_excel_unicode_text_is_tab_separated():
    text, _ = decode(TEXT.replace(",", "\t").encode("utf-16"))
    header, rows = read_csv(text)
    assert header == ["登记日期", "信访人", "信访内容"]
    assert list(rows) == [
        (1, {"登记日期": "2023-07-03", "信访人": "张伟", "信访内容": "執行款未到位"})
    ]


def test_headers_fold_full_width_and_spaces():
    assert fold_header(" 登记日期\u3000") == "登记日期"
    assert fold_header("ｔｉｃｋｅｔ＿ｉｄ") == "ticket_id"
    assert sniff_delimiter("a;b;c") == ";"
    assert sniff_delimiter("single") == ","


def test_jsonl_bad_lines_are_reported_by_line_number():
    header, rows = read_jsonl('{"name": "张伟"}\nnot json\n[1]\n\n{"name": "李强"}\n')
    got = list(rows)
    assert header == ["name"]
    assert [n for n, _ in got] == [1, 2, 3, 4, 5]
    assert "line 2 is not JSON" in got[1][1]["__error__"]
    assert "not a JSON object" in got[2][1]["__error__"]
    assert got[3][1] == {}
