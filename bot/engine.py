"""The dialog engine: one Inbound in, Replies out, with identity, routing and state in one transaction."""

import asyncio
import copy
import dataclasses
import logging
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import forms, i18n, identity, metrics
from bot.clock import Clock, system_clock
from bot.commands import parse, suggest
from bot.dialog import ActiveDialog, Registry, Turn
from bot.files import FetchFile
from bot.i18n import N_, _, language_typed, role_word
from bot.messages import Inbound, Profile, Reply, either, platform_name
from bot.outbox import NO_ACCOUNT, DeliveryError, Sender, latest_accounts
from bot.programs import ProgramCatalog
from bot.roles import Roles, joined_roles, load_roles, roles_from_rows
from storage.db import Database, WriteRefused
from storage.models import Account, DialogState, Person, ProcessedEvent

log = logging.getLogger(__name__)

STATE_SCHEMA_VERSION = 1
PROFILE_LOOKUP_TIMEOUT = 2.0  # seconds; Slack wants its answer within 3
SEND_NOW_TIMEOUT = 8.0  # seconds a message delivered during a turn (a relay) may take

ESCAPE_VERBS = ("cancel", "help")  # work even while a dialog waits for free text
LANGUAGE_VERB = "language"  # so does `language km`: the question stays open, asked again in Khmer
IN_PRIVATE_ONLY = N_(
    "I keep coaching matters private, so I only answer in a one-to-one chat. Open a chat with me and type `help` there."
)
HELP_HINT = N_("Type `help` to see what you can do.")
STALE_BUTTON = N_("That button is from an older conversation I can no longer continue. Type `help` to start again.")
SORRY = N_("Sorry, something went wrong on my side and nothing was changed. Please try again in a moment.")


def state_key(inbound: Inbound) -> str:
    """One dialog in progress per platform account: a question asked after a slash command in a channel
    can be answered in the person's direct message with the assistant, where files can be shared."""
    return f"{inbound.platform}:{inbound.account_id}"


