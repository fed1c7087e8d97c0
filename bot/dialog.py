"""What a dialog works with: the Turn (one inbound message and its answers), commands and the registry.

A dialog is a module in dialogs/ that registers commands (verbs) and, when it asks something over
several turns, a Dialog that receives the answers. Dialog state is plain JSON saved with the turn.
"""

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.files import FetchFile
from bot.messages import Button, Form, Image, Inbound, OfferedFile, Reply
from bot.programs import Program, ProgramCatalog
from bot.roles import Roles
from storage.models import Account, Cohort, Person

Expects = Literal["text", "choice"]
CHOICES_KEY = "_choices"  # in ActiveDialog.data: the offered buttons' labels, so typing one clicks it
SendNow = Callable[[int, Reply], Awaitable[Account]]
# Plain text in a direct message that is no command: True if a dialog took it (the relay).
Fallback = Callable[["Turn", str], Awaitable[bool]]
# Files shared in a direct message with no words and no question open: True if a dialog took them
# (a coordinator's CSV of people).
FileHandler = Callable[["Turn"], Awaitable[bool]]


@dataclass
class ActiveDialog:
    """The dialog waiting for this conversation's next answer."""

    dialog: str
    step: str
    expects: Expects
    data: dict[str, Any] = field(default_factory=dict)

    def choice_typed(self, text: str) -> str | None:
        """The button value whose label is `text` (as typed: any case, spacing), if one was offered."""
        choices = self.data.get(CHOICES_KEY)
        return choices.get(choice_label(text)) if isinstance(choices, dict) else None


def choice_label(text: str) -> str:
    return " ".join(text.split()).casefold().rstrip(".!")


@dataclass
class Turn:
    """Everything one inbound message needs; dialogs answer through say() and ask()."""

    session: AsyncSession
    inbound: Inbound
    person: Person
    account: Account
    roles: Roles
    programs: ProgramCatalog
    registry: "Registry"
    now: datetime
    active: ActiveDialog | None
    public_url: str = "http://localhost:3978"  # where people's browsers reach this server (calendar files)
    # Delivers a message to a person at once, outside the outbox (relay); only in after_commit work.
    send_now: "SendNow | None" = None
    # Reads the bytes of a file shared with this message (the adapter's port); None where it cannot.
    fetch_file: "FetchFile | None" = None
    # A fresh transaction for after_commit work (the turn's own is over by then).
    new_transaction: Callable[[], AbstractAsyncContextManager[AsyncSession]] | None = None
    # After removing someone's data in after_commit work: leave no earlier copy of it in the database's log.
    checkpoint: Callable[[], Awaitable[None]] | None = None
    replies: list[Reply] = field(default_factory=list)
    # Work to do once the turn is committed (a relay's delivery); it may add replies with say().
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # What refuse() said last: when a form's answer is refused, shown beside the field it came from.
    refused: str | None = None

    def say(
        self,
        text: str,
        *,
        title: str | None = None,
        lines: tuple[str, ...] = (),
        buttons: tuple[Button, ...] = (),
        image: Image | None = None,
        file: OfferedFile | None = None,
    ) -> None:
        self.replies.append(Reply(text=text, title=title, lines=lines, buttons=buttons, image=image, file=file))

    def ask(
        self,
        dialog: str,
        step: str,
        text: str,
        *,
        expects: Expects = "text",
        buttons: tuple[Button, ...] = (),
        data: dict[str, Any] | None = None,
        lines: tuple[str, ...] = (),
        title: str | None = None,
    ) -> None:
        """Ask a question and wait for the answer: the dialog's state is saved with this turn.

        Typing a button's label is then the same as clicking it, even when the label is also a command
        word (asked "coach or partner?", `partner` answers the question)."""
        kept = {key: value for key, value in (data or {}).items() if key != CHOICES_KEY}
        if buttons:
            kept[CHOICES_KEY] = {choice_label(b.label): b.value for b in buttons}
        self.active = ActiveDialog(dialog, step, expects, kept)
        self.say(text, title=title, lines=lines, buttons=buttons)

    def refuse(self, text: str) -> None:
        """Say why an answer cannot be taken (nothing was changed): in a form, beside the field."""
        self.refused = text
        self.say(text)

    def show_form(self, form: Form, text: str) -> None:
        """Offer several questions at once (a Slack modal, a Teams dialog); `text` is what chat shows."""
        self.replies.append(Reply(text=text, form=form))

    def finish(self) -> None:
        self.active = None

    async def coordinated_cohorts(self, *conditions: ColumnElement[bool]) -> list[tuple[Cohort, Program]]:
        """The cohorts this person coordinates (and that meet `conditions`) whose program file is known,
        newest first within each program."""
        query = (
            select(Cohort)
            .where(self.roles.coordinated_cohorts(), *conditions)
            .order_by(Cohort.program_id, Cohort.starts_on.desc(), Cohort.id.desc())
        )
        found = []
        for cohort in (await self.session.execute(query)).scalars():
            program = self.programs.get(cohort.program_id)
            if program is not None:
                found.append((cohort, program))
        return found

    @property
    def timezone(self) -> str:
        return self.person.timezone or "UTC"


