"""The threat rule (隐患: self-harm, violence, escalation to Beijing/the province, collective action).

A pure function over normalized text (``intake_item.content_normalized``: simplified,
NFKC-folded, pinyin removed). It works sentence by sentence: a term of the lexicon
counts unless, in its clause, a negation cue stands in the window before it (不会去北京上访),
a negation follows it (跳楼这种事我是不会干的), it is hearsay (听说有人跳楼), or it tells a
past event (父亲喝药身亡). Everyday phrases that contain a term (跳楼价, 极端天气) are
masked first. Every list is a regular expression from the ``risk:`` config, so a court
can tune the rule without a release.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SENTENCE_END = re.compile(r"[。！？!?；;\n…]+")
CLAUSE_SEP = re.compile(r"[，,：:、\s]")
MASK = "□"


@dataclass(frozen=True)
class ThreatHit:
    """Why an item was flagged: the matched words, their sentence and the category."""

    term: str
    category: str
    sentence: str
    why: str

    def evidence(self) -> str:
        """What ``risk_flag.evidence`` holds: the category (name and code), the words, the
        sentence they stand in."""
        return f"{self.why}（{self.category}）：「{self.term}」于「{self.sentence}」"


@dataclass(frozen=True)
class Lexicon:
    """The compiled ``risk:`` rule set."""

    terms: tuple[tuple[str, re.Pattern[str]], ...]
    """(category, pattern) per lexicon entry, in config order."""
    any_term: re.Pattern[str]
    triggers: re.Pattern[str]
    """One character class: every term match contains one of these characters."""
    by_char: Mapping[str, tuple[int, ...]]
    """Trigger character -> indexes into ``terms`` of the entries it can start a look at."""
    always: tuple[int, ...]
    """Entries without a required character (looked at in every text)."""
    neutral: re.Pattern[str] | None
    event_after: re.Pattern[str]
    negation: re.Pattern[str]
    negation_cancel: re.Pattern[str]
    breakers: re.Pattern[str]
    reported: re.Pattern[str]
    negation_after: re.Pattern[str]
    window: int
    other_actor: re.Pattern[str] | None = None
    """Another party as the actor (被执行人, 法官, 法院…): their act is no threat of ours."""
    own_actor: re.Pattern[str] | None = None
    """The petitioner or writer as the actor (我, 来电人, 信访人…)."""
    object_before: re.Pattern[str] | None = None
    """A preposition ending the text before an actor: then it is an object (和被执行人…)."""
    past: re.Pattern[str] | None = None
    intent: re.Pattern[str] | None = None
    retracted: re.Pattern[str] | None = None
    """A sentence that takes its threat back (收回这句话, 只是气话)."""


CATEGORY_NAMES = {
    "self_harm": "自伤自杀倾向",
    "violence": "暴力极端倾向",
    "escalation": "越级进京赴省",
    "collective": "聚集滋事倾向",
}


def compile_lexicon(risk: Mapping[str, Any]) -> Lexicon:
    """Compile the ``risk:`` section of the config (raises re.error on a bad pattern)."""
    from re import _parser

    lex = risk["threat_lexicon"]
    entries = [(category, p) for category, patterns in lex.items() for p in patterns or ()]
    by_char: dict[str, list[int]] = {}
    always: list[int] = []
    for n, (_, p) in enumerate(entries):
        chars = _required(_parser.parse(p))
        if not chars:
            always.append(n)
        for c in chars or ():
            by_char.setdefault(c, []).append(n)
    neutral = risk.get("threat_neutral") or []
    return Lexicon(
        terms=tuple((category, re.compile(p)) for category, p in entries),
        any_term=re.compile("|".join(f"(?:{p})" for _, p in entries)),
        triggers=re.compile("[" + "".join(re.escape(c) for c in sorted(by_char)) + "]"),
        by_char={c: tuple(v) for c, v in by_char.items()},
        always=tuple(always),
        neutral=re.compile("|".join(f"(?:{p})" for p in neutral)) if neutral else None,
        event_after=re.compile(risk["threat_event_after"]),
        negation=re.compile(risk["threat_negation"]),
        negation_cancel=re.compile(risk["threat_negation_cancel"]),
        breakers=re.compile(risk["threat_negation_breakers"]),
        reported=re.compile(risk["threat_reported"]),
        negation_after=re.compile(risk["threat_negation_after"]),
        window=int(risk.get("threat_window", 10)),
        other_actor=_optional(risk, "threat_other_actor"),
        own_actor=_optional(risk, "threat_own_actor"),
        object_before=_optional(risk, "threat_object_before"),
        past=_optional(risk, "threat_past"),
        intent=_optional(risk, "threat_intent"),
        retracted=_optional(risk, "threat_retracted"),
    )


def _optional(risk: Mapping[str, Any], key: str) -> re.Pattern[str] | None:
    pattern = risk.get(key)
    return re.compile(pattern) if pattern else None


def _last_own(text: str, lex: Lexicon) -> int:
    """Where the petitioner last appears as an actor in ``text`` (0 when nowhere): hearsay
    cues count from there (有的人拉横幅、堵门，我不干 — but 听说法院…，我就去北京)."""
    own = [a for a in _actors(text, lex) if not a[2] and not _SAID_ABOUT.search(text[: a[0]])]
    return own[-1][0] if own else 0


def _actors(text: str, lex: Lexicon, first_person: bool = False) -> list[tuple[int, str, bool]]:
    """(position, words, is another party) of the actors in ``text`` in subject place:
    not after a preposition (和被执行人 is an object), not a place or an owner (法院门口,
    我的案子)."""
    found: list[tuple[int, str, bool]] = []
    patterns = [(lex.own_actor, False), (lex.other_actor, True)]
    # 他/她: somebody else in the petitioner's own words, the petitioner in a clerk's
    patterns.append((_THIRD_PERSON, first_person))
    for pattern, other in patterns:
        if pattern is None:
            continue
        for m in pattern.finditer(text):
            if lex.object_before is not None and lex.object_before.search(text[: m.start()]):
                continue
            if _MODIFIED_OBJECT.search(text[: m.start()]):
                continue  # 向北京的亲戚打听: an object with its modifier
            if _PLACE_AFTER.match(text, m.end()):
                continue
            if other and "某" in m.group() and _OWN_ROLE_BEFORE.search(text[: m.start()]):
                continue  # 信访人张某某: the petitioner's own (masked) name
            found.append((m.start(), m.group(), other))
    return sorted(found)


def _actor_is_another(before: str, lex: Lexicon, first_person: bool = False) -> str | None:
    """The other party whose act or words the term is, if any (被执行人曾试图自杀, 前夫说
    不撤诉就带孩子跳河, 法官赴京查账). Who speaks decides: the actor before the last verb
    of saying; else the actor of the consequence after the condition (如果法院…，他就…:
    the court is in the condition, not the one acting)."""
    if lex.other_actor is None:
        return None
    before = _CONDITION.sub(lambda m: " " * len(m.group()), before)  # 如果法院…: no actor
    speaker = None
    clause_start = _clause_start(before)
    for speech in _SPEECH.finditer(before):
        if speaker is not None and _GOES_ON.search(before[: speech.start()]):
            pass  # 并称, 还说: the one who spoke before speaks on
        else:
            said_by = _actors(before[: speech.start()], lex, first_person)
            speaker = said_by[-1] if said_by else speaker
        last_speech = speech
    if speaker is not None:
        if speaker[2]:
            own_again = [a for a in _actors(before[clause_start:], lex) if not a[2]]
            if last_speech.start() < clause_start and own_again:
                return None  # 对方却说没有财产，我只能…: the writer speaks again
            return speaker[1]
        before = before[last_speech.end() :]  # the petitioner's words: who acts in them
    cut = _clause_start(before)  # the clause: an omitted subject is the writer
    for m in _CONSEQUENCE.finditer(before, cut):
        cut = m.end()
    actors = _actors(before[cut:], lex, first_person)
    if actors and actors[-1][2]:
        return actors[-1][1]
    return None


_SAID_ABOUT = re.compile(r"(?:说|称)$")
_THIRD_PERSON = re.compile(r"(?<![其吉])他(?![人们])|她(?!们)")
_FIRST_PERSON = re.compile(r"我|俺|本人")
_CLERK_VOICE = re.compile(r"来电人|来访人|信访人|来信人|反映人|该人|交办")


def first_person_voice(text: str) -> bool:
    """Whether the petitioner writes in their own words (a letter, a post), not a clerk
    about them: then 他/她 is another party, never the petitioner."""
    return bool(_FIRST_PERSON.search(text)) and not _CLERK_VOICE.search(text)


_MODIFIED_OBJECT = re.compile(r"(?:向|和|与|跟|同|找|对|把|给|让|替|为|帮)[^，,；;:]{1,6}的$")
_GOES_ON = re.compile(r"(?:并且|并|还|又|同时|且)$")
_IF = "如果|要是|若是?|假如|倘若|万一"
_CONDITIONAL_WORD = re.compile(_IF)
_CONDITION = re.compile(
    rf"(?:{_IF}|一旦|只要)[^，,；;就便我俺]*|[^，,；;“”就便我俺]*再(?:不|没|敢)[^，,；;就便我俺]*"
)


def _clause_start(text: str) -> int:
    """Where the last clause of ``text`` starts (after its last comma, semicolon or colon)."""
    return max(text.rfind(c) for c in "，,；;:") + 1


_OWN_ROLE_BEFORE = re.compile(r"(?:来电人|来访人|信访人|来信人|反映人|本人|我)$")
_SPEECH = re.compile(
    r"说(?![法明理服好过])|(?<![名职简])称|扬言|声称|放话|威胁|表示|要挟|叫嚣|反映"
)
_CONSEQUENCE = re.compile(r"就|便|那么|否则|不然|的话")


_PLACE_AFTER = re.compile(r"门|的|里|外|前|大楼|账户|楼")


def _told_as_past(pre: str, lex: Lexicon) -> str | None:
    """A past marker before the term in its clause with no intent after it (去年去过北京)."""
    if lex.past is None:
        return None
    for m in lex.past.finditer(pre):
        if lex.intent is None or not lex.intent.search(pre[m.end() :]):
            return m.group()
    return None


# Characters common in petition text: a poor choice for the prefilter.
_VERY_COMMON = set("的了我你他她们是在有不人一这就要去到上说也和会没法院访信案子对方给再把")
_COMMON = set(
    "直打告同后结中出进天报国家时来生事过作工以从能下年大自点想安老动放带服此为得还着行地里开"
    "问题钱执判决门"
)


def _required(nodes) -> set[str] | None:
    """A set of characters one of which every match of the parsed sequence contains."""
    from re import _constants as C

    best: set[str] | None = None
    for op, arg in nodes:
        cand: set[str] | None = None
        if op is C.LITERAL:
            cand = {chr(arg)}
        elif op is C.IN and all(o is C.LITERAL for o, _ in arg):
            cand = {chr(a) for _, a in arg}
        elif op is C.SUBPATTERN:
            cand = _required(arg[-1])
        elif op is C.BRANCH:
            sets = [_required(branch) for branch in arg[1]]
            cand = set().union(*sets) if all(sets) else None
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT) and arg[0] >= 1:
            cand = _required(arg[2])
        if cand and (best is None or _cost(cand) < _cost(best)):
            best = cand
    return best


def _cost(chars: set[str]) -> int:
    return len(chars) + sum(
        100 if c in _VERY_COMMON or c.isascii() else 10 if c in _COMMON else 0 for c in chars
    )


def default_lexicon() -> Lexicon:
    """The lexicon of the configuration in force (compiled once per configuration)."""
    from xinfang.config import get_config

    return get_config().risk.lexicon


def _negated_before(pre: str, lex: Lexicon) -> str | None:
    """The negation cue of ``pre`` (text before a term) that still governs the term."""
    for cue in lex.negation.finditer(pre):
        if _CONDITIONAL_WORD.search(pre[: cue.start()]):
            continue  # 你们要是不想见报…: a condition put to the court, not a negation
        after = pre[cue.end() : cue.end() + 3]
        if lex.negation_cancel.match(after):
            continue
        if lex.breakers.search(pre[cue.end() :]):
            continue
        return cue.group()
    return None


def _clause_bounds(sentence: str, start: int, end: int) -> tuple[int, int]:
    left = 0
    for m in CLAUSE_SEP.finditer(sentence, 0, start):
        left = m.end()
    m = CLAUSE_SEP.search(sentence, end)
    return left, (m.start() if m else len(sentence))


def _judge(
    sentence: str, masked: str, m: re.Match[str], lex: Lexicon, first_person: bool = False
) -> str | None:
    """None when the match stands as a threat, else why it does not."""
    left, right = _clause_bounds(masked, m.start(), m.end())
    pre = masked[max(left, m.start() - lex.window) : m.start()]
    post = masked[m.end() : min(right, m.end() + lex.window)]
    if lex.event_after.match(masked, m.end()):
        return "past event"
    cue = _negated_before(pre, lex)
    if cue:
        return f"negated by {cue}"
    if lex.reported.search(masked[_last_own(masked[: m.start()], lex) : m.start()]):
        return "reported speech"
    if lex.negation_after.search(post):
        return "negated after"
    if masked.startswith("过", m.end()) and not masked.startswith("过来", m.end()):
        return "past event (…过)"  # 去省里上访过一次
    past = _told_as_past(masked[left : m.start()], lex)
    if past:
        return f"past event ({past})"
    if lex.retracted is not None and lex.retracted.search(masked):
        return "taken back"
    actor = _actor_is_another(masked[: m.start()], lex, first_person)
    if actor:
        return f"another's act ({actor})"
    return None


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text) if s.strip()]


def prepare(text: str) -> str:
    """Light folding for text that did not go through intake normalization."""
    return unicodedata.normalize("NFKC", text)


def detect_threat(text: str | None, lexicon: Lexicon | None = None) -> ThreatHit | None:
    """The first threatening term in ``text`` that no negation, hearsay or event explains away."""
    if not text:
        return None
    lex = lexicon or default_lexicon()
    first = lex.triggers.search(text)
    if first is None and not lex.always:
        return None
    found = set(lex.triggers.findall(text, first.start())) if first else set()
    candidates = sorted({n for c in found for n in lex.by_char[c]}.union(lex.always))
    terms = [lex.terms[n] for n in candidates]
    if not any(pattern.search(text) for _, pattern in terms):
        return None
    first_person = first_person_voice(text)
    for sentence in split_sentences(text):
        masked = sentence
        if lex.neutral is not None:
            masked = lex.neutral.sub(lambda n: MASK * len(n.group()), sentence)
        for category, pattern in terms:
            for m in pattern.finditer(masked):
                if _judge(sentence, masked, m, lex, first_person) is None:
                    return ThreatHit(
                        term=sentence[m.start() : m.end()],
                        category=category,
                        sentence=sentence,
                        why=CATEGORY_NAMES.get(category, category),
                    )
    return None


def explain(text: str, lexicon: Lexicon | None = None) -> list[tuple[str, str, str | None]]:
    """Every term found and the verdict on it, for tuning: (category, term, reason or None)."""
    lex = lexicon or default_lexicon()
    out: list[tuple[str, str, str | None]] = []
    text = prepare(text)
    first_person = first_person_voice(text)
    for sentence in split_sentences(text):
        masked = (
            lex.neutral.sub(lambda n: MASK * len(n.group()), sentence) if lex.neutral else sentence
        )
        for category, pattern in lex.terms:
            for m in pattern.finditer(masked):
                out.append((category, m.group(), _judge(sentence, masked, m, lex, first_person)))
    return out