@dataclass
class Engine:
    db: Database
    registry: Registry
    programs: ProgramCatalog
    clock: Clock = system_clock
    public_url: str = "http://localhost:3978"
    # The platforms this process can write to at once (app.py fills it): relayed messages go this way,
    # never through the outbox, so their text is never written down.
    senders: dict[str, Sender] = field(default_factory=dict)
    # How each platform hands over the bytes of a shared file (app.py fills it from the adapters).
    fetchers: dict[str, FetchFile] = field(default_factory=dict)

    async def handle(self, inbound: Inbound, directory: identity.Directory) -> list[Reply]:
        """Run one turn. Everything it changes is committed before the replies are returned.

        A failure rolls the whole turn back and the person gets an apology, never a stack trace.
        """
        started = time.perf_counter()
        try:
            with i18n.speaking(i18n.language_of_locale(inbound.locale)):  # the person's own, once known
                return await self._answer(inbound, directory)
        finally:
            metrics.turn_done(inbound, time.perf_counter() - started)

    async def _answer(self, inbound: Inbound, directory: identity.Directory) -> list[Reply]:
        if not inbound.private:
            log.info("turn kind=shared-conversation platform=%s", inbound.platform)
            return [Reply(_(IN_PRIVATE_ONLY))]
        try:
            return await self._turn(inbound, directory)
        except Exception as exc:
            # Only the type and place: an exception's message can quote what the person typed.
            log.error("turn failed platform=%s error=%s at %s", inbound.platform, type(exc).__name__, fault_place(exc))
            metrics.turn_failed(inbound.platform)
            return [Reply(_(SORRY))]

    async def _turn(self, inbound: Inbound, directory: identity.Directory) -> list[Reply]:
        try:
            outcome = await self._run(inbound, profile=None, lookup_failed=False)
            if outcome is None:  # a new or stale account: ask the platform outside any transaction
                profile, lookup_failed = await self._lookup(inbound, directory)
                outcome = await self._run(inbound, profile=profile, lookup_failed=lookup_failed)
        except forms.FormRefused as refused:  # raised inside the transaction, so nothing of the form stayed
            log.info("turn kind=form-refused fields=%d", len(refused.errors))
            return [forms.refused_reply(refused.errors)]
        assert outcome is not None
        if isinstance(outcome, Turn):  # committed: now what the turn left for afterwards (a relay)
            for work in outcome.after_commit:
                await work()
            return outcome.replies or [_unanswered(inbound)]
        return outcome

    async def send_now(self, person_id: int, reply: Reply) -> Account:
        """Deliver to the person's latest account at once, outside the outbox; raises DeliveryError."""
        async with self.db.transaction() as session:
            account = (await latest_accounts(session, {person_id}, list(self.senders))).get(person_id)
        if account is None:
            raise DeliveryError(NO_ACCOUNT, permanent=True)
        await asyncio.wait_for(self.senders[account.platform].send(account, [reply], None), SEND_NOW_TIMEOUT)
        return account

    async def _run(
        self, inbound: Inbound, *, profile: Profile | None, lookup_failed: bool
    ) -> Turn | list[Reply] | None:
        """The turn in one transaction; None when the platform must be asked about the account first.

        A command that usually changes nothing (`help`) runs first in a reading transaction, which on SQLite
        waits for no writer. If it tries to write after all, nothing was written and it runs again from the
        start in a transaction that may write: a dialog's only effects within a turn are its reads and its
        replies (deliveries wait for after_commit), so running it twice is safe.
        """
        now = self.clock()
        if self._reads_only(inbound, profile):
            try:
                async with self.db.reading() as session:
                    return await self._in_transaction(session, inbound, profile, lookup_failed, now)
            except WriteRefused:
                log.info("turn kind=read-then-write platform=%s", inbound.platform)
        async with self.db.transaction() as session:
            return await self._in_transaction(session, inbound, profile, lookup_failed, now)

    def _reads_only(self, inbound: Inbound, profile: Profile | None) -> bool:
        """Whether the turn is likely to write nothing: a known account's command marked reads_only (a new
        profile, a click and an event to record for retries all write)."""
        if profile is not None or inbound.action is not None or inbound.event_id is not None:
            return False
        command = self.registry.command(parse(inbound.text, is_command=inbound.is_command).verb)
        return command is not None and command.reads_only

    async def _in_transaction(
        self, session: AsyncSession, inbound: Inbound, profile: Profile | None, lookup_failed: bool, now: datetime
    ) -> Turn | list[Reply] | None:
        found = await _load(session, inbound, self.programs)
        account = found.account if found else None
        if profile is None and not lookup_failed and identity.needs_profile(account, now):
            return None
        if inbound.event_id and not await _first_delivery(session, inbound, now):
            log.info("duplicate delivery ignored platform=%s", inbound.platform)
            return []
        seen_moves = found.seen_moves if found else True
        linked = await identity.link(session, inbound, account, profile, now, seen_moves=seen_moves)
        if linked is None:
            return [_cannot_link(inbound, lookup_failed)]
        person, account = linked
        i18n.switch_to(person.language)
        stored = found.state if found else await session.get(DialogState, state_key(inbound))
        turn = Turn(
            session=session,
            inbound=inbound,
            person=person,
            account=account,
            roles=found.roles if found else await load_roles(session, person, self.programs),
            programs=self.programs,
            registry=self.registry,
            now=now,
            active=_active(stored),
            public_url=self.public_url,
            send_now=self.send_now,
            fetch_file=self.fetchers.get(inbound.platform),
            new_transaction=self.db.transaction,
            checkpoint=self.db.checkpoint,
        )
        asked_before = turn.active
        await self._route(turn)
        await _save_state(session, turn, stored)
        if turn.active is not asked_before:  # a question asked in this turn (a quick `me` asks none)
            self._keep_in_dm(turn)
        return turn

    async def _lookup(self, inbound: Inbound, directory: identity.Directory) -> tuple[Profile | None, bool]:
        """The platform's profile of the account; (None, True) when the platform could not be asked."""
        try:
            async with asyncio.timeout(PROFILE_LOOKUP_TIMEOUT):
                profile = await directory.lookup(inbound.account_id)
        except Exception as exc:  # a directory outage must not stop a known person from working
            log.warning("profile look-up failed platform=%s error=%s", inbound.platform, type(exc).__name__)
            return None, True
        return profile, profile is None

    def _keep_in_dm(self, turn: Turn) -> None:
        """A question of a dialog people come back to (an application, a survey) is kept in their DM."""
        active = turn.active
        dialog = self.registry.dialog(active.dialog) if active is not None else None
        if dialog is not None and getattr(dialog, "lasting", False):
            turn.replies = [dataclasses.replace(reply, keep_in_dm=True) for reply in turn.replies]

    async def _route(self, turn: Turn) -> None:
        inbound = turn.inbound
        if inbound.form is not None:
            await forms.fill(turn, inbound.form, self._on_click, self.registry.dialog)
            return
        if inbound.action is not None:
            await self._on_click(turn, inbound.action)
            return
        parsed = parse(inbound.text, is_command=inbound.is_command)
        active = turn.active
        chosen = active.choice_typed(inbound.text) if active is not None and not parsed.explicit else None
        if chosen is not None:  # typing a button's label clicks it, even a label that is a command word
            await self._on_click(turn, chosen)
            return
        command = self.registry.command(parsed.verb)
        if active is not None and self._answer_goes_to_dialog(
            active, parsed.verb, command is not None, parsed.explicit, parsed.args
        ):
            dialog = self.registry.dialog(active.dialog)
            if dialog is not None:
                text = inbound.text if not parsed.explicit else f"{parsed.verb} {parsed.args}".strip()
                log.info("turn kind=answer dialog=%s step=%s length=%d", active.dialog, active.step, len(text))
                await dialog.on_text(turn, text)
                return
            turn.finish()
        handler = self.registry.file_handler
        if command is None and not parsed.verb and inbound.files and handler is not None and await handler(turn):
            log.info("turn kind=files count=%d", len(inbound.files))
            return
        if command is None:
            fallback = self.registry.fallback
            if fallback is not None and not inbound.is_command and await fallback(turn, inbound.text):
                return
            log.info("turn kind=unknown length=%d", len(inbound.text))
            self._unknown(turn, parsed.verb)
            return
        log.info("turn kind=command verb=%s", command.verb)
        if not turn.roles.has_any(command.roles):
            only = _("Only a {roles} can use `{verb}`.").format(roles=role_words(command.roles), verb=command.verb)
            turn.say(f"{only} {_(HELP_HINT)}")
            return
        if not command.keeps_dialog and turn.active is not None:
            turn.finish()  # a new command replaces the question left open
        await command.run(turn, parsed.args)

    @staticmethod
    def _answer_goes_to_dialog(active: ActiveDialog, verb: str, is_verb: bool, explicit: bool, args: str) -> bool:
        """Free text belongs to the open question unless it is clearly a command (or starts the same
        conversation again: "book Friday 10am" while booking asks for a time). "cancel", "help" and
        "help me" alone always escape; "Help us welcome Dana" typed as an answer is an answer."""
        has_args = bool(args) and not (verb == "help" and args.lower() == "me")
        if not is_verb:
            return True
        if explicit or verb == active.dialog:
            return False
        if verb == LANGUAGE_VERB and language_typed(args) is not None:  # `language km` mid-question switches
            return False
        return active.expects == "text" and (verb not in ESCAPE_VERBS or has_args)

    async def _on_click(self, turn: Turn, action: str) -> None:
        dialog_name, _colon, value = action.partition(":")
        dialog = self.registry.dialog(dialog_name)
        log.info("turn kind=click dialog=%s", dialog_name if dialog else "unknown")
        if dialog is None:
            turn.refuse(_(STALE_BUTTON))
            return
        command = self.registry.command(dialog_name)  # a dialog's buttons are for whoever may run its command
        if command is not None and not turn.roles.has_any(command.roles):
            log.info("turn kind=click-refused dialog=%s", dialog_name)
            refused = _("That button is for a {roles}, so nothing was changed.").format(roles=role_words(command.roles))
            turn.refuse(f"{refused} {_(HELP_HINT)}")
            return
        await dialog.on_action(turn, value)

    def _unknown(self, turn: Turn, verb: str) -> None:
        name = turn.person.display_name
        if not verb:
            turn.say(_("Hi {name}! Type `help` to see what I can do for you.").format(name=name))
            return
        allowed = [c.verb for c in self.registry.commands_for(turn.roles, turn.programs)]
        guess = suggest(verb, allowed)
        unknown = _("I don't know `{verb}`.").format(verb=verb[:40])
        hint = _("Did you mean `{guess}`?").format(guess=guess) if guess else ""
        turn.say(" ".join(part for part in (unknown, hint, _(HELP_HINT)) if part))


