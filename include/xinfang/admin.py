"""Staff commands on the ledger: ``python -m xinfang.admin <command>`` (docs/progress.md).

People change cases through this command, never by editing tables. Each change names
who made it (``--by``) and why (``--reason``), is kept in ``manual_override`` and is
honoured by every later intake run and by ``ledger.rebuild``::

    review [--limit N]                                 the review queue (甄别), closest call first
    confirm ITEM_ID --reason R --by NAME               the matcher was right: a join stays
                                                       together, a near miss stays apart
    split ITEM_ID --reason R --by NAME                 the item into a case of its own
    merge ITEM_ID OTHER_ITEM_ID --reason R --by NAME   the item into the other item's case

The ledger is the one of the settings (``AIRFLOW_CONN_XINFANG_LEDGER``, by default the
embedded SQLite file), as for ``python -m xinfang.db``. Exit status: 0 done; 2 a
request that cannot be carried out (an unknown item, a missing reason or name, an item
merged with itself, a bad argument), said in one line on stderr; 1 the ledger cannot
be read. Output masks ID and phone numbers as the views do.

A new command is a function ``(engine, args) -> lines to print`` and one
``Command(name, help, arguments, run)`` entry in ``COMMANDS``; it raises
``AdminError`` for what staff got wrong.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from xinfang import db, ledger
from xinfang.masking import mask_text
from xinfang.schema import intake_item, ledger_case

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


def _said(value: str | None, option: str) -> str:
    text = (value or "").strip()
    if not text:
        raise AdminError(f"{option} must not be empty: every manual change says who and why")
    return text


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
    p.add_argument("item_id", type=int, help="the item to move")
    p.add_argument("other_item_id", type=int, help="an item of the case it belongs to")
    _staff_args(p)


def _merge(engine: Engine, args: argparse.Namespace) -> list[str]:
    reason, by = _said(args.reason, "--reason"), _said(args.by, "--by")
    if args.item_id == args.other_item_id:
        raise AdminError(f"item {args.item_id} cannot be merged with itself")
    with engine.connect() as conn:
        src, src_no = _item_case(conn, args.item_id)
        _dst, dst_no = _assigned(conn, args.other_item_id)
    dst = ledger.merge(engine, args.item_id, args.other_item_id, reason=reason, by=by)
    with engine.connect() as conn:
        dst_no = _ledger_no(conn, dst) or dst_no
        left = _ledger_no(conn, src) if src is not None else None
    if src == dst:
        return [f"item {args.item_id} is already in case {dst_no}: merge recorded, nothing moved"]
    was = f"from case {src_no}" if src is not None else "(it had no case yet)"
    gone = "" if src is None else (", now empty and removed" if left is None else "")
    return [f"merged item {args.item_id} into case {dst_no} {was}{gone}"]


def _split_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("item_id", type=int, help="the item to take out of its case")
    _staff_args(p)


def _split(engine: Engine, args: argparse.Namespace) -> list[str]:
    reason, by = _said(args.reason, "--reason"), _said(args.by, "--by")
    with engine.connect() as conn:
        src, src_no = _assigned(conn, args.item_id)
    new = ledger.split(engine, args.item_id, reason=reason, by=by)
    if new == src:
        return [
            f"item {args.item_id} is alone in case {src_no}: split recorded, "
            "it stays a case of its own"
        ]
    with engine.connect() as conn:
        new_no = _ledger_no(conn, new)
    return [f"split item {args.item_id} out of case {src_no} into new case {new_no}"]


def _confirm_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("item_id", type=int, help="the item whose latest match decision is right")
    _staff_args(p)


def _confirm(engine: Engine, args: argparse.Namespace) -> list[str]:
    reason, by = _said(args.reason, "--reason"), _said(args.by, "--by")
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

    if args.limit < 1:
        raise AdminError("--limit must be at least 1")
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
