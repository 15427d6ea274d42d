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
from re import _constants
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
    gate: re.Pattern[str] | None = None
    """One search that finds nothing only when no term can match (``_gate``); None when
    some term has no string a match must contain."""


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
        gate=_gate([p for _, p in entries]),
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


_SET_MAX = 64
"""The most strings one required set may hold."""
_REPEATS = (_constants.MAX_REPEAT, _constants.MIN_REPEAT, _constants.POSSESSIVE_REPEAT)
_ZERO_WIDTH = (_constants.AT, _constants.ASSERT, _constants.ASSERT_NOT)
_SPECIAL = set("\\[](){}.^$*+?|#")
_QUANTIFIERS = set("*+?{")


def _language(nodes) -> set[str] | None:
    """Every string the parsed sequence matches, when they are few (else None)."""
    out = {""}
    for op, arg in nodes:
        strings = _node_language(op, arg)
        if strings is None:
            return None
        out = {a + b for a in out for b in strings}
        if len(out) > _SET_MAX:
            return None
    return out


def _node_language(op, arg) -> set[str] | None:
    C = _constants
    if op is C.LITERAL:
        return {chr(arg)}
    if op is C.IN:
        return {chr(a) for _, a in arg} if all(o is C.LITERAL for o, _ in arg) else None
    if op in _ZERO_WIDTH:
        return {""}  # consumes nothing: the strings around it stand side by side
    if op is C.SUBPATTERN:
        return None if arg[1] & C.SRE_FLAG_IGNORECASE else _language(arg[-1])
    if op is C.BRANCH:
        out: set[str] = set()
        for branch in arg[1]:
            strings = _language(branch)
            if strings is None:
                return None
            out |= strings
        return out if len(out) <= _SET_MAX else None
    if op in _REPEATS and arg[1] <= 3:
        item = _language(arg[2])
        if item is None:
            return None
        out, run = set(), {""}
        for n in range(arg[1] + 1):
            if n >= arg[0]:
                out |= run
            run = {a + b for a in run for b in item}
            if len(out) > _SET_MAX or len(run) > _SET_MAX:
                return None
        return out
    return None


def _required_strings(nodes) -> set[str] | None:
    """The cheapest set of strings one of which every match of the parsed sequence
    contains (``_set_cost``): the strings of a run of consecutive elements, or the
    required set inside one element. None when there is none."""
    C = _constants
    best: set[str] | None = None

    def consider(cand: set[str] | None) -> None:
        nonlocal best
        if (
            cand
            and "" not in cand
            and len(cand) <= _SET_MAX
            and (best is None or _set_cost(cand) < _set_cost(best))
        ):
            best = cand

    languages = [_node_language(op, arg) for op, arg in nodes]
    for i in range(len(nodes)):
        run = {""}
        for strings in languages[i:]:
            if strings is None:
                break
            run = {a + b for a in run for b in strings}
            if len(run) > _SET_MAX:
                break
            consider(run)
    for op, arg in nodes:
        if op is C.SUBPATTERN and not arg[1] & C.SRE_FLAG_IGNORECASE:
            consider(_required_strings(arg[-1]))
        elif op is C.BRANCH:
            sets = [_required_strings(branch) for branch in arg[1]]
            consider(set().union(*sets) if all(sets) else None)
        elif op in _REPEATS and arg[0] >= 1:
            consider(_required_strings(arg[2]))
    return best


def _set_cost(strings: set[str]) -> int:
    """How often a set of strings may be found in a petition, roughly: one character
    often, two seldom, three rarely; a string whose rarest character is common often."""
    return sum(
        (1 if len(s) >= 3 else 1000 if len(s) == 2 else 1_000_000) * _anchor_cost(s)
        for s in strings
    )


# The commonest characters of petitions to a court, then of Chinese text, commonest first.
_FREQUENT = (
    "法院执行判决案件诉讼申请反映领导来电访人要求尽快村官办号复映给多方事同日交找帮告住关"
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过"
    "家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本"
    "见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己"
    "话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平"
    "真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报"
    "立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务"
    "制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科"
    "怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运"
    "武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸"
    "钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似"
    "专石若兵弟谁校读志飞观争究包组造落视济喜离虽坏兴切官村底案执判诉讼申访号款欠费拖"
)
_RANK = {c: n for n, c in reversed(list(enumerate(_FREQUENT)))}