@dataclass(frozen=True)
class _Found:
    """A known account as the turn's first query reads it (its person goes into the session with it)."""

    account: Account
    person: Person  # held here: the session keeps loaded objects only while something refers to them
    state: DialogState | None  # the dialog in progress for this account, if any
    seen_moves: bool  # identity.seen_must_move(): whether this turn must move last_seen_at
    roles: Roles


# Built once: building this statement costs SQLAlchemy more than SQLite takes to run it (about 2 ms).
LOAD_QUERY = joined_roles(
    select(Account, Person, DialogState, identity.seen_must_move())
    .join(Person, Person.id == Account.person_id)
    .outerjoin(DialogState, DialogState.key == bindparam("state_key"))
    .where(Account.platform == bindparam("platform"), Account.external_id == bindparam("external_id")),
    Account.person_id,
)


async def _load(session: AsyncSession, inbound: Inbound, programs: ProgramCatalog) -> _Found | None:
    """The account, its person, their roles and the dialog state in one query (each statement is a trip to
    the database, and on SQLite four hops to its thread); None for an account not linked yet."""
    keys = {"state_key": state_key(inbound), "platform": inbound.platform, "external_id": inbound.account_id}
    rows = (await session.execute(LOAD_QUERY, keys)).all()
    if not rows:
        return None
    account, person, state, seen_moves = rows[0][:4]
    return _Found(account, person, state, bool(seen_moves), roles_from_rows(person, rows, programs))


