"""The developers' tools beside the runtime package ``xinfang``: never installed on a worker.

- ``xinfang_dev.synth``: the campaign generator (people, grievances, channel files, truth);
- ``xinfang_dev.replay``: ``make run``, a month replayed day by day through the real DAGs;
- ``xinfang_dev.evaluate``: deduplication quality against a generated or held-out truth;
- ``xinfang_dev.labelled``: the generated labelled sentences for the threat rule.

``make`` puts ``dev/`` on ``PYTHONPATH`` beside ``include/``.
"""
