"""Neutral message types. Adapters turn platform payloads into an Inbound and render a Reply natively."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.i18n import N_, _, reading

Platform = Literal["slack", "teams", "console"]
PLATFORM_NAMES = {"slack": "Slack", "teams": "Teams", "console": N_("the terminal")}  # as people read them


def platform_name(platform: str) -> str:
    """ "Slack", "Teams", "the terminal" in the reader's language; an unknown platform as it is."""
    return _(PLATFORM_NAMES.get(platform, platform))


def either(words: list[str]) -> str:
    """Alternatives as a sentence says them: "coach", "coach or partner", "a, b or c"."""
    if len(words) < 2:
        return words[0]
    return _("{some} or {last}").format(some=_(", ").join(words[:-1]), last=words[-1])


def all_of(words: Sequence[str]) -> str:
    """Things together as a list says them: "", "coach", "coach and partner", "a, b and c"."""
    if len(words) < 2:
        return "".join(words)
    return _("{some} and {last}").format(some=_(", ").join(words[:-1]), last=words[-1])


def each_of(words: Sequence[str]) -> str:
    """Things together, each joined by "and": "", "Slack", "Slack and Teams", "a and b and c"."""
    joined = words[0] if words else ""
    for word in words[1:]:
        joined = _("{some} and {last}").format(some=joined, last=word)
    return joined


@dataclass(frozen=True)
class SharedFile:
    """A file someone shared in the chat: its name and a link to it (the bytes stay on the platform)."""

    name: str
    url: str
    # Where the bytes can be downloaded with the platform's credentials (Slack url_private, a Teams
    # download link), when it differs from `url`; read only through the adapter's FetchFile.
    download_url: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Inbound:
    """One thing a person did: typed text, a slash command, or a click on one of our buttons."""

    platform: Platform
    account_id: str  # the platform's stable id for the person (Slack "T1:U1", Teams "29:...")
    conversation_id: str  # where to answer: DM channel, Teams conversation, "console"
    text: str = ""
    action: str | None = None  # the opaque value of a Button this person clicked
    is_command: bool = False  # arrived as a slash command, so `text` holds only its arguments
    event_id: str | None = None  # the platform's delivery id, to recognise a retried delivery
    timezone: str | None = None  # IANA zone the platform reported with this message, if any
    locale: str | None = None  # the language the platform reported with this message ("km-KH"), if any
    thread_id: str | None = None
    # How to write to this person first, later (Teams ConversationReference); opaque to the engine.
    address: dict[str, Any] | None = None
    # False in a channel or group chat where the answer would be seen by others (Teams channels;
    # Slack answers slash commands privately, so Slack is always private).
    private: bool = True
    files: tuple[SharedFile, ...] = ()  # files shared with this message (Slack file, Teams attachment)
    form: "FormAnswers | None" = None  # a form sent in (a Slack modal, a Teams dialog)


@dataclass(frozen=True)
class Profile:
    """What a platform's directory says about an account (Slack users.info, Teams member look-up)."""

    email: str | None
    display_name: str | None = None
    timezone: str | None = None
    locale: str | None = None  # the language the person reads the platform in ("en-US", "km-KH")


@dataclass(frozen=True)
class Button:
    label: str
    value: str  # opaque to adapters: comes back unchanged as Inbound.action
    style: Literal["default", "primary", "danger"] = "default"
    # Its click answers with a Form (Reply.form): Teams must ask for a dialog (task/fetch) to show one.
    opens_form: bool = False


FieldKind = Literal["text", "long_text", "choice", "date", "time", "link"]


@dataclass(frozen=True)
class FormField:
    """One question of a form; its answer goes to the dialog as if typed (or clicked, for a choice) when
    the dialog asks the question named `step`, or fills `{step}` in the form's `start`."""

    step: str
    label: str
    kind: FieldKind = "text"
    choices: tuple[Button, ...] = ()  # a choice's options: the buttons the question offers in chat
    optional: bool = False
    hint: str | None = None
    initial: str | None = None
    max_length: int = 3000
    # Given next if the dialog asks the same question again after taking the answer: "done" after a
    # link, where chat would ask for another file.
    then: str | None = None


