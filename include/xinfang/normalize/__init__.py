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
]
