"""Staff commands on the ledger: ``python -m xinfang.admin <command>`` (docs/progress.md).

People change cases through this command, never by editing tables. Each change names
who made it (``--by``) and why (``--reason``), is written with its ``case_history``
rows in one transaction and is honoured by every later run and by ``ledger.rebuild``::

    review [--limit N]                                 the review queue (甄别), closest call first
    confirm ITEM_ID --reason R --by NAME               the matcher was right: a join stays
                                                       together, a near miss stays apart
    split ITEM_ID --reason R --by NAME                 the item into a case of its own
    merge ITEM_ID OTHER_ITEM_ID --reason R --by NAME   the item into the other item's case
    assign LEDGER_NO [--judge N] [--department D] [--leader L] --reason R --by NAME
    mark-key LEDGER_NO [--unset] --reason R --by NAME  重点 (key: the key tier that day)
    reopen LEDGER_NO --reason R --by NAME              a closed case (已销号) opened again
    close LEDGER_NO --disposition CODE --reason R --by NAME   销号 with a five-batches code

Item decisions (confirm, split, merge) are kept in ``manual_override``. Case actions
(assign, mark-key, reopen, close) are progress rows of the case (``case_progress.origin``
admin or console, dated the day of the action), so the progress application, the
escalation sweep and a rebuild apply them by the progress rows' rule: the latest row by
日期 wins, so a court's row dated after the action may change the field again, one
dated before it cannot undo it (the same day: the row recorded last).
Merge and split into a closed case are allowed: the facts decide, as for intake (an
item received after the 销号 reopens the case, CONTRACT §3).

The ledger is the one of the settings (``AIRFLOW_CONN_XINFANG_LEDGER``, by default the
embedded SQLite file), as for ``python -m xinfang.db``. Exit status: 0 done; 2 a
request that cannot be carried out (an unknown item or 台账编号, a missing reason or
name, an item merged with itself, a closed case to assign, a bad argument), said in one line on stderr; 1 the ledger cannot
be read. Output masks ID and phone numbers as the views do.

A new command is a function ``(engine, args) -> lines to print`` and one
``Command(name, help, arguments, run)`` entry in ``COMMANDS``; it raises
``AdminError`` for what staff got wrong.
"""

from __future__ import annotations

import argparse
import logging
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from xinfang import db, history, ledger, locks, progress
from xinfang.intake.progress import DISPOSITION_ALIASES
from xinfang.masking import mask_text
from xinfang.schema import case_progress, intake_item, ledger_case
from xinfang.timeutil import now_local
from xinfang.vocab import DISPOSITION_NAMES, STATUS_NAMES

PROG = "python -m xinfang.admin"


class AdminError(Exception):
    """A request that cannot be carried out: one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse whose mistakes are one line (no usage block) with exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise AdminError(f"{self.prog}: {message}")


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Engine, argparse.Namespace], list[str]]


# -- shared checks ---------------------------------------------------------------------
def _staff_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reason", required=True, help="why (kept with the decision)")
    p.add_argument("--by", required=True, help="who decides (your name)")


NAME_MAX = 64
"""The widest name the ledger keeps (judge, department, leader, who: 64 characters)."""
_BIGINT_MAX = 2**63 - 1


def _said(value: str | None, option: str, limit: int | None = None) -> str:
    """The value of a person's text option, stripped; AdminError when it is empty, holds a
    NUL (a name: any control character) or is wider than ``limit`` (its column)."""
    text = (value or "").strip()
    if not text:
        raise AdminError(f"{option} must not be empty: every manual change says who and why")
    allowed = "" if limit else "\t\n\r"
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text):
        raise AdminError(f"{option} must not contain control characters")
    if limit and len(text) > limit:
        raise AdminError(f"{option} is {len(text)} characters long: at most {limit}")
    return text


def _item_number(text: str) -> int:
    """An item id as argparse's ``type``: an integer the ledger's ids can hold."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text[:24]!r}") from None
    if abs(value) > _BIGINT_MAX:
        raise argparse.ArgumentTypeError(f"no intake item {text[:24]}")
    return value


def _via(args: argparse.Namespace) -> str:
    """Where the command came from (``run``'s ``source``): admin, or console for the forms."""
    via = getattr(args, "source", "admin")
    if via not in history.PEOPLE:
        raise AdminError(f"unknown source {via!r}: admin or console")
    return via


