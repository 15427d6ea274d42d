"""12368 诉讼服务热线: the hotline call log (CSV); names are transcribed by ear."""

from xinfang.intake.base import ChannelSpec
from xinfang.intake.items import plain_parser

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
    parse_row=plain_parser("hotline", "来电时间"),
)
