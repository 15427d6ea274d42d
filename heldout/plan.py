"""The plan: who petitions, about how many matters, of what kind, when.

Planning is light (a few numbers per matter) so it scales to 10^5 matters; the
text is written later, one matter at a time, from a per-matter random stream.
Persons are regenerated from their own seed when needed rather than kept.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from heldout import places
from heldout.grievances import KIND_BY_CODE, KINDS, Kind
from heldout.people import Person, make_person

FIRST_DAY = date(2023, 1, 1)
LAST_DAY = date(2026, 11, 30)
COMMON_NAME_RATE = 0.04
# Matters per petitioner: most have one; some come back with a second or third grievance.
MATTERS_PER_PERSON = ((1, 0.89), (2, 0.085), (3, 0.025))
# Items per matter (the long tail: persistent petitioners).
ITEMS_PER_MATTER = (
    (1, 0.27),
    (2, 0.26),
    (3, 0.19),
    (4, 0.12),
    (5, 0.07),
    (6, 0.04),
    (7, 0.025),
    (8, 0.015),
    (10, 0.01),
)
OPPONENT_RATE = 0.05  # matters whose other party (a person) petitions too, about the same 案号
OUTSIDE_COURT_RATE = 0.02
SEQ_RANGE = {
    "民初": 9000,
    "民终": 5000,
    "民申": 900,
    "执": 6000,
    "执恢": 900,
    "执异": 400,
    "执复": 150,
    "行初": 300,
    "行终": 400,
    "刑初": 600,
    "刑终": 400,
    "刑申": 60,
}


@dataclass(frozen=True, slots=True)
class CaseNo:
    """A court case number (案号)."""

    year: int
    court: str
    ctype: str
    seq: int

    def canonical(self) -> str:
        """(2023)冀1003民初1234号."""
        return f"({self.year}){self.court}{self.ctype}{self.seq}号"

    def render(self, rng: random.Random) -> tuple[str, str | None]:
        """(the 案号 as typed, a variation tag or None)."""
        y, body, n = self.year, f"{self.court}{self.ctype}", self.seq
        r = rng.random()
        if r < 0.48:
            return f"({y}){body}{n}号", None
        if r < 0.72:
            return f"（{y}）{body}{n}号", "case_fullwidth"
        if r < 0.8:
            return f"〔{y}〕{body}{n}号", "case_brackets"
        if r < 0.83:
            return f"[{y}]{body}{n}号", "case_brackets"
        if r < 0.86:
            return f"{y}{body}{n}号", "case_no_brackets"
        if r < 0.92:
            lb, rb = rng.choice((("(", ")"), ("（", "）"), ("〔", "〕")))
            return f"{lb}{y}{rb}{body}{n}", "case_no_hao"
        lb, rb = rng.choice((("(", ")"), ("（", "）")))
        return rng.choice(
            (
                f"{lb}{y}{rb} {body}{n}号",
                f"{lb}{y}{rb}{self.court} {self.ctype} {n} 号",
                f"{lb} {y} {rb}{body}{n}号",
                f" {lb}{y}{rb}{body}{n}号 ",
                f"{lb}{y}{rb}{self.court}{self.ctype}第{n}号",
            )
        ), "case_spaced"


@dataclass(slots=True)
class MatterSpec:
    """One planned matter."""

    index: int
    mid: str
    person_no: int
    kind: str
    court: str  # the court code the matter belongs to
    case: CaseNo | None
    start: date
    n_items: int
    group_size: int
    opponent_of: int | None = None  # the matter whose other party this petitioner is
    opponent: int | None = None  # the matter of this matter's other party
    other_matters: int = 0
    outside_court: bool = False


@dataclass(slots=True)
class Plan:
    """Matters and enough about persons to regenerate them."""

    seed: int
    matters: list[MatterSpec]
    n_persons: int
    name_counts: Counter[str]
    person_names: list[str]

    def person(self, no: int) -> Person:
        """The petitioner, regenerated from their own stream."""
        return person_from_seed(self.seed, no)


def pid_of(no: int) -> str:
    """Person id as written to the truth table."""
    return f"P{no:07d}"


def person_from_seed(seed: int, no: int) -> Person:
    """A petitioner from a stream of their own, the same on every call."""
    return make_person(pid_of(no), random.Random(f"heldout-person:{seed}:{no}"), COMMON_NAME_RATE)


def _weighted(rng: random.Random, table: tuple[tuple[int, float], ...]) -> int:
    return rng.choices([v for v, _ in table], [w for _, w in table])[0]


def _start_day(rng: random.Random) -> date:
    """Uniform over the period, with the July 2023 campaign month three times as busy."""
    span = (LAST_DAY - FIRST_DAY).days
    while True:
        d = FIRST_DAY + timedelta(days=rng.randint(0, span))
        if (d.year == 2023 and d.month == 7) or rng.random() < 0.34:
            return d


def _court_for(
    rng: random.Random, person: Person, kind: Kind, ctype: str | None, at_intermediate: bool
) -> places.Court:
    if at_intermediate:
        return places.INTERMEDIATE
    home = places.COURT_BY_DISTRICT.get(person.district)
    if home and rng.random() < 0.72:
        return home
    if rng.random() < 0.08:
        return places.INTERMEDIATE
    return rng.choices(places.BASIC_COURTS, places.DISTRICT_WEIGHTS)[0]


def _case_no(
    rng: random.Random, court: str, ctype: str, start: date, used: set[tuple[int, str, str, int]]
) -> CaseNo:
    for attempt in range(400):
        lag = rng.choice((0, 0, 1, 1, 1, 2, 2, 3, 4))
        year = max(2016, start.year - lag)
        # a big set outgrows a small court's yearly numbers: let them run higher
        seq = rng.randint(1, SEQ_RANGE.get(ctype, 999) * (1 + attempt // 20))
        key = (year, court, ctype, seq)
        if key not in used:
            used.add(key)
            return CaseNo(year, court, ctype, seq)
    raise RuntimeError("case number space exhausted")


def _pick_kind(rng: random.Random, avoid: str | None = None) -> Kind:
    kinds = [k for k in KINDS if k.code != avoid and k.code != "over_enforcement"]
    return rng.choices(kinds, [k.weight for k in kinds])[0]


def build_plan(n_matters: int, seed: int) -> Plan:
    """Plan ``n_matters`` matters deterministically for ``seed``."""
    rng = random.Random(f"heldout-plan:{seed}")
    matters: list[MatterSpec] = []
    used: set[tuple[int, str, str, int]] = set()
    names: list[str] = []
    n_persons = 0

    def new_person() -> tuple[int, Person]:
        nonlocal n_persons
        no = n_persons
        n_persons += 1
        p = person_from_seed(seed, no)
        names.append(p.name)
        return no, p

    def add(
        person_no: int,
        person: Person,
        kind: Kind,
        start: date,
        *,
        case_override: CaseNo | None = None,
        court_override: str | None = None,
    ) -> MatterSpec:
        ctype, at_int = rng.choice(kind.case_types) if kind.case_types else (None, False)
        court = _court_for(rng, person, kind, ctype, at_int)
        court_code = court_override or court.code
        case = case_override
        outside = False
        if case is None and ctype and rng.random() >= kind.no_case_rate:
            if rng.random() < OUTSIDE_COURT_RATE and ctype in ("民申", "民终", "行终", "刑申"):
                case = _case_no(rng, rng.choice(places.OUTSIDE_COURT_CODES), ctype, start, used)
                outside = True
            else:
                case = _case_no(rng, court_code, ctype, start, used)
        group = 1
        if kind.group_rate and rng.random() < kind.group_rate:
            group = min(int(rng.paretovariate(1.3)) + 2, 60)
        spec = MatterSpec(
            index=len(matters),
            mid=f"M{len(matters) + 1:07d}",
            person_no=person_no,
            kind=kind.code,
            court=court_code,
            case=case,
            start=start,
            n_items=_weighted(rng, ITEMS_PER_MATTER),
            group_size=group,
            outside_court=outside,
        )
        matters.append(spec)
        return spec

    while len(matters) < n_matters:
        no, person = new_person()
        k = min(_weighted(rng, MATTERS_PER_PERSON), n_matters - len(matters))
        first: MatterSpec | None = None
        for j in range(k):
            if first is None:
                kind, start = _pick_kind(rng), _start_day(rng)
            else:
                same = rng.random() < 0.35 and first.kind not in (
                    "filing_refused",
                    "criminal_appeal",
                )
                kind = KIND_BY_CODE[first.kind] if same else _pick_kind(rng, avoid=first.kind)
                if rng.random() < 0.5:  # overlapping in time: the hard case
                    start = min(
                        max(first.start + timedelta(days=rng.randint(-90, 90)), FIRST_DAY), LAST_DAY
                    )
                else:
                    start = _start_day(rng)
            spec = add(no, person, kind, start)
            spec.other_matters = k - 1
            if j == 0:
                first = spec
            if (
                spec.case is not None
                and not spec.outside_court
                and KIND_BY_CODE[spec.kind].person_counterparty
                and rng.random() < OPPONENT_RATE
                and len(matters) < n_matters
            ):
                o_no, o_person = new_person()
                o_kind = KIND_BY_CODE[
                    "over_enforcement" if spec.case.ctype.startswith("执") else "retrial_request"
                ]
                o_start = min(
                    max(spec.start + timedelta(days=rng.randint(-45, 60)), FIRST_DAY), LAST_DAY
                )
                o_spec = add(
                    o_no,
                    o_person,
                    o_kind,
                    o_start,
                    case_override=spec.case,
                    court_override=spec.court,
                )
                o_spec.opponent_of = spec.index
                spec.opponent = o_spec.index
    return Plan(
        seed=seed,
        matters=matters,
        n_persons=n_persons,
        name_counts=Counter(names),
        person_names=names,
    )
