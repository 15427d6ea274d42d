"""Deduplication quality against a synthetic campaign with known truth.

``python -m xinfang_dev.evaluate --items 3000 --seed 7`` generates a campaign with
``xinfang_dev.synth`` (channel files in every format and encoding, plus ``truth.csv``),
loads it through the real intake loader (``xinfang.intake.sweep.run_sweep``), runs
``xinfang.ledger.assign_cases`` (at once, or day by day with ``--daily``) and prints
pairwise and B-cubed precision, recall and F1 of the ledger's cases against the
truth, with the wrongly split and wrongly merged truth cases by scenario.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

__all__ = [
    "Scores",
    "error_classes",
    "evaluate_campaign",
    "evaluate_folder",
    "main",
    "score_partition",
]


@dataclass(frozen=True)
class Scores:
    items: int
    pred_cases: int
    truth_cases: int
    pair_precision: float
    pair_recall: float
    pair_f1: float
    b3_precision: float
    b3_recall: float
    b3_f1: float

    def lines(self) -> list[str]:
        return [
            f"items {self.items:,}; ledger cases {self.pred_cases:,}; truth cases {self.truth_cases:,}",
            f"pairwise  precision {self.pair_precision:.4f}  recall {self.pair_recall:.4f}  "
            f"F1 {self.pair_f1:.4f}",
            f"B-cubed   precision {self.b3_precision:.4f}  recall {self.b3_recall:.4f}  "
            f"F1 {self.b3_f1:.4f}",
        ]


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def score_partition(pred: pd.Series, truth: pd.Series) -> Scores:
    """Pairwise and B-cubed scores of predicted cluster labels against truth labels."""
    df = pd.DataFrame({"p": pred.to_numpy(), "t": truth.to_numpy()})
    n = len(df)
    cell = df.groupby(["p", "t"]).size()
    ps = df.groupby("p").size()
    ts = df.groupby("t").size()

    def pairs(s: pd.Series) -> float:
        return float((s * (s - 1) / 2).sum())

    tp, pp, tt = pairs(cell), pairs(ps), pairs(ts)
    pair_p = tp / pp if pp else 1.0
    pair_r = tp / tt if tt else 1.0
    # B-cubed: each item's share of its cluster that is right, averaged over items
    c = cell.rename("c").reset_index()
    c["ps"] = c["p"].map(ps)
    c["ts"] = c["t"].map(ts)
    b3_p = float((c["c"] * c["c"] / c["ps"]).sum() / n) if n else 1.0
    b3_r = float((c["c"] * c["c"] / c["ts"]).sum() / n) if n else 1.0
    return Scores(
        items=n,
        pred_cases=len(ps),
        truth_cases=len(ts),
        pair_precision=pair_p,
        pair_recall=pair_r,
        pair_f1=_f1(pair_p, pair_r),
        b3_precision=b3_p,
        b3_recall=b3_r,
        b3_f1=_f1(b3_p, b3_r),
    )


def _errors(df: pd.DataFrame, scenario: dict[str, str]) -> tuple[Counter, Counter]:
    """Truth cases split over several ledger cases, and ledger cases mixing truth cases."""
    split = df.groupby("truth_case")["case_id"].nunique()
    split_sc = Counter(scenario.get(t, "?") for t in split[split > 1].index)
    mixed = df.groupby("case_id")["truth_case"].nunique()
    merged_sc: Counter = Counter()
    for cid in mixed[mixed > 1].index:
        ts = sorted(set(df.loc[df["case_id"] == cid, "truth_case"]))
        merged_sc["+".join(sorted({scenario.get(t, "?") for t in ts}))] += 1
    return split_sc, merged_sc


_ROW = ["channel", "source_file", "source_row"]
"""What ties a ledger item to its truth row: the file row it was loaded from."""


def _assigned_items(engine: sa.Engine) -> pd.DataFrame:
    """Every loaded item with the case deduplication put it in."""
    from xinfang.schema import intake_item

    cols = ["item_id", *_ROW, "case_id"]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*(intake_item.c[c] for c in cols))).all()
    return pd.DataFrame(rows, columns=cols)


def _with_truth(items: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """The items joined to their truth rows (rows not loaded drop out)."""
    items = items.assign(source_row=items["source_row"].astype(int))
    truth = truth.assign(source_row=truth["source_row"].astype(int))
    return items.merge(truth, on=_ROW, how="inner")


def _ledger(url: str | None) -> sa.Engine | None:
    """The ledger of ``--db``, upgraded; None for a temporary SQLite file per run."""
    if not url:
        return None
    from xinfang import db

    engine = db.make_engine(url)
    db.upgrade(engine)
    return engine


def evaluate_campaign(
    items: int,
    seed: int,
    engine: sa.Engine | None = None,
    workdir: Path | None = None,
    daily: bool = False,
    verbose: bool = False,
) -> tuple[Scores, pd.DataFrame]:
    """Generate, load, deduplicate and score one campaign; returns scores and item frame."""
    from xinfang import db
    from xinfang.intake.sweep import run_sweep
    from xinfang.ledger import assign_cases
    from xinfang_dev.synth.campaign import generate_campaign
    from xinfang_dev.synth.files import write_campaign_day, write_truth, write_truth_cases

    tmp = None
    if workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="xinfang_eval_")
        workdir = Path(tmp.name)
    landing = workdir / "landing"
    landing.mkdir(parents=True, exist_ok=True)
    if engine is None:
        engine = db.make_engine(f"sqlite:///{workdir / 'ledger.sqlite'}")
        db.upgrade(engine)
    t0 = time.perf_counter()
    campaign = generate_campaign(seed, items)
    rng = random.Random(f"files:{campaign.seed}")
    truth_rows = []
    t_assign = 0.0
    for day in campaign.days():
        truth_rows += write_campaign_day(campaign, day, landing, rng)
        if daily:
            run_sweep(engine, landing)
            t1 = time.perf_counter()
            assign_cases(engine)
            t_assign += time.perf_counter() - t1
    write_truth(truth_rows, workdir / "truth.csv")
    write_truth_cases(campaign, workdir / "truth_cases.csv")
    if not daily:
        run_sweep(engine, landing)
        t1 = time.perf_counter()
        assign_cases(engine)
        t_assign = time.perf_counter() - t1
    truth = pd.DataFrame(
        [(r.channel, r.source_file, r.source_row, r.truth_case) for r in truth_rows],
        columns=["channel", "source_file", "source_row", "truth_case"],
    )
    df = _with_truth(_assigned_items(engine), truth)
    scores = score_partition(df["case_id"], df["truth_case"])
    if verbose:
        scenario = {c.key: c.scenario for c in campaign.cases.values()}
        split_sc, merged_sc = _errors(df, scenario)
        print(
            f"generated and loaded in {time.perf_counter() - t0 - t_assign:.1f} s; "
            f"assign_cases {t_assign:.1f} s; {len(truth) - len(df)} truth rows not loaded"
        )
        print("truth cases split:", dict(split_sc.most_common()))
        print("ledger cases mixing truth cases:", dict(merged_sc.most_common()))
    if tmp is not None:
        engine.dispose()
        tmp.cleanup()
    return scores, df


def error_classes(df: pd.DataFrame) -> dict[str, object]:
    """Where the errors are, by kind of item: stray items (not in their matter's main
    case) per tag, and ledger cases that mix matters (of one person or of several).

    ``df`` columns: case_id, truth_case, and optionally person and tags (';'-joined).
    """
    main = df.groupby(["truth_case", "case_id"]).size().rename("n").reset_index()
    main = main.sort_values(["truth_case", "n", "case_id"], ascending=[True, False, True])
    main_case = main.drop_duplicates("truth_case").set_index("truth_case")["case_id"]
    stray = df["case_id"].to_numpy() != df["truth_case"].map(main_case).to_numpy()
    split_matters = int(df.loc[stray, "truth_case"].nunique())
    tags_total: Counter = Counter()
    tags_stray: Counter = Counter()
    if "tags" in df:
        for tags, is_stray in zip(df["tags"].fillna("").tolist(), stray.tolist(), strict=True):
            for tag in filter(None, re.split(r"[;,]", str(tags))):
                tags_total[tag] += 1
                tags_stray[tag] += int(is_stray)
    mixed = df.groupby("case_id")["truth_case"].nunique()
    mixing = df[df["case_id"].isin(mixed[mixed > 1].index)]
    same_person = other_person = 0
    if not mixing.empty:
        for _, grp in mixing.groupby("case_id"):
            matters = grp.drop_duplicates("truth_case")
            pairs = len(matters) * (len(matters) - 1) // 2
            if "person" in grp and matters["person"].nunique() == 1:
                same_person += pairs
            else:
                other_person += pairs
    return {
        "stray_items": int(stray.sum()),
        "matters_split": split_matters,
        "matters": int(df["truth_case"].nunique()),
        "merged_pairs_same_person": same_person,
        "merged_pairs_other_people": other_person,
        "stray_by_tag": {t: f"{tags_stray[t]} of {n}" for t, n in tags_total.most_common()},
    }


def evaluate_folder(
    folder: Path, engine: sa.Engine | None = None
) -> tuple[Scores, pd.DataFrame, dict[str, object]]:
    """Load ``folder/landing`` (any generator's channel files), deduplicate, and score
    the ledger against ``folder/truth.csv`` (channel, source_file, source_row and a
    matter column: ``matter_id``/``matter``/``truth_case``; optionally a person column
    and tags: ``variations``/``trap``). The folder's files are copied, not moved."""
    import shutil

    from xinfang import db
    from xinfang.intake.sweep import run_sweep
    from xinfang.ledger import assign_cases

    truth = pd.read_csv(folder / "truth.csv", dtype=str, keep_default_na=False)
    rename = {"matter_id": "truth_case", "matter": "truth_case", "person_id": "person"}
    rename |= {"variations": "tags", "trap": "tags"}
    truth = truth.rename(columns={k: v for k, v in rename.items() if k in truth})
    with tempfile.TemporaryDirectory(prefix="xinfang_eval_") as tmp:
        landing = Path(tmp) / "landing"
        shutil.copytree(folder / "landing", landing)
        own_engine = engine is None
        if engine is None:
            engine = db.make_engine(f"sqlite:///{Path(tmp) / 'ledger.sqlite'}")
            db.upgrade(engine)
        run_sweep(engine, landing)
        t0 = time.perf_counter()
        assign_cases(engine)
        took = time.perf_counter() - t0
        got = _assigned_items(engine)
        if own_engine:
            engine.dispose()
    df = _with_truth(got, truth)
    extra = error_classes(df)
    extra["truth_rows_not_loaded"] = len(truth) - len(df)
    extra["assign_seconds"] = round(took, 1)
    return score_partition(df["case_id"], df["truth_case"]), df, extra


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m xinfang_dev.evaluate", description=__doc__)
    ap.add_argument("--items", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--daily", action="store_true", help="load and assign day by day")
    ap.add_argument("--db", help="ledger URL (default: a temporary SQLite file)")
    ap.add_argument("--out", type=Path, help="keep the files, truth and ledger here")
    ap.add_argument(
        "--folder",
        type=Path,
        help="score another generator's output instead: a folder with landing/ and truth.csv",
    )
    args = ap.parse_args(argv)
    if args.folder:
        return _main_folder(args)
    engine = _ledger(args.db)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    print(
        f"deduplication evaluation: {args.items:,} items, seed {args.seed}, "
        f"{'daily batches' if args.daily else 'one batch'} ({dt.date.today()})"
    )
    scores, _ = evaluate_campaign(
        args.items, args.seed, engine=engine, workdir=args.out, daily=args.daily, verbose=True
    )
    for line in scores.lines():
        print(line)
    ok = scores.pair_f1 >= 0.98 and scores.b3_f1 >= 0.98
    return 0 if ok else 1


def _main_folder(args: argparse.Namespace) -> int:
    engine = _ledger(args.db)
    print(f"deduplication evaluation of {args.folder} ({dt.date.today()})")
    scores, _, extra = evaluate_folder(args.folder, engine)
    for line in scores.lines():
        print(line)
    for key, value in extra.items():
        print(f"{key}: {value}")
    return 0 if scores.pair_f1 >= 0.98 and scores.b3_f1 >= 0.98 else 1


if __name__ == "__main__":
    sys.exit(main())
