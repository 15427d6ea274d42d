"""The ledger schema (docs/data_dictionary.md plus the project's own bookkeeping tables).

SQLAlchemy Core, one ``Table`` per table. Times are China Standard Time wall
clock (Asia/Shanghai has no DST), stored without a zone so SQLite and
PostgreSQL hold the same values. Migrations in ``sql/migrations`` create and
upgrade these tables; this module is what the code reads and writes.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

# BigInteger primary keys that still autoincrement on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


SATISFACTION_CHECK = "satisfaction IN ('satisfied', 'basic', 'dissatisfied')"


def workflow_columns() -> list[Column | CheckConstraint]:
    """The petition office's workflow columns (docs/progress.md), on ``case_progress`` as a
    row gives them and on ``ledger_case`` as the latest row giving each leaves them."""
    return [
        Column("accepted_on", Date, comment="受理日期 (受理告知)"),
        Column("replied_on", Date, comment="答复日期 (书面答复)"),
        Column("extended_to", Date, comment="延期至: approved extension"),
        Column("satisfaction", String(16), comment="满意度: satisfied / basic / dissatisfied"),
        Column("supervision_unit", String(128), comment="督办单位"),
        Column("supervision_due_on", Date, comment="督办期限"),
        CheckConstraint(SATISFACTION_CHECK, name="satisfaction"),
    ]


WORKFLOW_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in workflow_columns() if isinstance(c, Column)
)
"""The six workflow columns' names, in this order (progress row keys hash them in it)."""


court = Table(
    "court",
    metadata,
    Column("court_code", String(16), primary_key=True, comment="案号法院代字, e.g. 冀1003"),
    Column("name", String(64), nullable=False),
    Column("level", String(16), nullable=False, comment="intermediate / basic"),
    comment="Courts of the configuration, refreshed by every migration run.",
)

