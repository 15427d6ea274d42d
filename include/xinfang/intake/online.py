"""网上信访: the web portal's JSON Lines export; the title stands in for empty content."""

from xinfang.intake.base import ChannelSpec, Row
from xinfang.intake.items import build_item, received, text


def parse_row(row: Row) -> dict:
    return build_item(
        channel="online",
        external_id=row.get("ticket_id"),
        received_at=received(row, "submitted_at", "submitted_at"),
        name=row.get("name"),
        id_number=row.get("id_number"),
        phone=row.get("mobile"),
        case_number=row.get("case_number"),
        court_name=row.get("court"),
        content=text(row.get("content")) or text(row.get("title")),
    )


SPEC = ChannelSpec(
    name="online",
    formats=("jsonl",),
    columns={
        k: k
        for k in (
            "ticket_id",
            "submitted_at",
            "name",
            "id_number",
            "mobile",
            "case_number",
            "court",
            "title",
            "content",
        )
    },
    required=("submitted_at",),
    parse_row=parse_row,
)
