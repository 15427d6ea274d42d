"""来访接待: walk-in visits (CSV, XLSX); 来访人 may list a group, the first named leads."""

from xinfang.intake.base import ChannelSpec, Row
from xinfang.intake.items import build_item, received


def parse_row(row: Row) -> dict:
    return build_item(
        channel="visit",
        received_at=received(row, "received_at", "接待时间"),
        name=row.get("name"),
        id_number=row.get("id_number"),
        phone=row.get("phone"),
        case_number=row.get("case_number"),
        group_size=row.get("group_size"),
        content=row.get("content"),
        handler=row.get("handler"),
    )


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
    parse_row=parse_row,
)
