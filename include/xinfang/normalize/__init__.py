"""Value parsers and normalizers for intake values (docs/channels.md).

Pure functions, no I/O, safe to call from any worker: text, resident ID
numbers, phone numbers, case numbers (案号) and dates each get one canonical
form so that the same value typed differently compares equal in the ledger.
"""

from xinfang.normalize.case_number import CaseNumber, find_case_numbers, parse_case_number
from xinfang.normalize.dates import DateParseError, parse_date, parse_datetime
from xinfang.normalize.idcard import IdNumber, compute_check_char, parse_id_number
from xinfang.normalize.phone import canonical_phone
from xinfang.normalize.text import fold_width, normalize_text, strip_pinyin, to_simplified


def warm_up() -> None:
    """Load what the normalizers load on first use (OpenCC and the set of characters it
    changes, pypinyin's dictionaries: ~0.3 s), so that processes forked afterwards (the
    intake pool's workers) share it instead of each loading it again."""
    from xinfang.normalize.names import clean_name, name_key, split_group

    normalize_text("結(jié)合全市開(kāi)展的集中辦(bàn)訪月活動(dòng)")
    to_simplified("張偉")
    name_key(clean_name("張偉"))
    split_group("張偉、李強等5人")
    find_case_numbers("(2023)冀1003民初1234号")
    parse_datetime("2023年7月3日 9:30")
    parse_id_number("110101199003074514")
    canonical_phone("+86 138-1234-5678")


__all__ = [
    "CaseNumber",
    "DateParseError",
    "IdNumber",
    "canonical_phone",
    "compute_check_char",
    "find_case_numbers",
    "fold_width",
    "normalize_text",
    "parse_case_number",
    "parse_date",
    "parse_datetime",
    "parse_id_number",
    "strip_pinyin",
    "to_simplified",
    "warm_up",
]
