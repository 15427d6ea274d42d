"""12368 诉讼服务热线: the hotline call log (CSV); names are transcribed by ear."""

from xinfang.intake.base import ChannelSpec, Row
from xinfang.intake.items import build_item, received


def parse_row(row: Row) -> dict:
    return build_item(
        channel="hotline",
        external_id=row.get("external_id"),
        received_at=received(row, "received_at", "来电时间"),
        name=row.get("name"),
        phone=row.get("phone"),
        case_number=row.get("case_number"),
        content=row.get("content"),
    )


SPEC = ChannelSpec(
    name="hotline",
    formats=("csv",),
    columns={
        "工单号": "external_id",
        "来电时间": "received_at",
        "来电人": "name",
        "来电号码": "phone",
        "涉及案号": "case_number",
        "通话摘要": "content",
    },
    required=("received_at", "content"),
    parse_row=parse_row,
)
