"""Print the lock's pins (requirements.txt) of the package's dependencies (pyproject.toml).

The image installs the package with these as constraints: the project's libraries at the
versions `make test` ran, Airflow and its own dependencies as the official image has them.

    python docker/project_pins.py [project folder] > constraints.txt
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def project_pins(project: Path) -> list[str]:
    """One ``name==version`` line per dependency; a dependency the lock misses is an error."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = {
        canonical(re.split(r"[\s<>=!~;\[]", d, maxsplit=1)[0])
        for d in pyproject["project"]["dependencies"]
    }
    pins = {}
    for line in (project / "requirements.txt").read_text(encoding="utf-8").splitlines():
        name, sep, _version = line.partition("==")
        if sep:
            pins[canonical(name.strip())] = line.strip()
    missing = sorted(wanted - pins.keys())
    if missing:
        raise SystemExit(f"not pinned in requirements.txt: {', '.join(missing)}")
    return sorted(pins[name] for name in wanted)


if __name__ == "__main__":
    print("\n".join(project_pins(Path(sys.argv[1] if len(sys.argv) > 1 else "."))))
