"""Match quality on both generators and the hand-written corpus: one command.

    python bench/match_quality.py --matters 1500            # both generators + corpus
    python bench/match_quality.py --matters 100000 --only heldout

For each data set: its channel files loaded through the real intake (a temporary
SQLite ledger, or ``--db``), ``assign_cases``, and the ledger's cases scored against
the truth: pairwise and B-cubed precision, recall and F1, the matters split over
several cases, the pairs of matters merged (one person's or several people's), and
the stray items by variation tag. Data sets:

- ``heldout``: ``python -m heldout`` (``heldout/``), written blind to the matcher;
  scored without its ``relative_filer`` items (a relative petitioning in their own
  name is another petitioner: docs/cases.md), with them on the next line;
- ``synth``: the project's own generator (``xinfang_dev.synth``), ~3 items per matter;
- ``corpus``: ``tests/acceptance/matter_corpus.py``, 160 matters written by hand,
  blind to the matcher; acceptance only, never tuned on.

Targets (issue 14): pairwise and B-cubed F1 >= 0.99 with precision >= 0.995 at 1,500
matters, >= 0.985 at 100,000. Prints the figures and the machine.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # heldout/, beside the package
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "acceptance"))
from _machine import machine, peak_rss_mib

from xinfang_dev.evaluate import Scores, evaluate_campaign, evaluate_folder, score_partition


def _line(name: str, s: Scores) -> str:
    return (
        f"{name:<28} items {s.items:>7,}  pairwise P {s.pair_precision:.4f} R {s.pair_recall:.4f} "
        f"F1 {s.pair_f1:.4f}  B-cubed P {s.b3_precision:.4f} R {s.b3_recall:.4f} F1 {s.b3_f1:.4f}"
    )


def _engine(url: str | None):
    if not url:
        return None
    from xinfang import db

    engine = db.make_engine(url)
    db.upgrade(engine)
    return engine


def heldout(matters: int, seed: int, db_url: str | None) -> None:
    from heldout.__main__ import main as generate

    with tempfile.TemporaryDirectory(prefix="xinfang_heldout_") as tmp:
        out = Path(tmp) / "set"
        t0 = time.perf_counter()
        generate(["--matters", str(matters), "--seed", str(seed), "--out", str(out), "--quiet"])
        took = time.perf_counter() - t0
        scores, df, extra = evaluate_folder(out, _engine(db_url))
    kept = ~df["tags"].fillna("").str.contains("relative_filer")
    scored = score_partition(df.loc[kept, "case_id"], df.loc[kept, "truth_case"])
    print(_line(f"heldout {matters:,} (seed {seed})", scored))
    print(_line("  with relative_filer", scores))
    print(
        f"  generated in {took:.1f} s; assign_cases {extra['assign_seconds']} s; matters split "
        f"{extra['matters_split']} of {extra['matters']}; merged pairs: one person's "
        f"{extra['merged_pairs_same_person']}, several people's "
        f"{extra['merged_pairs_other_people']}"
    )
    print(f"  stray by tag: {extra['stray_by_tag']}")


def synth(matters: int, seed: int, db_url: str | None) -> None:
    items = matters * 3
    t0 = time.perf_counter()
    scores, df = evaluate_campaign(items, seed, engine=_engine(db_url))
    print(_line(f"synth {df['truth_case'].nunique():,} (seed {seed})", scores))
    print(f"  {time.perf_counter() - t0:.1f} s in all")


def corpus(db_url: str | None) -> None:
    from matter_corpus import write_landing

    with tempfile.TemporaryDirectory(prefix="xinfang_corpus_") as tmp:
        folder = Path(tmp)
        truth = write_landing(folder / "landing")
        with open(folder / "truth.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(truth[0]))
            writer.writeheader()
            writer.writerows(truth)
        scores, _, extra = evaluate_folder(folder, _engine(db_url))
    print(_line(f"corpus {extra['matters']} (by hand)", scores))
    print(
        f"  matters split {extra['matters_split']}; merged pairs: one person's "
        f"{extra['merged_pairs_same_person']}, several people's "
        f"{extra['merged_pairs_other_people']}"
    )
    print(f"  stray by tag: {extra['stray_by_tag']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--matters", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", choices=["heldout", "synth", "corpus"])
    ap.add_argument("--db", help="ledger URL (default: a temporary SQLite file per set)")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    if args.only in (None, "heldout"):
        heldout(args.matters, args.seed, args.db)
    if args.only in (None, "synth"):
        synth(args.matters, args.seed, args.db)
    if args.only in (None, "corpus"):
        corpus(args.db)
    print(f"peak RSS {peak_rss_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
