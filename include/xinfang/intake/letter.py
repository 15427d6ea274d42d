"""来信登记: letters registered by the petition office (CSV, XLSX)."""

from xinfang.intake.base import ChannelSpec, Row
from xinfang.intake.items import build_item, received


def parse_row(row: Row) -> dict:
    return build_item(
        channel="letter",
        received_at=received(row, "received_at", "登记日期"),
        name=row.get("name"),
        id_number=row.get("id_number"),
        phone=row.get("phone"),
        address=row.get("address"),
        case_number=row.get("case_number"),
        court_name=row.get("court_name"),
        content=row.get("content"),
    )


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
    parse_row=parse_row,
)