@dataclass(frozen=True)
class Form:
    """Several questions of one dialog at once, shown as a Slack modal or a Teams dialog. It drives the same
    dialog as chat does: `start` (a button value, or a command with `{step}` placeholders) begins it, then
    each answer is given when the dialog asks for it. Chat keeps working without it."""

    title: str  # at most 24 characters (Slack's modal title)
    start: str
    fields: tuple[FormField, ...]
    submit: str = N_("Send")


@dataclass(frozen=True)
class FormAnswers:
    """A sent form: its start and each field's answer by step ("" for one left empty), with the fields'
    `then` by step (the adapter keeps them from the Form it showed)."""

    start: str
    answers: tuple[tuple[str, str], ...]
    then: tuple[tuple[str, str], ...] = ()

    @staticmethod
    def of(form: "Form", answers: dict[str, str]) -> "FormAnswers":
        """The answers to `form`, in its fields' order; steps it does not have are dropped."""
        given = tuple((field.step, answers.get(field.step, "")) for field in form.fields)
        then = tuple((field.step, field.then) for field in form.fields if field.then)
        return FormAnswers(form.start, given, then)

    def get(self, step: str) -> str:
        return next((value for name, value in self.answers if name == step), "")


@dataclass(frozen=True)
class Image:
    """A picture sent with a reply: a server-rendered PNG (charts in reports)."""

    name: str  # file name, e.g. "report-aahsl-2026-11-23.png"
    data: bytes  # PNG bytes
    alt: str  # what it shows, in words (screen readers, notifications, the terminal)


@dataclass(frozen=True)
class OfferedFile:
    """A file the assistant offers with a reply (a session's calendar invitation). The reply's text keeps
    its link, which Slack and the terminal show; Teams offers the file itself, to be accepted into the
    person's OneDrive. The bytes are made again from `ref` when accepted (bot/offered_files.py), for a
    person who may still have them: `ref` names the file, never what it holds."""

    name: str  # the file name, e.g. "session-42.ics"
    description: str  # what it is, in words, without anything said in a session
    size: int  # bytes, shown before the person accepts
    ref: str  # what the file is made from, e.g. "calendar:session:42"


@dataclass(frozen=True)
class Reply:
    """One message from the assistant. Platforms show buttons natively; the console numbers them."""

    text: str
    title: str | None = None
    lines: tuple[str, ...] = ()  # a list shown under the text (bullets on Slack and Teams)
    buttons: tuple[Button, ...] = field(default_factory=tuple)
    image: Image | None = None  # only in a direct answer: the outbox refuses replies with images
    file: OfferedFile | None = None  # a file offered with this message (Teams asks the person's consent)
    form: Form | None = None  # shown at once where the platform can (a click or slash command on Slack)
    # A form's answers refused, by step: the adapter shows each beside its field and nothing was changed.
    field_errors: tuple[tuple[str, str], ...] = ()
    # A question the person must come back to (an application, a survey): kept in their DM with the
    # assistant, not only in an answer the platform may not keep (Slack's ephemeral messages).
    keep_in_dm: bool = False
    # The language it is written in (its reader's, as the turn or `speaking` set it): an adapter writes its
    # own words around it (a button's "✓ chosen", a form's Submit) in the same language.
    language: str = field(default_factory=reading, compare=False)

    def plain_text(self) -> str:
        """The reply as plain text, for notifications and platforms without rich layout."""
        parts = [self.title] if self.title else []
        parts.append(self.text)
        parts.extend(f"• {line}" for line in self.lines)
        return "\n".join(part for part in parts if part)


def written_in(replies: Sequence["Reply"]) -> str:
    """The language replies were written in, for an adapter's own words beside them (a card's Send, "✓
    chosen"): a turn's replies reach the adapter after the engine's turn, and its language, have ended."""
    return replies[0].language if replies else reading()
