"""Deduplication quality on a synthetic campaign with known truth, loaded by the real loader."""

from __future__ import annotations

import random

import pandas as pd
import pytest
import sqlalchemy as sa

from xinfang import db
from xinfang.intake.sweep import run_sweep
from xinfang.ledger import assign_cases, rebuild
from xinfang.schema import intake_item
from xinfang_dev.evaluate import evaluate_campaign, score_partition


def test_scores_of_known_partitions():
    truth = pd.Series(["a", "a", "b", "b", "c"])
    perfect = score_partition(pd.Series([1, 1, 2, 2, 3]), truth)
    assert perfect.pair_f1 == perfect.b3_f1 == 1.0
    lumped = score_partition(pd.Series([1, 1, 1, 1, 1]), truth)
    assert lumped.pair_recall == 1.0 and lumped.pair_precision == pytest.approx(2 / 10)
    assert lumped.b3_recall == 1.0 and lumped.b3_precision == pytest.approx(
        (2 * 0.4 + 2 * 0.4 + 0.2) / 5
    )
    split = score_partition(pd.Series([1, 2, 3, 4, 5]), truth)
    assert split.pair_precision == 1.0 and split.pair_recall == 0.0
    assert split.b3_precision == 1.0 and split.b3_recall == pytest.approx((0.5 * 4 + 1) / 5)


def test_f1_at_least_098_on_a_synthetic_campaign(tmp_path):
    scores, _df = evaluate_campaign(900, seed=101, workdir=tmp_path)
    assert scores.items >= 890  # every generated row loaded and scored
    assert scores.pair_f1 >= 0.98, scores
    assert scores.b3_f1 >= 0.98, scores
    assert scores.pair_precision >= 0.99


def _partition(engine: sa.Engine) -> set[frozenset[tuple]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                intake_item.c.case_id,
                intake_item.c.channel,
                intake_item.c.source_file,
                intake_item.c.source_row,
            )
        ).all()
    groups: dict[int, set[tuple]] = {}
    for cid, *key in rows:
        groups.setdefault(cid, set()).add(tuple(key))
    return {frozenset(g) for g in groups.values()}


def test_three_daily_batches_equal_one_load_on_a_campaign(tmp_path):
    from xinfang_dev.synth.campaign import generate_campaign
    from xinfang_dev.synth.files import write_campaign_day

    campaign = generate_campaign(202, 700)
    days = campaign.days()
    thirds = [days[:10], days[10:20], days[20:]]

    def engine_at(name: str) -> sa.Engine:
        e = db.make_engine(f"sqlite:///{tmp_path / name}.sqlite")
        db.upgrade(e)
        return e

    once, batched = engine_at("once"), engine_at("batched")
    land_once, land_batched = tmp_path / "once", tmp_path / "batched"
    rng_a, rng_b = random.Random(1), random.Random(1)
    for part in thirds:
        for day in part:
            write_campaign_day(campaign, day, land_once, rng_a)
            write_campaign_day(campaign, day, land_batched, rng_b)
        run_sweep(batched, land_batched)
        assign_cases(batched)
    run_sweep(once, land_once)
    assign_cases(once)
    at_once = _partition(once)
    assert len(at_once) > 150
    assert _partition(batched) == at_once
    # and a rebuild from scratch gives the same partition again
    rebuild(batched)
    assert _partition(batched) == at_once