def _anchor(s: str) -> int:
    """Where in ``s`` its rarest character stands (the gate looks for that one)."""
    ranks = [_RANK.get(c, len(_FREQUENT)) for c in s]
    return ranks.index(max(ranks))


def _anchor_cost(s: str) -> int:
    rank = _RANK.get(s[_anchor(s)], len(_FREQUENT))
    return 30 if rank < 100 else 10 if rank < 300 else 3 if rank < len(_FREQUENT) else 1


def _gate(patterns: list[str]) -> re.Pattern[str] | None:
    """One regular expression that finds something only where some term may match.

    Per term, the cheapest set of strings one of which each of its matches contains
    (``_required_strings``); a term whose set would be single characters is taken whole
    instead when it begins with a plain character. Each string is looked for from its
    rarest character (with a look-behind for the characters before it): the engine
    starts a match attempt at every character of the leading class, and those attempts
    are the gate's cost. After that character a binary tree of one-character
    look-behinds picks its strings: the engine tries alternatives one by one, so a flat
    alternation of hundreds would be slower than the 300 searches it replaces. None
    when some term has no such set (the gate would have to pass every text)."""
    from re import _parser

    strings: set[str] = set()
    whole: dict[str, list[str]] = {}
    for p in patterns:
        parsed = _parser.parse(p)
        if parsed.state.flags & _constants.SRE_FLAG_IGNORECASE:
            return None
        required = _required_strings(list(parsed))
        if required is None:
            return None
        plain = (
            not parsed.state.flags & ~_constants.SRE_FLAG_UNICODE
            and parsed.state.groups == 1
            and p[0] not in _SPECIAL
            and p[1:2] not in _QUANTIFIERS  # 来+ is not 来 then +
        )
        if max(map(len, required)) == 1 and plain:
            whole.setdefault(p[0], []).append(f"(?:{p[1:]})")
        else:
            strings |= required
    # anchor character -> the characters before it -> tries of the characters after it
    tries: dict[str, dict[str, dict]] = {}
    for s in strings:
        k = _anchor(s)
        node = tries.setdefault(s[k], {}).setdefault(s[:k], {})
        for c in s[k + 1 :]:
            node = node.setdefault(c, {})
        node[""] = {}
    leaves: dict[str, str] = {}
    for c in set(tries) | set(whole):
        alternatives = list(whole.get(c, ()))
        for before, trie in sorted(tries.get(c, {}).items()):
            after = _trie_pattern(trie)
            if not before and not after:
                alternatives = [""]  # the character alone is a required string
                break
            behind = f"(?<={re.escape(before + c)})" if before else ""
            alternatives.append(behind + after)
        leaves[c] = alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})"
    anchors = sorted(leaves)
    return re.compile(f"{_char_class(anchors)}(?:{_dispatch(anchors, leaves)})")


def _char_class(chars: list[str]) -> str:
    return "[" + "".join(re.escape(c) for c in chars) + "]"


def _trie_pattern(node: dict) -> str:
    """The alternation of a trie's strings ("" when a string ends here: that suffices)."""
    if "" in node:
        return ""
    longer, single = [], []
    for c in sorted(node):
        rest = _trie_pattern(node[c])
        (longer if rest else single).append(re.escape(c) + rest)
    parts = longer + (
        [single[0]] if len(single) == 1 else [f"[{''.join(single)}]"] if single else []
    )
    return parts[0] if len(parts) == 1 else f"(?:{'|'.join(parts)})"


def _dispatch(chars: list[str], leaves: dict[str, str]) -> str:
    """After a character of ``chars``: its leaf, found by halving ``chars``."""
    if len(chars) <= 4:
        return "|".join(f"(?<={re.escape(c)}){leaves[c]}" for c in chars)
    half = len(chars) // 2
    left, right = chars[:half], chars[half:]
    return (
        f"(?<={_char_class(left)})(?:{_dispatch(left, leaves)})"
        f"|(?<={_char_class(right)})(?:{_dispatch(right, leaves)})"
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
    if lex.gate is not None and lex.gate.search(text) is None:
        return None  # no term can match (~90% of texts): the per-term check costs ~5x more
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
        if lex.gate is not None and lex.gate.search(masked) is None:
            continue  # no term in this sentence
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