def _item_case(conn: Connection, item_id: int) -> tuple[int | None, str | None]:
    """(case_id, ledger_no) of an item; AdminError when there is no such item."""
    row = conn.execute(
        sa.select(intake_item.c.case_id, ledger_case.c.ledger_no)
        .select_from(
            intake_item.outerjoin(ledger_case, ledger_case.c.case_id == intake_item.c.case_id)
        )
        .where(intake_item.c.item_id == item_id)
    ).first()
    if row is None:
        raise AdminError(f"no intake item {item_id}")
    return row.case_id, row.ledger_no


def _ledger_no(conn: Connection, case_id: int | None) -> str | None:
    if case_id is None:
        return None
    return conn.execute(
        sa.select(ledger_case.c.ledger_no).where(ledger_case.c.case_id == case_id)
    ).scalar()


def _assigned(conn: Connection, item_id: int) -> tuple[int, str]:
    case_id, no = _item_case(conn, item_id)
    if case_id is None:
        raise AdminError(f"item {item_id} has no case yet: the next intake run assigns it")
    return case_id, no or "?"


# -- commands --------------------------------------------------------------------------
def _merge_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("item_id", type=_item_number, help="the item to move")
    p.add_argument("other_item_id", type=_item_number, help="an item of the case it belongs to")
    _staff_args(p)


def _merge(engine: Engine, args: argparse.Namespace) -> list[str]:
    reason, by = _said(args.reason, "--reason"), _said(args.by, "--by", NAME_MAX)
    if args.item_id == args.other_item_id:
        raise AdminError(f"item {args.item_id} cannot be merged with itself")
    with engine.connect() as conn:
        src, src_no = _item_case(conn, args.item_id)
        _dst, dst_no = _assigned(conn, args.other_item_id)
    dst = ledger.merge(
        engine, args.item_id, args.other_item_id, reason=reason, by=by, via=_via(args)
    )
    with engine.connect() as conn:
        dst_no = _ledger_no(conn, dst) or dst_no
        left = _ledger_no(conn, src) if src is not None else None
    if src == dst:
        return [f"item {args.item_id} is already in case {dst_no}: merge recorded, nothing moved"]
    was = f"from case {src_no}" if src is not None else "(it had no case yet)"
    gone = "" if src is None else (", now empty and removed" if left is None else "")
    return [f"merged item {args.item_id} into case {dst_no} {was}{gone}"]


def _split_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("item_id", type=_item_number, help="the item to take out of its case")
    _staff_args(p)


def _split(engine: Engine, args: argparse.Namespace) -> list[str]:
    reason, by = _said(args.reason, "--reason"), _said(args.by, "--by", NAME_MAX)
    with engine.connect() as conn:
        src, src_no = _assigned(conn, args.item_id)
    new = ledger.split(engine, args.item_id, reason=reason, by=by, via=_via(args))
    if new == src:
        return [
            f"item {args.item_id} is alone in case {src_no}: split recorded, "
            "it stays a case of its own"
        ]
    with engine.connect() as conn:
        new_no = _ledger_no(conn, new)
    return [f"split item {args.item_id} out of case {src_no} into new case {new_no}"]


def _confirm_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "item_id", type=_item_number, help="the item whose latest match decision is right"
    )
    _staff_args(p)


def _confirm(engine: Engine, args: argparse.Namespace) -> list[str]:
    reason, by = _said(args.reason, "--reason"), _said(args.by, "--by", NAME_MAX)
    with engine.connect() as conn:
        _case, case_no = _assigned(conn, args.item_id)
    try:
        got = ledger.confirm(engine, args.item_id, reason=reason, by=by)
    except ValueError as exc:  # alone in its case, no candidate: nothing to confirm
        raise AdminError(str(exc)) from exc
    with engine.connect() as conn:
        other_no = _ledger_no(conn, got["other_case_id"])
    if got["action"] == "apart":
        return [
            f"confirmed item {args.item_id} apart from item {got['other_item_id']} "
            f"(case {other_no}): it stays in case {case_no}"
        ]
    return [
        f"confirmed item {args.item_id} in case {case_no} with item {got['other_item_id']}: "
        "they stay together"
    ]