LARGEST_ROW_ID = 2**31 - 1  # PostgreSQL's integer: a larger number names no row (and would fail the query)


async def passed_on(turn: Turn) -> bool:
    """Typed text that only begins with a command word goes where other free text goes (a relay to a partner),
    if anything takes it; a slash command never does."""
    fallback = turn.registry.fallback
    return fallback is not None and not turn.inbound.is_command and await fallback(turn, turn.inbound.text)


def row_id(text: str) -> int | None:
    """The row a button's value or a typed number names: ASCII digits within the databases' integer range;
    None for anything else (a forged value, a number too large), which then names no row."""
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number <= LARGEST_ROW_ID else None


def button(dialog: str, label: str, value: str, style: Literal["default", "primary", "danger"] = "default") -> Button:
    """A button whose click comes back to `dialog` as on_action(turn, value)."""
    return Button(label=label, value=f"{dialog}:{value}", style=style)


class Dialog(Protocol):
    name: str

    async def on_text(self, turn: Turn, text: str) -> None: ...

    async def on_action(self, turn: Turn, value: str) -> None: ...


@dataclass(frozen=True)
class Command:
    verb: str
    summary: str  # one line for help
    usage: str  # e.g. "timezone [ZONE]"
    run: Callable[[Turn, str], Awaitable[None]]
    roles: frozenset[str] = frozenset()  # empty: everyone
    keeps_dialog: bool = False  # True: a quick answer that leaves the dialog in progress alone
    # True: it usually changes nothing (help), so the engine runs it in a reading transaction first, and
    # again in one that may write if it writes after all (`help me`).
    reads_only: bool = False
    # Listed only for people in a program it serves (a SIG-ALICE partner is not shown `assessment`); None: any.
    serves: Callable[[Program], bool] | None = None

    def is_for(self, roles: Roles, programs: ProgramCatalog) -> bool:
        """Whether `help` lists it for someone with these roles: a role it is for, in a program it serves."""
        if not roles.has_any(self.roles):
            return False
        if self.serves is None:
            return True
        program_ids = {e.program_id for e in roles.in_cohorts if not self.roles or e.role in self.roles}
        if not self.roles or "coordinator" in self.roles:
            program_ids |= roles.coordinator_of
        return any((program := programs.get(pid)) is not None and self.serves(program) for pid in program_ids)


def in_a_program(program: Program) -> bool:
    """For `Command.serves`: of use to anyone in some program (pairings, events, surveys), not to newcomers."""
    return True


class Registry:
    """Commands by verb and dialogs by name, filled by app.py: the engine imports no dialog."""

    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}
        self._dialogs: dict[str, Dialog] = {}
        self.fallback: Fallback | None = None
        self.file_handler: FileHandler | None = None

    def set_fallback(self, fallback: Fallback) -> None:
        if self.fallback is not None:
            raise ValueError("two dialogs claim the text that is no command")
        self.fallback = fallback

    def set_file_handler(self, handler: FileHandler) -> None:
        if self.file_handler is not None:
            raise ValueError("two dialogs claim the files shared with no words")
        self.file_handler = handler

    def add_command(self, command: Command) -> None:
        if command.verb in self._commands:
            raise ValueError(f"two commands claim the verb {command.verb!r}")
        self._commands[command.verb] = command

    def add_dialog(self, dialog: Dialog) -> None:
        if dialog.name in self._dialogs:
            raise ValueError(f"two dialogs are named {dialog.name!r}")
        self._dialogs[dialog.name] = dialog

    def command(self, verb: str) -> Command | None:
        return self._commands.get(verb)

    def dialog(self, name: str) -> Dialog | None:
        return self._dialogs.get(name)

    def commands_for(self, roles: Roles, programs: ProgramCatalog) -> list[Command]:
        """The commands someone may use and would find of use: `help` lists these."""
        return [c for c in self._commands.values() if c.is_for(roles, programs)]

    @property
    def verbs(self) -> list[str]:
        return list(self._commands)
