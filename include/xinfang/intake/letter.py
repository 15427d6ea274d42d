"""来信登记: letters registered by the petition office (CSV, XLSX)."""

from xinfang.intake.base import ChannelSpec
from xinfang.intake.items import plain_parser

SPEC = ChannelSpec(
    name="letter",
    formats=("csv", "xlsx"),
    columns={
        "登记日期": "received_at",
        "信访人": "name",
        "身份证号": "id_number",
        "联系电话": "phone",
        "住址": "address",
        "涉及案号": "case_number",
        "反映法院": "court_name",
        "信访内容": "content",
    },
    required=("received_at", "name", "content"),
    parse_row=plain_parser("letter", "登记日期"),
)
