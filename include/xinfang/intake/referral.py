"""上级交办: cases referred by higher authorities (XLSX); every referral makes its case key."""

from xinfang.intake.base import ChannelSpec, Row
from xinfang.intake.items import build_item, due_date, received


def parse_row(row: Row) -> dict:
    received_at = received(row, "received_at", "交办日期")
    return build_item(
        channel="referral",
        external_id=row.get("external_id"),
        referral_unit=row.get("referral_unit"),
        received_at=received_at,
        name=row.get("name"),
        id_number=row.get("id_number"),
        phone=row.get("phone"),
        case_number=row.get("case_number"),
        content=row.get("content"),
        due_on=due_date(row.get("due_on"), received_at, "办结时限"),
    )


SPEC = ChannelSpec(
    name="referral",
    formats=("xlsx", "csv"),
    columns={
        "交办文号": "external_id",
        "交办单位": "referral_unit",
        "交办日期": "received_at",
        "信访人": "name",
        "身份证号码": "id_number",
        "联系方式": "phone",
        "涉及案号": "case_number",
        "反映问题": "content",
        "办结时限": "due_on",
    },
    required=("received_at", "name", "content"),
    parse_row=parse_row,
)