def _review_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limit", type=int, default=50, help="rows to show (default 50)")


def _review(engine: Engine, args: argparse.Namespace) -> list[str]:
    from xinfang.dashboard import match_review

    if not 1 <= args.limit <= 10_000:
        raise AdminError("--limit must be 1 to 10000")
    with engine.connect() as conn:
        queue = match_review(conn, args.limit)
    rows = queue["rows"]
    if not rows:
        return ["no matches to review (待甄别: 0)"]
    lines = [f"{queue['count']} matches to review (待甄别), {len(rows)} shown, closest call first:"]
    for r in rows:
        kind = "join     " if r["kind"] == "join" else "near miss"
        who = " ".join(
            str(v) for v in (r["petitioner_name"], r["id_number_masked"], r["phone_masked"]) if v
        )
        lines.append(
            f"item {r['item_id']:>8}  {kind}  margin {r['margin']:+.3f}  {r['rule']}  "
            f"case {r['ledger_no']}  candidate {r['candidate_ledger_no']}  {who}  "
            f"received {(r['received_at'] or '')[:16].replace('T', ' ')}  evidence: {r['evidence'] or '-'}"
        )
        lines += [f"    {c['label']}: {c['command']}" for c in r["commands"]]
    return lines


# -- case actions (assign, mark-key, reopen, close) --------------------------------------
_ASSIGNABLE = ("judge", "department", "leader")


def _case_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("ledger_no", help="台账编号 of the case")
    _staff_args(p)


def _case_by_no(conn: Connection, ledger_no: str) -> sa.Row:
    no = ledger_no.strip()
    if len(no) > 32 or "\x00" in no:  # no 台账编号 is (PostgreSQL refuses a NUL)
        raise AdminError(f"no case with 台账编号 {no[:32]!r}")
    row = conn.execute(
        sa.select(
            ledger_case.c.case_id,
            ledger_case.c.ledger_no,
            ledger_case.c.status,
            ledger_case.c.is_key,
            *(ledger_case.c[f] for f in _ASSIGNABLE),
        ).where(ledger_case.c.ledger_no == no)
    ).first()
    if row is None:
        raise AdminError(f"no case with 台账编号 {no!r}")
    return row


def _not_closed(case: sa.Row, what: str) -> None:
    if case.status == "closed":
        raise AdminError(f"case {case.ledger_no} is closed (已销号): reopen it before {what}")


def _act(
    engine: Engine,
    args: argparse.Namespace,
    check: Callable[[sa.Row], dict[str, object]],
) -> list[str]:
    """One case action: the case checked by ``check`` (which returns the progress row's
    values or raises AdminError), the row written, applied, and recorded in
    ``case_history``, all in one transaction. Returns the lines to print."""
    reason, by = _said(args.reason, "--reason"), _said(args.by, "--by", NAME_MAX)
    via = _via(args)
    day, now = history.action_day(), now_local()
    with engine.begin() as conn:
        locks.take(conn, locks.LEDGER)
        case = _case_by_no(conn, args.ledger_no)
        values = check(case)
        history.catch_up(conn, [case.case_id])
        conn.execute(
            case_progress.insert().values(
                case_id=case.case_id,
                progress_date=day,
                note=reason,
                note_masked=mask_text(reason),
                loaded_at=now,
                origin=via,
                entered_by=by,
                **values,
            )
        )
        progress.apply_progress(conn, [case.case_id])
        written = history.record(conn, day, via, by=by, reason=reason, case_ids=[case.case_id])
        rows = history.rows_of(conn, case.case_id)[-written:] if written else []
    changes = [f"{r['field']} {r['old_value'] or '-'} -> {r['new_value'] or '-'}" for r in rows]
    return [f"{args.command} case {case.ledger_no} on {day}: " + ("; ".join(changes) or "recorded")]


def _assign_args(p: argparse.ArgumentParser) -> None:
    _case_args(p)
    p.add_argument("--judge", help="承办法官")
    p.add_argument("--department", help="承办部门")
    p.add_argument("--leader", help="包案领导")


