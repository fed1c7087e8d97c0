"""A program's shared resource library: toolkits, guides, training modules and links its coordinators add
and curate, filtered by career stage and topic (`[resources]` in the program file).

Who: everyone in a cohort of a program with a library, and its coordinators, read it; only the program's
coordinators add, edit, feature, retire and restore. A resource keeps a number in its library that never
changes (`resources retire 3`). A link is http or https only, stored with its scheme and host in lower
case and no trailing slash, and is listed once per library (a key on (program, link) decides a race).
Stages and topics are stored as lists of the program file's names; an empty list means "all".

Typed names are read loosely: case does not matter, "and" may be left out and the start of each word is
enough ("mid", "research publishing", "div"). Bad input raises ResourceError with the sentence that
tells the person why.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, _, program_words
from bot.messages import either
from bot.places import CONTENDED, FULL, take_numbered_place
from bot.programs import Program, ProgramCatalog, ResourceRules
from bot.roles import Roles
from storage.models import Resource

LISTED, RETIRED = "listed", "retired"
TITLE_LENGTH = 150
LINK_LENGTH = 500
LIBRARY_SIZE = 10_000  # numbers a library hands out
SKIPPED_WORDS = frozenset({"and", "of", "the"})
ALL_WORDS = frozenset({"all", "any", "every", "everything"})
DEFAULT_PORTS = {"http": 80, "https": 443}
# Slack writes links as <https://x|label> and escapes &, < and >; Teams may send a link as HTML.
SLACK_LINK = re.compile(r"^<([^<>|]+)(?:\|[^<>]*)?>$")
HTML_LINK = re.compile(r"""<a\s[^>]*href=["']([^"']+)["'][^>]*>.*?</a>""", re.IGNORECASE | re.DOTALL)
NOT_IN_LINKS = set('<>"`{}|\\^')
HOST_LABEL = re.compile(r"^(?!-)[^\W_](?:[^\W_]|-){0,62}(?<!-)$")


class ResourceError(Exception):
    """Input that changes nothing, with the sentence that tells the person why."""


class DuplicateLink(ResourceError):
    """The link is already in the library, as `existing`."""

    def __init__(self, existing: Resource) -> None:
        super().__init__(
            _("That link is already in the library as {number}. {title}.").format(
                number=existing.number, title=existing.title
            )
        )
        self.existing = existing


@dataclass(frozen=True)
class Filter:
    """Career stages and topics to show; empty: all. A resource for every stage (or topic) always fits."""

    stages: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()

    def fits(self, resource: Resource) -> bool:
        return _overlaps(self.stages, resource.career_stages) and _overlaps(self.topics, resource.topics)

    @property
    def words(self) -> str:
        """The filter's stages and topics, as the reader's program file names them."""
        return " ".join(program_words(name) for name in (*self.stages, *self.topics))


@dataclass(frozen=True)
class Draft:
    """A resource as a coordinator describes it, checked: what `add` stores or `edit` changes."""

    title: str
    url: str
    kind: str
    stages: tuple[str, ...]  # (): every stage
    topics: tuple[str, ...]  # (): every topic


def _overlaps(wanted: tuple[str, ...], has: list[str]) -> bool:
    return not wanted or not has or bool({w.lower() for w in wanted} & {h.lower() for h in has})


# Who may use which library


def libraries(roles: Roles, programs: ProgramCatalog) -> list[Program]:
    """The programs with a library this person reads: a member of one of its cohorts, or a coordinator."""
    member_of = {entry.program_id for entry in roles.in_cohorts}
    return [p for p in programs if p.resources is not None and (p.id in member_of or roles.coordinates(p.id))]


def rules_of(program: Program) -> ResourceRules:
    if program.resources is None:
        raise LookupError(f"{program.id} has no resource library")
    return program.resources


# Reading what was typed


def _words(text: str) -> list[str]:
    return [word for word in re.findall(r"[^\W_]+", text.lower()) if word not in SKIPPED_WORDS]


def read_names(text: str, names: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(the names the text names, in the order typed, the words that name none of them).

    At each word the name matching the most words wins ("mid career" over "mid"); a word that starts
    several names equally is a ResourceError asking for more of it, unless one of them is that word."""
    typed, found, unknown = _words(text), [], []
    name_words = {name: _words(name) for name in names}
    at = 0
    while at < len(typed):
        reach: dict[str, int] = {}
        for name, words in name_words.items():
            count = 0
            while count < len(words) and at + count < len(typed) and words[count].startswith(typed[at + count]):
                count += 1
            if count:
                reach[name] = count
        if not reach:
            unknown.append(typed[at])
            at += 1
            continue
        longest = max(reach.values())
        best = [name for name, count in reach.items() if count == longest]
        exact = [name for name in best if name_words[name][:longest] == typed[at : at + longest]]
        if len(best) > 1 and len(exact) == 1:
            best = exact
        if len(best) > 1:
            raise ResourceError(
                _("`{typed}` could be {names}: type more of it.").format(typed=typed[at][:30], names=either(best))
            )
        if best[0] not in found:
            found.append(best[0])
        at += longest
    return found, unknown


