"""``python -m xinfang.db upgrade``: create or upgrade the ledger schema by hand."""

from xinfang.db import main

raise SystemExit(main())