async def _first_delivery(session: AsyncSession, inbound: Inbound, now: datetime) -> bool:
    """Record the platform's delivery id; False if it was applied before (a retry)."""
    assert inbound.event_id is not None
    try:
        async with session.begin_nested():
            session.add(ProcessedEvent(platform=inbound.platform, event_id=inbound.event_id, received_at=now))
    except IntegrityError:
        return False
    return True


def _active(stored: DialogState | None) -> ActiveDialog | None:
    if stored is None or stored.schema_version != STATE_SCHEMA_VERSION:
        return None
    expects = "choice" if stored.expects == "choice" else "text"
    # A deep copy: a dialog changing its data in place must not change what _save_state compares with.
    return ActiveDialog(stored.dialog, stored.step, expects, copy.deepcopy(stored.data))


async def _save_state(session: AsyncSession, turn: Turn, stored: DialogState | None) -> None:
    """Write the dialog's state if it changed; a turn that leaves it as it was (`help`) writes nothing."""
    active = turn.active
    if active is None:
        if stored is not None:
            await session.delete(stored)
        return
    if stored is not None and _unchanged(stored, active):
        return
    if stored is None:
        stored = DialogState(key=state_key(turn.inbound), person_id=turn.person.id)
        session.add(stored)
    stored.dialog, stored.step, stored.expects = active.dialog, active.step, active.expects
    stored.data, stored.schema_version, stored.updated_at = dict(active.data), STATE_SCHEMA_VERSION, turn.now


def role_words(roles: frozenset[str] | set[str] | tuple[str, ...]) -> str:
    """ "coach or partner": the roles a command is for, as a sentence names them."""
    return either([role_word(role) for role in sorted(roles)])


def fault_place(error: BaseException) -> str:
    """Where an error was raised, as `file.py:line`: what a log line may say of it besides its type."""
    frames = traceback.extract_tb(error.__traceback__)
    return f"{frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else "unknown"


def _unanswered(inbound: Inbound) -> Reply:
    """Every message gets an answer. A click a dialog does not know (an old, forged or malformed value)
    is a stale button; typed text that nothing answered is a gap to close, logged as one."""
    if inbound.action is not None:
        log.info("turn kind=stale-click platform=%s", inbound.platform)
        return Reply(_(STALE_BUTTON))
    log.warning("turn kind=unanswered platform=%s", inbound.platform)
    return Reply(_("I'm not sure what to do with that.") + " " + _(HELP_HINT))


def _unchanged(stored: DialogState, active: ActiveDialog) -> bool:
    return (stored.dialog, stored.step, stored.expects, stored.data, stored.schema_version) == (
        active.dialog,
        active.step,
        active.expects,
        active.data,
        STATE_SCHEMA_VERSION,
    )


def _cannot_link(inbound: Inbound, lookup_failed: bool) -> Reply:
    platform = platform_name(inbound.platform)
    if lookup_failed:
        return Reply(
            _("I couldn't reach {platform} to look up your profile just now. Please try again in a minute.").format(
                platform=platform
            )
        )
    return Reply(
        _(
            "I couldn't read an email address from your {platform} profile, and I need it to know who you "
            "are in your programs. Please ask your workspace administrator to make your email visible to apps."
        ).format(platform=platform)
    )