def read_filter(text: str, rules: ResourceRules) -> Filter:
    """A filter from typed stage and topic names: `early career`, `leadership`, `mid career leadership`."""
    found, unknown = read_names(text, rules.career_stages + rules.topics)
    if unknown:
        raise ResourceError(
            _("I don't know `{typed}` as a career stage or topic. Career stages: {stages}. Topics: {topics}.").format(
                typed=" ".join(unknown)[:40], stages=", ".join(rules.career_stages), topics=", ".join(rules.topics)
            )
        )
    return Filter(
        tuple(name for name in found if name in rules.career_stages),
        tuple(name for name in found if name in rules.topics),
    )


def read_choices(text: str, names: tuple[str, ...], what: str) -> tuple[str, ...]:
    """Stages or topics typed as an answer ("early career, mid career"); () for "all". `what` is
    "career stages" or "topics"."""
    if set(_words(text)) & ALL_WORDS:
        return ()
    found, unknown = read_names(text, names)
    if unknown or not found:
        typed, listed = " ".join(unknown)[:40], ", ".join(names)
        if what == "topics":
            problem = (
                _("`{typed}` is not one of the topics: {names}, or `all`.")
                if unknown
                else _("Name one or more topics: {names}, or `all`.")
            )
        else:
            problem = (
                _("`{typed}` is not one of the career stages: {names}, or `all`.")
                if unknown
                else _("Name one or more career stages: {names}, or `all`.")
            )
        raise ResourceError(problem.format(typed=typed, names=listed) if unknown else problem.format(names=listed))
    return tuple(name for name in names if name in found)  # in the program file's order


def read_kind(text: str, rules: ResourceRules) -> str:
    found, unknown = read_names(text, rules.kinds)
    if unknown or len(found) != 1:
        raise ResourceError(_("The kind is one of {kinds}.").format(kinds=either(list(rules.kinds))))
    return found[0]


