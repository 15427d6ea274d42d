"""来访接待: walk-in visits (CSV, XLSX); 来访人 may list a group, the first named leads."""

from xinfang.intake.base import ChannelSpec
from xinfang.intake.items import plain_parser

SPEC = ChannelSpec(
    name="visit",
    formats=("csv", "xlsx"),
    columns={
        "接待时间": "received_at",
        "来访人": "name",
        "身份证号": "id_number",
        "联系电话": "phone",
        "涉及案号": "case_number",
        "来访人数": "group_size",
        "来访诉求": "content",
        "接待人": "handler",
    },
    required=("received_at", "name", "content"),
    parse_row=plain_parser("visit", "接待时间"),
)