intake_file = Table(
    "intake_file",
    metadata,
    Column("file_id", BigId, primary_key=True, autoincrement=True),
    Column("channel", String(16), nullable=False),
    Column("source_file", String(512), nullable=False, comment="file name as dropped"),
    Column("sha256", String(64), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("encoding", String(32)),
    Column("status", String(16), nullable=False, comment="loaded / quarantined"),
    Column("item_count", Integer, nullable=False, default=0),
    Column("reject_count", Integer, nullable=False, default=0),
    Column("loaded_at", DateTime, nullable=False),
    Column("archived_to", String(1024)),
    Column(
        "known_rows",
        Integer,
        nullable=False,
        server_default="0",
        comment="rows already loaded from an earlier file (a corrected file dropped again)",
    ),
    UniqueConstraint("channel", "sha256"),
    comment="One row per file taken from a drop folder; a re-dropped identical file is found here.",
)

ledger_case = Table(
    "ledger_case",
    metadata,
    Column("case_id", BigId, primary_key=True, autoincrement=True),
    Column("ledger_no", String(32), nullable=False, unique=True, comment="台账编号"),
    Column("court_code", String(16), nullable=False),
    Column("department", String(64), comment="承办部门"),
    Column("judge", String(64), comment="承办法官"),
    Column("leader", String(64), comment="包案领导"),
    Column("is_key", Boolean, nullable=False, default=False, comment="重点信访案件"),
    Column("key_since", Date),
    Column("tier", Integer, nullable=False, default=1),
    Column("tier_entered_on", Date, nullable=False),
    Column("status", String(16), nullable=False, default="open", comment="open/paused/closed"),
    Column("disposition", String(16), comment="five-batches code when closed"),
    Column("first_received_at", DateTime, nullable=False),
    Column("last_received_at", DateTime, nullable=False),
    Column("item_count", Integer, nullable=False, default=0),
    Column("closed_on", Date),
    Column("reopened_count", Integer, nullable=False, default=0, comment="repeats after 销号"),
    Column("overdue", Boolean, nullable=False, default=False),
    Column("statutory_due_on", Date),
    Column("statutory_overdue", Boolean, nullable=False, default=False),
    Column(
        "sweep_problem",
        Text,
        comment="why the escalation sweep could not compute the case; null when it could",
    ),
    Column("referral_due_on", Date, comment="earliest 办结时限 of its referrals"),
    Column("case_number", String(64), comment="canonical 案号 the case is about"),
    Column("person_key", String(64), comment="canonical identity of the lead petitioner"),
    Column("petitioner_name", String(64)),
    Column("priority", Integer, nullable=False, default=0),
    Column("updated_at", DateTime),
    *workflow_columns(),
    Column(
        "supervision_overdue",
        Boolean,
        nullable=False,
        default=False,
        server_default=false(),
        comment="督办 unanswered: neither closed nor replied by supervision_due_on",
    ),
    # No index on status or tier: the sweeps rewrite them daily, and with no indexed
    # column changed (and room left in the page) PostgreSQL updates a row in place (HOT)
    # instead of adding an entry to every index; whole-ledger queries scan anyway.
    Index("ix_ledger_case_court", "court_code"),
    Index("ix_ledger_case_case_number", "case_number"),
    Index("ix_ledger_case_person_key", "person_key"),
    comment="台账: one row per petition matter (信访事项).",
    postgresql_with={"fillfactor": 80},
)

intake_item = Table(
    "intake_item",
    metadata,
    Column("item_id", BigId, primary_key=True, autoincrement=True),
    Column("channel", String(16), nullable=False),
    # Not a declared foreign key: its per-row check was ~15% of the database's work per
    # item at intake. The loader writes a file's items in the transaction that inserts
    # its intake_file row, and intake_file rows are never deleted.
    Column("file_id", BigInteger, comment="intake_file.file_id of the file it came in"),
    Column("source_file", String(512), nullable=False),
    Column("source_row", Integer, nullable=False),
    Column("external_id", String(64), comment="ticket_id / 工单号 / 交办文号"),
    Column("received_at", DateTime, nullable=False),
    Column("petitioner_name", String(128)),
    Column("name_key", String(128), comment="pinyin key of the name, for matching"),
    Column("id_number", String(18), comment="canonical 18-character ID; null if missing/invalid"),
    Column("id_invalid", Boolean, nullable=False, default=False),
    Column("phone", String(20)),
    Column("address", Text),
    Column("case_number", String(64), comment="canonical 案号"),
    Column("case_year", Integer),
    Column("case_type", String(16)),
    Column("court_code", String(16), comment="court of the 案号, else of the named court"),
    Column("court_name", String(64), comment="court named in the item (反映法院/court)"),
    Column("group_size", Integer, nullable=False, default=1),
    Column("co_petitioners", Text, comment="other names of a group visit"),
    Column("handler", String(64), comment="接待人"),
    Column("referral_unit", String(128), comment="交办单位"),
    Column("due_on", Date, comment="办结时限 of a referral"),
    Column("content", Text, comment="as received"),
    Column("content_normalized", Text),
    Column("raw", Text, nullable=False, comment="the record as received, JSON"),
    Column("case_id", BigInteger, ForeignKey("ledger_case.case_id")),
    Column("loaded_at", DateTime, nullable=False),
    Column(
        "row_key",
        String(32),
        comment="fingerprint of the row's normalized values: a row dropped again is known",
    ),
    Column("corrects_item_id", BigInteger, comment="the item this row corrects (same 工单号…)"),
    UniqueConstraint("file_id", "source_row"),
    Index("ix_intake_item_row_key", "row_key"),  # (the key hashes the channel too)
    Index("ix_intake_item_external_id", "external_id"),
    Index("ix_intake_item_case_id", "case_id"),
    Index("ix_intake_item_id_number", "id_number"),
    Index("ix_intake_item_case_number", "case_number"),
    Index("ix_intake_item_received_at", "received_at"),
    Index("ix_intake_item_phone", "phone"),
    Index("ix_intake_item_name_key_case_number", "name_key", "case_number"),
    comment="One row per intake item loaded from a channel file.",
    # half of each page left free at intake for deduplication's one write of case_id,
    # made in place (HOT: no index entry rewritten) while ix_intake_item_case_id is
    # dropped; after it the table is as big as an appended copy of every row would be
    postgresql_with={"fillfactor": 50},
)

intake_reject = Table(
    "intake_reject",
    metadata,
    Column("reject_id", BigId, primary_key=True, autoincrement=True),
    Column("channel", String(16), nullable=False),
    Column("file_id", BigInteger, ForeignKey("intake_file.file_id")),
    Column("source_file", String(512), nullable=False),
    Column("source_row", Integer, comment="null when the whole file was refused"),
    Column("reason", Text, nullable=False),
    Column("raw", Text, comment="the record as received, JSON"),
    Column("rejected_at", DateTime, nullable=False),
    comment="Rows and files that could not be used, with the reason a clerk can act on.",
)

case_progress = Table(
    "case_progress",
    metadata,
    Column("progress_id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", BigInteger, ForeignKey("ledger_case.case_id"), nullable=False),
    Column("file_id", BigInteger, ForeignKey("intake_file.file_id")),
    Column("source_file", String(512)),
    Column("source_row", Integer),
    Column("progress_date", Date, nullable=False),
    Column("note", Text),
    Column("status", String(16), comment="open / paused / closed"),
    Column("disposition", String(16)),
    Column("court_code", String(16)),
    Column("department", String(64)),
    Column("judge", String(64)),
    Column("leader", String(64)),
    Column("is_key", Boolean),
    Column("hearing_date", Date),
    Column("loaded_at", DateTime, nullable=False),
    Column("note_masked", Text, comment="the note with ID and phone numbers masked"),
    Column("row_key", String(32), comment="fingerprint of the row's values"),
    *workflow_columns(),
    Column(
        "origin",
        String(16),
        comment="null: a court's row (progress channel); admin / console: a person's case action",
    ),
    Column("entered_by", String(64), comment="who, for a person's case action"),
    Index("ix_case_progress_case_date", "case_id", "progress_date"),
    Index("ix_case_progress_row_key", "row_key"),
    comment="Progress rows from the courts, applied in 日期 order.",
)

# escalation_event and notification: keyed by what they are (a case's tier change on a
# day; a case's notice of a kind, tier and day), one index each, plus a BRIN index on
# the date, which rows arrive in order of. A day's sweep writes hundreds of thousands
# of them at 1M open cases, and every further index cost as much as the row itself.
# case_id is not a declared foreign key: the escalation sweep writes both from
# ledger_case rows in the same transaction, and case merges delete them with the case.
escalation_event = Table(
    "escalation_event",
    metadata,
    Column("case_id", BigInteger, primary_key=True, comment="ledger_case.case_id"),
    Column("escalated_on", Date, primary_key=True),
    Column("to_tier", Integer, primary_key=True),
    Column("from_tier", Integer),
    Column("reason", String(64), nullable=False, comment="sla / key_case / reopened"),
    Index("ix_escalation_event_escalated_on", "escalated_on", postgresql_using="brin"),
    comment="One row per tier change of a case.",
)

notification = Table(
    "notification",
    metadata,
    Column("case_id", BigInteger, primary_key=True, comment="ledger_case.case_id"),
    Column("created_on", Date, primary_key=True),
    Column(
        "kind",
        String(32),
        primary_key=True,
        comment="escalation/warning/overdue/statutory/risk",
    ),
    Column(
        "tier",
        Integer,
        primary_key=True,
        comment="the tier it is addressed to (statutory: the top tier)",
    ),
    Column("recipient", String(128), nullable=False),
    Column("message", Text),
    Column("sent_at", DateTime),
    Index("ix_notification_created_on", "created_on", postgresql_using="brin"),
    comment="Notices to the person responsible; sent_at is set once e-mailed.",
)

risk_flag = Table(
    "risk_flag",
    metadata,
    Column("flag_id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", BigInteger, ForeignKey("ledger_case.case_id"), nullable=False),
    Column("person_key", String(64)),
    Column(
        "kind", String(16), nullable=False, comment="threat/group/repeat/multi_channel/referral"
    ),
    Column("detected_on", Date, nullable=False),
    Column("item_id", BigInteger),
    Column("evidence", Text),
    UniqueConstraint("case_id", "kind", "item_id"),
    comment="Risk signals (隐患) found by screening.",
)

disposition_monthly = Table(
    "disposition_monthly",
    metadata,
    Column("month", Date, primary_key=True, comment="first day of the month"),
    Column("court_code", String(16), primary_key=True),
    Column("disposition", String(16), primary_key=True),
    Column("case_count", Integer, nullable=False),
    comment="Five batches per court and month, all 11 x 5 cells.",
)

kpi_monthly = Table(
    "kpi_monthly",
    metadata,
    Column("month", Date, primary_key=True, comment="first day of the month"),
    Column("court_code", String(16), primary_key=True),
    Column("cases_total", Integer, nullable=False, comment="cases received by month end"),
    Column("cases_new", Integer, nullable=False, comment="first item received in the month"),
    Column("cases_closed", Integer, nullable=False, comment="closed (销号) in the month"),
    Column("cases_open_start", Integer, nullable=False, comment="open when the month began"),
    Column("cases_open_end", Integer, nullable=False, comment="open (incl. paused) at month end"),
    Column("resolution_rate", Float, comment="closed / (open at start + new); null if 0/0"),
    Column("repeat_items", Integer, nullable=False, comment="items of cases with an earlier item"),
    Column(
        "repeat_cases", Integer, nullable=False, comment="cases with a repeat item in the month"
    ),
    Column("reopened_cases", Integer, nullable=False, comment="cases petitioning again after 销号"),
    Column("esc_to_tier2", Integer, nullable=False),
    Column("esc_to_tier3", Integer, nullable=False),
    Column("esc_to_tier4", Integer, nullable=False),
    Column("esc_to_tier5", Integer, nullable=False),
    Column("overdue_cases", Integer, nullable=False, comment="open at month end, flagged overdue"),
    Column(
        "statutory_overdue_cases", Integer, nullable=False, comment="open past statutory_due_on"
    ),
    Column("key_open", Integer, nullable=False, comment="key cases open at month end"),
    Column("key_closed", Integer, nullable=False, comment="key cases closed in the month"),
    Column("hearings", Integer, nullable=False, comment="信访听证 held (case, hearing_date)"),
    Column("items_total", Integer, nullable=False),
    Column("items_letter", Integer, nullable=False),
    Column("items_visit", Integer, nullable=False),
    Column("items_online", Integer, nullable=False),
    Column("items_hotline", Integer, nullable=False),
    Column("items_referral", Integer, nullable=False),
    Column("computed_at", DateTime, nullable=False),
    Column(
        "timely_acceptance_rate",
        Float,
        comment="及时受理率: accepted within 15 days / cases new in the month",
    ),
    Column(
        "on_time_closure_rate",
        Float,
        comment="按期办结率: closed by statutory_due_on / closed in the month",
    ),
    Column(
        "satisfaction_rate",
        Float,
        comment="满意率: 满意 or 基本满意 / rated cases closed in the month",
    ),
    comment="Campaign KPIs per court and month (data_dictionary.md defines each).",
)

case_sweep = Table(
    "case_sweep",
    metadata,
    Column("case_id", BigInteger, primary_key=True),
    Column("sweep_sig", String(96), nullable=False, comment="facts signature it saw"),
    Column("swept_as_of", Date, comment="as-of date of its last sweep; null: the watermark's"),
    Column(
        "due_tier",
        Integer,
        comment="while its clock runs: the tier its current clock epoch started at (its"
        " milestones are the ladder's from there); null: no clock milestone ahead",
    ),
    Column(
        "due_base",
        Integer,
        comment="work_calendar.workday_index its milestones count from: each falls on the"
        " working day numbered due_base + the ladder's offset",
    ),
    Column(
        "due_on",
        Date,
        comment="its next dated milestone (statutory notice, 超期 flag) while not closed;"
        " a case the rules walk day by day: the next day",
    ),
    comment="Escalation sweep bookkeeping: a case whose facts did not change since its last"
    " sweep only needs the events after that date, and no sweep at all before its next"
    " milestone.",
    # room in each page for in-place (HOT) updates
    postgresql_with={"fillfactor": 70},
)

sweep_watermark = Table(
    "sweep_watermark",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("as_of", Date, nullable=False, comment="as-of date of the last whole-ledger sweep"),
    Column(
        "facts",
        String(512),
        comment="totals of the facts that sweep saw (items, progress rows, risk keys): when the"
        " rows it saw are unchanged, the next sweep derives only new rows' and due cases",
    ),
    comment="The date up to which the escalation sweep last synced every case.",
)

work_calendar = Table(
    "work_calendar",
    metadata,
    Column("day", Date, primary_key=True),
    Column("is_workday", Boolean, nullable=False),
    Column("workday_index", Integer, nullable=False, comment="working days up to this day"),
    Index("ix_work_calendar_index", "workday_index", "is_workday"),
    comment="The Chinese working calendar (调休 included) materialized for set-based SLA clocks.",
)

match_decision = Table(
    "match_decision",
    metadata,
    Column("decision_id", BigId, primary_key=True, autoincrement=True),
    Column("item_id", BigInteger, nullable=False),
    Column("case_id", BigInteger, nullable=False),
    Column("matched_item_id", BigInteger, comment="the earlier item it was joined to"),
    Column("rule", String(32), nullable=False),
    Column("score", Float),
    Column("decided_at", DateTime, nullable=False),
    Column(
        "evidence",
        Text,
        comment="the facts that decided it (shared and conflicting slots, text score)",
    ),
    Column(
        "threshold",
        Float,
        comment="the bar the score was held against: score - threshold is the margin",
    ),
    Index("ix_match_decision_item", "item_id"),
    comment="Why each item belongs to its case.",
)

case_link = Table(
    "case_link",
    metadata,
    Column("case_id", BigInteger, primary_key=True),
    Column("related_case_id", BigInteger, primary_key=True),
    Column("reason", String(64), nullable=False),
    comment="Related cases, e.g. the two parties of one lawsuit.",
)

manual_override = Table(
    "manual_override",
    metadata,
    Column("override_id", BigId, primary_key=True, autoincrement=True),
    Column("action", String(8), nullable=False, comment="merge / split"),
    Column("item_id", BigInteger, nullable=False),
    Column("other_item_id", BigInteger, comment="merge: join item_id to this item's case"),
    Column("reason", Text, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    comment="Manual merges and splits, honoured by every later run.",
)

HISTORY_FIELDS = (
    "status",
    "tier",
    "is_key",
    "court_code",
    "judge",
    "department",
    "leader",
    "disposition",
    "statutory_due_on",
    "extended_to",
    "supervision_due_on",
)
"""The ``ledger_case`` columns whose every change is a ``case_history`` row (xinfang.history)."""

case_history = Table(
    "case_history",
    metadata,
    Column("history_id", BigId, primary_key=True, autoincrement=True),
    Column(
        "case_id", BigInteger, nullable=False, comment="ledger_case.case_id (kept after a merge)"
    ),
    Column("ledger_no", String(32), nullable=False, comment="台账编号 when the change was made"),
    Column(
        "field",
        String(32),
        nullable=False,
        comment="status/tier/is_key/court_code/judge/department/leader/disposition/"
        "statutory_due_on/extended_to/supervision_due_on, or created/merge/split",
    ),
    Column("old_value", Text, comment="before, as text (null: not set)"),
    Column("new_value", Text, comment="after, as text (null: cleared)"),
    Column("changed_on", Date, nullable=False, comment="the day the change takes effect"),
    Column(
        "changed_at",
        DateTime,
        nullable=False,
        comment="when: the command's time for a person's change, else changed_on at 00:00",
    ),
    Column(
        "source",
        String(16),
        nullable=False,
        comment="intake / progress / sweep / manual (CONTRACT §7)",
    ),
    Column(
        "via",
        String(16),
        nullable=False,
        comment="intake/progress/escalation/rebuild, or admin (the command) / console",
    ),
    Column("actor", String(64), comment="who (people's changes only)"),
    Column("reason", Text, comment="why (people's changes only)"),
    Column("recorded_at", DateTime, nullable=False),
    Index("ix_case_history_case_id", "case_id", "history_id"),
    Index("ix_case_history_changed_on", "changed_on", postgresql_using="brin"),
    comment="One row per change of a case's tracked fields, merges and splits (docs/cases.md).",
)

case_history_state = Table(
    "case_history_state",
    metadata,
    Column("case_id", BigInteger, primary_key=True, comment="ledger_case.case_id"),
    Column("ledger_no", String(32), nullable=False),
    Column(
        "anchor_item_id",
        BigInteger,
        comment="an item of the case: where it is now tells where a vanished case went",
    ),
    Column("status", String(16)),
    Column("tier", Integer),
    Column("is_key", Boolean),
    Column("court_code", String(16)),
    Column("judge", String(64)),
    Column("department", String(64)),
    Column("leader", String(64)),
    Column("disposition", String(16)),
    Column("statutory_due_on", Date),
    Column("extended_to", Date),
    Column("supervision_due_on", Date),
    comment="Each case's tracked fields as case_history last recorded them (xinfang.history).",
)

ledger_counter = Table(
    "ledger_counter",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
    comment="Monotonic counters (ledger_no), so numbers are never reused.",
)

risk_screened = Table(
    "risk_screened",
    metadata,
    Column("first_item_id", BigInteger, primary_key=True),
    Column("last_item_id", BigInteger, nullable=False),
    Column("screened_at", DateTime, nullable=False, comment="the run that last extended the range"),
    comment="Screened items as ranges of item ids (every id first..last was screened; adjacent "
    "ranges merged), so a rerun reads only the others. The threat verdicts are the risk_flag rows.",
)

key_person = Table(
    "key_person",
    metadata,
    Column("person_key", String(64), primary_key=True, comment="ledger_case.person_key"),
    Column("name", String(64)),
    Column("id_number", String(18)),
    Column("phone", String(20)),
    Column("case_count", Integer, nullable=False, default=0),
    Column("item_count", Integer, nullable=False, default=0),
    Column("channel_count", Integer, nullable=False, default=0),
    Column("open_case_count", Integer, nullable=False, default=0),
    Column("risk_flag_count", Integer, nullable=False, default=0),
    Column("threat_count", Integer, nullable=False, default=0),
    Column("is_key_person", Boolean, nullable=False, default=False, comment="重点人员"),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_key_person_is_key", "is_key_person"),
    comment="One row per petitioner across all their cases (重点人员 when is_key_person).",
)

Index("ix_risk_flag_detected_on", risk_flag.c.detected_on)