def unescape(text: str) -> str:
    """Text as typed: Slack sends &, < and > as entities."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def read_title(typed: str) -> str:
    title = " ".join(unescape(typed).split())
    if looks_like_link(title):
        raise ResourceError(_("That looks like a link. First the title people will see, like `Mentoring agreement`."))
    if len(title) < 3:
        raise ResourceError(_("Please give the resource a title of at least 3 characters."))
    if len(title) > TITLE_LENGTH:
        raise ResourceError(
            _("Please keep the title to {length} characters (this one has {count}).").format(
                length=TITLE_LENGTH, count=len(title)
            )
        )
    if "<" in title or ">" in title or not title.isprintable():
        raise ResourceError(_("Please leave the signs < and > out of the title."))
    return title


def looks_like_link(text: str) -> bool:
    """A word that is surely meant as a link (and is then checked as one): scheme://, www., or a scheme
    that is never a web page (javascript:, data:, file:, mailto:)."""
    word = text.strip().lower()
    return (
        "://" in word
        or word.startswith(("www.", "<http", "<a "))
        or word.startswith(("javascript:", "data:", "file:", "mailto:", "vbscript:"))
    )


def read_link(typed: str) -> str:
    """A web link as stored: http or https, a real host name, no user name or password, no spaces."""
    text = unescape(typed.strip())
    wrapped = SLACK_LINK.match(text) or HTML_LINK.fullmatch(text)
    text = unescape(wrapped[1].strip()) if wrapped else text
    if not text:
        raise ResourceError(_("Please paste the link, starting with https:// or http://."))
    if any(character.isspace() for character in text):
        raise ResourceError(_("A link has no spaces: please paste just the link, starting with https://."))
    if len(text) > LINK_LENGTH:
        raise ResourceError(
            _("That link is longer than {length} characters: please use a shorter one.").format(length=LINK_LENGTH)
        )
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        if not scheme or text.lower().startswith("www."):
            raise ResourceError(
                _("Please give the whole link, starting with https:// (like https://example.org/guide).")
            )
        raise ResourceError(
            _("The library only takes web links starting with https:// or http://, not `{scheme}:`.").format(
                scheme=scheme
            )
        )
    if NOT_IN_LINKS & set(text) or not text.isprintable():
        raise ResourceError(_("That link has characters a web link cannot have. Please copy it from the address bar."))
    if parts.username is not None or parts.password is not None:
        raise ResourceError(_("Please share links without a user name or password in them."))
    host = parts.hostname or ""
    labels = host.split(".")
    if len(labels) < 2 or not all(HOST_LABEL.match(label) for label in labels) or len(host) > 253:
        raise ResourceError(_("`{link}` does not name a web site people can open.").format(link=text[:60]))
    try:
        port = parts.port
    except ValueError:
        raise ResourceError(
            _("`{link}` has a port that is not a number from 0 to 65535.").format(link=text[:60])
        ) from None
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), parts.query, parts.fragment))


@dataclass(frozen=True)
class Given:
    """What a one-line `resources add` gave; None: not given, to be asked."""

    title: str | None = None
    url: str | None = None
    kind: str | None = None
    stages: tuple[str, ...] | None = None
    topics: tuple[str, ...] | None = None

    def as_data(self) -> dict[str, object]:
        """As the add dialog keeps its answers (lists for stages and topics)."""
        data: dict[str, object] = {"title": self.title, "url": self.url, "kind": self.kind}
        data["stages"] = None if self.stages is None else list(self.stages)
        data["topics"] = None if self.topics is None else list(self.topics)
        return data


QUOTED = re.compile(r"""^["“”'‘’](.+?)["“”'‘’](?=\s|$)""")
LABELS = re.compile(r"(?:^|\s)(career stages?|stages?|topics?)\s*:", re.IGNORECASE)
ONE_LINE_HINT = N_(
    'Put the title in quotes, then the link, the kind, `stages:` and `topics:`, like `resources add "Mentoring '
    'agreement" https://example.org/agreement toolkit stages: early career topics: mentoring practice`.'
)


def read_given(text: str, rules: ResourceRules) -> Given:
    """`"Title" LINK KIND stages: A, B topics: C`, in that order, each part after the title optional; an
    unquoted title runs up to the link. Without a link, the whole line is the title."""
    text = " ".join(HTML_LINK.sub(lambda link: link[1], text).split())
    quoted = QUOTED.match(text)
    if quoted:
        title, rest = quoted[1], text[quoted.end() :].strip()
    else:
        words = text.split(" ")
        at = next((i for i, word in enumerate(words) if looks_like_link(word)), len(words))
        title, rest = " ".join(words[:at]), " ".join(words[at:])
        if not rest and LABELS.search(text):
            raise ResourceError(_(ONE_LINE_HINT))
    url = None
    if rest and looks_like_link(rest.split(" ")[0]):
        link, _space, rest = rest.partition(" ")
        url = read_link(link)
    sections = LABELS.split(rest)  # [kind part, label, names, label, names, ...]
    kind = read_kind(sections[0], rules) if sections[0].strip() else None
    chosen: dict[str, tuple[str, ...]] = {}
    for label, names in zip(sections[1::2], sections[2::2], strict=True):
        step = "topics" if label.lower().startswith("topic") else "stages"
        if step in chosen:
            raise ResourceError(
                _("`{label}:` is given twice. {hint}").format(label=label.lower(), hint=_(ONE_LINE_HINT))
            )
        allowed = rules.career_stages if step == "stages" else rules.topics
        chosen[step] = read_choices(names, allowed, "career stages" if step == "stages" else "topics")
    return Given(read_title(title) if title else None, url, kind, chosen.get("stages"), chosen.get("topics"))


# The library


async def listed(session: AsyncSession, program_id: str, status: str = LISTED) -> list[Resource]:
    """A library's resources: featured first, then the newest."""
    query = (
        select(Resource)
        .where(Resource.program_id == program_id, Resource.status == status)
        .order_by(Resource.featured.desc(), Resource.added_at.desc(), Resource.number.desc())
    )
    return list((await session.execute(query)).scalars())


async def numbered(session: AsyncSession, program_id: str, number: int) -> Resource | None:
    query = select(Resource).where(Resource.program_id == program_id, Resource.number == number)
    return (await session.execute(query)).scalar_one_or_none()


async def with_link(session: AsyncSession, program_id: str, url: str) -> Resource | None:
    query = select(Resource).where(Resource.program_id == program_id, Resource.url == url)
    return (await session.execute(query)).scalar_one_or_none()


async def check_new_link(session: AsyncSession, program_id: str, url: str, *, replacing: int | None = None) -> None:
    existing = await with_link(session, program_id, url)
    if existing is not None and existing.id != replacing:
        raise DuplicateLink(existing)


async def add(session: AsyncSession, program_id: str, draft: Draft, person_id: int, now: datetime) -> Resource:
    """Store a new resource under the next free number; DuplicateLink if its link is in the library."""
    await check_new_link(session, program_id, draft.url)
    added: list[Resource] = []

    def resource(number: int) -> Resource:
        added.append(
            Resource(
                program_id=program_id,
                number=number,
                title=draft.title,
                url=draft.url,
                kind=draft.kind,
                career_stages=list(draft.stages),
                topics=list(draft.topics),
                status=LISTED,
                featured=False,
                added_by_id=person_id,
                added_at=now,
                updated_by_id=person_id,
                updated_at=now,
            )
        )
        return added[-1]

    numbers = select(Resource.number).where(Resource.program_id == program_id)
    taken = await take_numbered_place(session, numbers, LIBRARY_SIZE, resource)
    if taken == FULL:
        raise ResourceError(
            _("The library holds {count} resources, its most. Retire or edit one instead.").format(count=LIBRARY_SIZE)
        )
    if taken == CONTENDED:  # someone added at the same moment: perhaps this very link
        await check_new_link(session, program_id, draft.url)
        raise ResourceError(_("Someone added a resource at the same moment. Please try again."))
    return added[-1]


def change(resource: Resource, person_id: int, now: datetime, **values: object) -> None:
    """Set some of a resource's fields and note who changed it, and when."""
    for name, value in values.items():
        setattr(resource, name, value)
    resource.updated_by_id, resource.updated_at = person_id, now
