"""Proposing guide/candidate pairs as an optimal assignment over an explainable compatibility score.

A guide is a coach or mentor with a number of free places; a candidate is a participant, mentee or partner.
The score of a pair runs from 0 to 100 and is the sum of four parts, each with a reason a coordinator reads:

- shared interests, up to 50: both texts become sets of word stems (lower case, punctuation, a small list of
  English stopwords and words under 3 letters dropped, then a crude suffix strip: "-sses" to "-ss", "-ies" to
  "-y", a plural "-s", one of "-ing"/"-ion"/"-ed", a final "-e"). The points are 50 times the share of the
  candidate's stems the guide also wrote, counting at most 5 of them: 5 shared stems give the full 50. The
  reason names up to 3 shared words as the candidate wrote them.
- working hours, up to 30: each person works 08:00-18:00 local time on the date `on`, computed with real
  datetimes so that daylight saving time counts; 3 points per hour in common (0 to 10 hours). Across the
  date line the candidate's working day may fall on the guide's previous or next date: the best one counts.
- a shared language, 10: when both said which languages they work in (compared without regard to case)
  and one is common ("both work in Khmer"). When either said none, the part is neutral: no points and no
  reason, the same for every guide, so it never tips a choice; when both said some but none is shared, the
  reason says so and there are no points.
- career stage, 10: when both stages are known (student < early career < mid career < senior < late
  career) and the guide's is the more senior.

propose() solves the assignment with scipy's linear_sum_assignment. Each guide is a column repeated by the
places left after the pinned pairs. Excluded pairs and self-pairs get a prohibitive cost and are never
proposed, so the solver first matches as many candidates as the allowed pairs permit, then maximises the
total score. The solver is deterministic: equal scores always resolve the same way for the same input.
greedy() is the first-come-first-served baseline, with the same score.
"""

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.i18n import _
from bot.timezones import zone_name

if TYPE_CHECKING:  # imported where a match is counted: they cost a cold start about 0.3 s (issue 15)
    import numpy
    from scipy import sparse

INTEREST_POINTS = 50.0
INTEREST_FULL_WORDS = 5  # shared stems that earn the full interest points
INTEREST_REASON_WORDS = 3
TIMEZONE_POINTS = 30.0
WORKDAY_START, WORKDAY_END = time(8), time(18)
WORKDAY_HOURS = 10.0
LANGUAGE_POINTS = 10.0
LANGUAGE_REASON_NAMES = 2
CAREER_POINTS = 10.0
CAREER_STAGES = ("student", "early career", "mid career", "senior", "late career")
MIN_WORD_LENGTH = 3
MIN_STEM_LENGTH = 4  # a suffix is stripped only if at least this much of the word remains
_STOPWORD_TEXT = """
    about after again all also and any are because been before being both but can cant could did does doing
    dont each for from further had has have having help her here him his how into its just learn like more
    most much not now off once only other our out over own same she should some such than that the their
    them then there these they this those through too under until very want was way were what when where
    which while who why will with would you your yours experience goal improve interest skill better new get
    ive grow work year library libraries librarian librarians
"""
_WORDS = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Candidate:
    """Someone to be guided: a participant, mentee or partner."""

    key: int  # person id
    name: str
    text: str  # what they wrote: goals, interests, chosen objective, joined
    timezone: str  # IANA zone, e.g. "Asia/Phnom_Penh"
    career_stage: str | None = None  # one of CAREER_STAGES, or None when unknown
    languages: tuple[str, ...] = ()  # languages they work in, as written; empty when not asked or not said


@dataclass(frozen=True)
class Guide:
    """A coach or mentor with free places."""

    key: int  # person id
    name: str
    text: str  # expertise areas they wrote (may be empty)
    timezone: str
    capacity: int  # free places (>= 0)
    career_stage: str | None = None
    languages: tuple[str, ...] = ()  # as written; empty when not said


@dataclass(frozen=True)
class Proposal:
    candidate: Candidate
    guide: Guide
    score: float  # 0..100
    reasons: tuple[str, ...]
    pinned: bool = False


@dataclass(frozen=True)
class MatchResult:
    proposals: tuple[Proposal, ...]  # sorted by candidate name
    unmatched: tuple[Candidate, ...]  # no capacity left, or nobody allowed
    total_score: float


# Interests


