"""Match quality on data the matcher was not written against (regression floors).

Two sets written blind to the matcher: the independent generator (``heldout/``, a
seed not used in tuning) and the hand-written corpus (``tests/acceptance``, never
tuned on). Each is loaded through the real intake and deduplicated; the floors sit a
little under the figures of bench/README.md ("Issue 14 round"), so a change that
loses what issue 14 gained fails here. The figures themselves: bench/match_quality.py.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pandas as pd

from heldout.generate import generate
from xinfang_dev.evaluate import error_classes, evaluate_folder, score_partition

sys.path.insert(0, str(Path(__file__).parent / "acceptance"))
from matter_corpus import write_landing


def test_heldout_generator(tmp_path):
    generate(n_matters=400, seed=4, out=tmp_path / "set")
    _, df, extra = evaluate_folder(tmp_path / "set")
    assert extra["truth_rows_not_loaded"] == 0
    # a relative petitioning in their own name is another petitioner (docs/cases.md)
    kept = ~df["tags"].fillna("").str.contains("relative_filer")
    scores = score_partition(df.loc[kept, "case_id"], df.loc[kept, "truth_case"])
    assert scores.b3_f1 >= 0.96, scores.lines()
    assert scores.pair_f1 >= 0.95, scores.lines()
    assert scores.b3_precision >= 0.98, scores.lines()


def test_hand_written_corpus(tmp_path):
    truth = write_landing(tmp_path / "landing")
    with open(tmp_path / "truth.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(truth[0]))
        writer.writeheader()
        writer.writerows(truth)
    scores, _, extra = evaluate_folder(tmp_path)
    assert extra["truth_rows_not_loaded"] == 0
    assert scores.b3_f1 >= 0.93, scores.lines()
    assert scores.pair_f1 >= 0.87, scores.lines()
    assert extra["merged_pairs_other_people"] == 0


def test_error_classes_count_strays_and_merges():
    df = pd.DataFrame(
        {
            "case_id": [1, 1, 2, 3, 3],
            "truth_case": ["a", "a", "a", "b", "c"],
            "person": ["p", "p", "p", "q", "q"],
            "tags": ["x", "x;y", "y", "", "z"],
        }
    )
    got = error_classes(df)
    assert got["stray_items"] == 1 and got["matters_split"] == 1
    assert got["stray_by_tag"] == {"x": "0 of 2", "y": "1 of 2", "z": "0 of 1"}
    assert got["merged_pairs_same_person"] == 1 and got["merged_pairs_other_people"] == 0