def _assign(engine: Engine, args: argparse.Namespace) -> list[str]:
    given = {f: getattr(args, f) for f in _ASSIGNABLE if getattr(args, f) is not None}
    if not given:
        raise AdminError("nothing to assign: give --judge, --department or --leader")
    values = {f: _said(v, f"--{f}", NAME_MAX) for f, v in given.items()}

    def check(case: sa.Row) -> dict[str, object]:
        _not_closed(case, "assigning it")
        if all(getattr(case, f) == v for f, v in values.items()):
            said = ", ".join(f"{f} {v}" for f, v in values.items())
            raise AdminError(f"case {case.ledger_no} already has {said}: nothing to change")
        return values

    return _act(engine, args, check)


def _mark_key_args(p: argparse.ArgumentParser) -> None:
    _case_args(p)
    p.add_argument("--unset", action="store_true", help="withdraw 重点 instead")


def _mark_key(engine: Engine, args: argparse.Namespace) -> list[str]:
    def check(case: sa.Row) -> dict[str, object]:
        _not_closed(case, "marking it")
        if bool(case.is_key) != args.unset:
            state = "already a key case (重点)" if case.is_key else "not a key case"
            raise AdminError(f"case {case.ledger_no} is {state}: nothing to change")
        return {"is_key": not args.unset}

    return _act(engine, args, check)


def _reopen(engine: Engine, args: argparse.Namespace) -> list[str]:
    def check(case: sa.Row) -> dict[str, object]:
        if case.status != "closed":
            raise AdminError(
                f"case {case.ledger_no} is {case.status} ({STATUS_NAMES.get(case.status)}), "
                "not closed: only a closed case can be reopened"
            )
        return {"status": "open"}

    return _act(engine, args, check)


def _close_args(p: argparse.ArgumentParser) -> None:
    _case_args(p)
    p.add_argument(
        "--disposition",
        required=True,
        help="five-batches code: " + ", ".join(DISPOSITION_NAMES),
    )


def _close(engine: Engine, args: argparse.Namespace) -> list[str]:
    code = DISPOSITION_ALIASES.get((args.disposition or "").strip())
    if code is None:
        raise AdminError(
            f"unknown disposition {args.disposition!r}: one of "
            + ", ".join(f"{c} ({n})" for c, n in DISPOSITION_NAMES.items())
        )

    def check(case: sa.Row) -> dict[str, object]:
        if case.status == "closed":
            raise AdminError(f"case {case.ledger_no} is already closed (已销号)")
        return {"status": "closed", "disposition": code}

    return _act(engine, args, check)


COMMANDS: list[Command] = [
    Command("review", "list the review queue (甄别), closest call first", _review_args, _review),
    Command(
        "confirm",
        "the matcher's latest decision is right (a join stays together, a near miss apart)",
        _confirm_args,
        _confirm,
    ),
    Command("split", "take an item out of its case into a case of its own", _split_args, _split),
    Command("merge", "move an item into the case of another item", _merge_args, _merge),
    Command("assign", "name a case's judge, department or leader", _assign_args, _assign),
    Command("mark-key", "mark a case key (重点), or withdraw it", _mark_key_args, _mark_key),
    Command("reopen", "reopen a closed case", _case_args, _reopen),
    Command("close", "close a case (销号) with a five-batches disposition", _close_args, _close),
]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Staff changes to the ledger's cases; each names who (--by) and why "
        "(--reason) and is kept across reruns.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    for c in COMMANDS:
        p = sub.add_parser(c.name, help=c.help, description=c.help)
        c.arguments(p)
        p.set_defaults(run=c.run)
    return parser


def run(engine: Engine, argv: Sequence[str], source: str = "admin") -> list[str]:
    """Carry out one command given as its words (the console's forms call this too);
    ``source`` is what ``case_history`` records as where the change came from."""
    args = build_parser().parse_args(list(argv))
    args.source = source
    return args.run(engine, args)


def main(argv: Sequence[str] | None = None, engine: Engine | None = None) -> int:
    try:
        lines = run(engine or db.get_engine(), sys.argv[1:] if argv is None else argv)
    except AdminError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except sa.exc.SQLAlchemyError as exc:
        first = mask_text(str(exc).splitlines()[0][:300])
        print(
            "error: the ledger database cannot be read (check AIRFLOW_CONN_XINFANG_LEDGER; "
            f"`python -m xinfang.db upgrade` creates or upgrades it): {type(exc).__name__}: "
            f"{first}",
            file=sys.stderr,
        )
        return 1
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    raise SystemExit(main())
