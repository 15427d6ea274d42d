"""Synthetic petition data with known truth: persons, campaigns, channel files.

Used for intake fixtures, the deduplication evaluation set, the ``make run`` sample
campaign and the benchmarks. Deterministic given a seed (``random.Random`` instances
only, never the global random state).

- ``synth.people``: ``Person``, ``IdentityFactory`` (IDs and phones unique by keyed
  bijections), ``make_persons``, GB 11643 check characters, homophone typos.
- ``synth.campaign``: ``generate_campaign(seed, n_items, start, end) -> Campaign`` with
  ``persons``, ``cases`` (``TruthCase``: person, canonical 案号 or None, court, grievance,
  related cases), ``items`` (one dict per intake item: ``item_key``, ``channel``,
  ``received_at``, the contract's columns as typed, ``truth_case``, ``truth_person``,
  ``tags`` naming each spelling variant / hard case, ``cell_dates``) and ``plans`` (the
  courts' progress); ``Campaign.truth()``, ``Campaign.related_pairs()``;
  ``progress_rows(campaign, ledger_no_of, as_of, rng, since=None)``;
  ``iter_items(seed, n)`` / ``iter_campaigns`` stream millions of items shard by shard.
- ``synth.files``: ``write_channel_file`` (CSV in five encodings, XLSX, JSON Lines),
  ``write_campaign_day``, ``write_progress_file``, ``write_campaign``, ``write_truth``
  (``truth.csv``: channel, source_file, source_row, truth_case), ``write_bad_files``.
- ``python -m xinfang_dev.synth --items 3000 --seed 7 --out DIR``: a landing tree plus truth.
"""