def _stem(word: str) -> str:
    if word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("ies") and len(word) > MIN_STEM_LENGTH:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > MIN_WORD_LENGTH:
        word = word[:-1]
    for suffix in ("ing", "ion", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM_LENGTH:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > MIN_STEM_LENGTH else word


STOPWORDS = frozenset(_stem(word) for word in _STOPWORD_TEXT.split())  # as stems, so "goals" is dropped too


@lru_cache(maxsize=4096)
def stems(text: str) -> Mapping[str, str]:
    """Meaningful stems of a text, in order of appearance, each with the first word that gave it."""
    found: dict[str, str] = {}
    for word in _WORDS.findall(text.lower().replace("'", "").replace("’", "")):
        stem = _stem(word)
        if len(word) >= MIN_WORD_LENGTH and stem not in STOPWORDS:
            found.setdefault(stem, word)
    return MappingProxyType(found)


def _interests(candidate_text: str, guide_text: str) -> tuple[float, str]:
    wanted, offered = stems(candidate_text), stems(guide_text)
    shared = [word for stem, word in wanted.items() if stem in offered]
    if not shared:
        return 0.0, _("no shared interests")
    needed = min(len(wanted), INTEREST_FULL_WORDS)
    points = INTEREST_POINTS * min(len(shared), needed) / needed
    return points, _("shared interests: {words}").format(words=", ".join(shared[:INTEREST_REASON_WORDS]))


# Working hours


def _workday(zone: str, on: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone)
    start = datetime.combine(on, WORKDAY_START, tzinfo=tz).astimezone(UTC)
    return start, datetime.combine(on, WORKDAY_END, tzinfo=tz).astimezone(UTC)


def _common_hours(first: tuple[datetime, datetime], second: tuple[datetime, datetime]) -> float:
    seconds = (min(first[1], second[1]) - max(first[0], second[0])).total_seconds()
    return max(0.0, seconds / 3600)


@lru_cache(maxsize=4096)
def overlap_hours(zone: str, other_zone: str, on: date) -> float:
    """Hours in common between 08:00-18:00 in `zone` on `on` and a working day in `other_zone` next to it."""
    day = _workday(zone, on)
    nearby = (_workday(other_zone, on + timedelta(days=shift)) for shift in (-1, 0, 1))
    return max(_common_hours(day, other) for other in nearby)


def _working_hours(candidate_zone: str, guide_zone: str, on: date) -> tuple[float, str]:
    hours = overlap_hours(guide_zone, candidate_zone, on)
    guide_words, candidate_words = zone_name(guide_zone), zone_name(candidate_zone)
    if hours == 0:
        return 0.0, _("no working hours in common between {zone} and {other_zone}").format(
            zone=guide_words, other_zone=candidate_words
        )
    points = TIMEZONE_POINTS * min(hours, WORKDAY_HOURS) / WORKDAY_HOURS
    return points, _("{hours} working hours overlap between {zone} and {other_zone}").format(
        hours=f"{hours:g}", zone=guide_words, other_zone=candidate_words
    )


# Languages


def _languages(candidate_languages: Sequence[str], guide_languages: Sequence[str]) -> tuple[float, str | None]:
    if not candidate_languages or not guide_languages:
        return 0.0, None  # not said: neutral
    theirs = {language.casefold() for language in guide_languages}
    shared = [language for language in candidate_languages if language.casefold() in theirs]
    if not shared:
        return 0.0, _("no language in common")
    named = shared[:LANGUAGE_REASON_NAMES]
    if len(named) == 1:
        return LANGUAGE_POINTS, _("both work in {language}").format(language=named[0])
    return LANGUAGE_POINTS, _("both work in {language} and {other_language}").format(
        language=named[0], other_language=named[1]
    )


# Career stage


def _stage_rank(stage: str | None) -> int | None:
    if stage is None:
        return None
    normal = " ".join(stage.lower().replace("-", " ").split())
    return CAREER_STAGES.index(normal) if normal in CAREER_STAGES else None


def _career(candidate_stage: str | None, guide_stage: str | None) -> tuple[float, str | None]:
    mine, theirs = _stage_rank(candidate_stage), _stage_rank(guide_stage)
    if mine is None or theirs is None or theirs <= mine:
        return 0.0, None
    return CAREER_POINTS, _("more senior career stage")


def compatibility(candidate: Candidate, guide: Guide, on: date) -> tuple[float, tuple[str, ...]]:
    """The pair's score (0..100) and the reasons for it."""
    interest_points, interest_reason = _interests(candidate.text, guide.text)
    hour_points, hour_reason = _working_hours(candidate.timezone, guide.timezone, on)
    language_points, language_reason = _languages(candidate.languages, guide.languages)
    career_points, career_reason = _career(candidate.career_stage, guide.career_stage)
    optional = tuple(reason for reason in (language_reason, career_reason) if reason)
    return round(interest_points + hour_points + language_points + career_points, 2), (
        interest_reason,
        hour_reason,
        *optional,
    )


# Assignment


def _proposal(candidate: Candidate, guide: Guide, on: date, *, pinned: bool = False) -> Proposal:
    score, reasons = compatibility(candidate, guide, on)
    return Proposal(candidate, guide, score, reasons, pinned)


def _result(proposals: Iterable[Proposal], unmatched: Iterable[Candidate]) -> MatchResult:
    ordered = tuple(sorted(proposals, key=lambda proposal: (proposal.candidate.name, proposal.candidate.key)))
    left = tuple(sorted(unmatched, key=lambda candidate: (candidate.name, candidate.key)))
    return MatchResult(ordered, left, round(sum(proposal.score for proposal in ordered), 2))


def _require_unique(people: Sequence[Candidate] | Sequence[Guide], role: str) -> None:
    keys = [person.key for person in people]
    if len(keys) != len(set(keys)):
        raise ValueError(f"each {role} may appear only once")


def _check_pins(pinned: set[tuple[int, int]], excluded: set[tuple[int, int]]) -> None:
    if len({candidate_key for candidate_key, _ in pinned}) != len(pinned):
        raise ValueError("a candidate can be pinned to only one guide")
    if any(candidate_key == guide_key for candidate_key, guide_key in pinned):
        raise ValueError("nobody can be pinned to themselves")
    if pinned & excluded:
        raise ValueError("a pair cannot be both pinned and excluded")


def _pinned_proposals(
    candidates: Sequence[Candidate], guides: Sequence[Guide], on: date, pinned: set[tuple[int, int]]
) -> list[Proposal]:
    by_candidate = {candidate.key: candidate for candidate in candidates}
    by_guide = {guide.key: guide for guide in guides}
    unknown = [pair for pair in pinned if pair[0] not in by_candidate or pair[1] not in by_guide]
    if unknown:
        raise ValueError(f"pinned pairs name unknown people: {sorted(unknown)}")
    return [_proposal(by_candidate[c], by_guide[g], on, pinned=True) for c, g in sorted(pinned)]


def _slots(guides: Sequence[Guide], taken: list[Proposal]) -> list[Guide]:
    """One entry per place left: pinned pairs use up places (a pin beyond capacity leaves none)."""
    used = [proposal.guide.key for proposal in taken]
    return [guide for guide in guides for _place in range(max(0, guide.capacity - used.count(guide.key)))]


@dataclass(frozen=True)
class _Traits:
    """What a score needs of one person, worked out once per propose(): the pair loop only counts."""

    stems: frozenset[str]
    needed: int  # the candidate's shared stems that earn the full interest points
    languages: frozenset[str]
    rank: int | None
    zone: str


def _traits(person: Candidate | Guide) -> _Traits:
    found = stems(person.text)
    return _Traits(
        frozenset(found),
        min(len(found), INTEREST_FULL_WORDS),
        frozenset(language.casefold() for language in person.languages),
        _stage_rank(person.career_stage),
        person.timezone,
    )


def _in_common(mine: Sequence[frozenset[str]], theirs: Sequence[frozenset[str]]) -> "numpy.ndarray":
    """How many items (stems, languages) each row's set shares with each column's: incidence matrices
    (a 1 per person and item) multiplied, sparse, so a large vocabulary costs no memory."""
    from scipy import sparse

    index = {item: i for i, item in enumerate(sorted(set().union(*mine, *theirs)))}

    def incidence(sets: Sequence[frozenset[str]]) -> "sparse.csr_matrix":
        rows = [row for row, items in enumerate(sets) for _item in items]
        columns = [index[item] for items in sets for item in items]
        return sparse.csr_matrix(([1.0] * len(rows), (rows, columns)), shape=(len(sets), max(len(index), 1)))

    return (incidence(mine) @ incidence(theirs).T).toarray()


def _score_table(candidates: Sequence[_Traits], guides: Sequence[_Traits], on: date) -> "numpy.ndarray":
    """compatibility()'s score, without its reasons, for every candidate (rows) and guide (columns) at once,
    as matrix arithmetic (tests/test_matching.py holds the two equal)."""
    import numpy

    shared = _in_common([t.stems for t in candidates], [t.stems for t in guides])
    needed = numpy.array([[max(t.needed, 1)] for t in candidates], dtype=float)
    points = INTEREST_POINTS * numpy.minimum(shared, needed) / needed
    zones = sorted({t.zone for t in (*candidates, *guides)})
    by_zone = numpy.array([[overlap_hours(guide_zone, zone, on) for guide_zone in zones] for zone in zones])
    zone_of = {zone: i for i, zone in enumerate(zones)}
    hours = by_zone[numpy.ix_([zone_of[t.zone] for t in candidates], [zone_of[t.zone] for t in guides])]
    points += TIMEZONE_POINTS * numpy.minimum(hours, WORKDAY_HOURS) / WORKDAY_HOURS
    points += LANGUAGE_POINTS * (_in_common([t.languages for t in candidates], [t.languages for t in guides]) > 0)
    mine = numpy.array([[-1 if t.rank is None else t.rank] for t in candidates])
    theirs = numpy.array([[-1 if t.rank is None else t.rank for t in guides]])
    points += CAREER_POINTS * ((mine >= 0) & (theirs > mine))
    return points


def _assign(
    free: Sequence[Candidate], slots: Sequence[Guide], on: date, forbidden: Collection[tuple[int, int]]
) -> list[Proposal]:
    """Scores are counted for each candidate and guide once, then spread over the guide's places; only the
    chosen pairs are written out with their reasons."""
    from scipy.optimize import linear_sum_assignment

    if not free or not slots:
        return []
    columns = list({guide.key: guide for guide in slots}.values())
    table = _score_table([_traits(candidate) for candidate in free], [_traits(guide) for guide in columns], on)
    column_of = {guide.key: index for index, guide in enumerate(columns)}
    values = table[:, [column_of[guide.key] for guide in slots]]
    places_of: dict[int, list[int]] = {}
    for place, guide in enumerate(slots):
        places_of.setdefault(guide.key, []).append(place)
    prohibitive = -(100.0 * (min(len(free), len(slots)) + 1))
    row_of = {candidate.key: index for index, candidate in enumerate(free)}
    for candidate_key, guide_key in forbidden:
        if candidate_key in row_of and guide_key in places_of:
            values[row_of[candidate_key], places_of[guide_key]] = prohibitive
    rows, cols = linear_sum_assignment(values, maximize=True)
    chosen = ((free[int(r)], slots[int(c)]) for r, c in zip(rows, cols, strict=True))
    return [_proposal(c, g, on) for c, g in chosen if (c.key, g.key) not in forbidden]


def propose(
    candidates: Sequence[Candidate],
    guides: Sequence[Guide],
    on: date,
    *,
    pinned: Collection[tuple[int, int]] = (),  # (candidate key, guide key) kept as they are; they use up capacity
    excluded: Collection[tuple[int, int]] = (),  # (candidate key, guide key) never proposed
) -> MatchResult:
    """The assignment with the highest total score, after the pinned pairs, never proposing an excluded pair."""
    _require_unique(candidates, "candidate")
    _require_unique(guides, "guide")
    _check_pins(set(pinned), set(excluded))
    kept = _pinned_proposals(candidates, guides, on, set(pinned))
    pinned_keys = {proposal.candidate.key for proposal in kept}
    free = [candidate for candidate in candidates if candidate.key not in pinned_keys]
    forbidden = set(excluded) | {(candidate.key, candidate.key) for candidate in free}  # nobody guides themselves
    assigned = _assign(free, _slots(guides, kept), on, forbidden)
    matched = {proposal.candidate.key for proposal in assigned}
    return _result(kept + assigned, (candidate for candidate in free if candidate.key not in matched))


def greedy(candidates: Sequence[Candidate], guides: Sequence[Guide], on: date) -> MatchResult:
    """Baseline: candidates in the given order each take the best guide with capacity left."""
    places = {guide.key: guide.capacity for guide in guides}
    proposals: list[Proposal] = []
    unmatched: list[Candidate] = []
    for candidate in candidates:
        options = [_proposal(candidate, g, on) for g in guides if places[g.key] > 0 and g.key != candidate.key]
        if not options:
            unmatched.append(candidate)
            continue
        best = max(options, key=lambda proposal: proposal.score)  # the first guide wins a tie
        places[best.guide.key] -= 1
        proposals.append(best)
    return _result(proposals, unmatched)
