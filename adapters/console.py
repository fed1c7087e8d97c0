"""The terminal chat: numbered text rendering (also the plain fallback) and a read-eval-print loop.
A terminal shows no pictures: a reply's image is saved as a file, and its path and description shown."""

import asyncio
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from bot import jobs
from bot.config import DIALOG_IDLE_DAYS
from bot.engine import Engine
from bot.i18n import N_, _, speaking
from bot.messages import Button, Image, Inbound, Profile, Reply, written_in
from bot.outbox import OutboxWorker, person_of_account
from bot.scheduler import Scheduler
from storage.models import Account

CONSOLE = "console"
IMAGE_FOLDER = Path(tempfile.gettempdir()) / "coaching-assistant"
# Said as the terminal starts, before anyone is known: English.
CHATTING_AS = N_("Chatting as {email}. Type `help`, or `quit` to leave.")


def render(reply: Reply, first_number: int = 1) -> str:
    """A reply as text, its buttons numbered from `first_number` so the person can type the number."""
    parts = [f"*{reply.title}*"] if reply.title else []
    if reply.text:
        parts.append(reply.text)
    parts.extend(f"  - {line}" for line in reply.lines)
    parts.extend(f"  [{first_number + i}] {b.label}" for i, b in enumerate(reply.buttons))
    return "\n".join(parts)


def save_image(image: Image, folder: Path) -> Path:
    """Write the image into `folder` under its own name, numbered (`name-2.png`) if that name is taken;
    never over another file. Sync file I/O: async code calls it through asyncio.to_thread."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # reports are for the person at this terminal
    name = Path(image.name).name or "image.png"  # a bare file name: nothing outside the folder
    stem, suffix = Path(name).stem, Path(name).suffix
    number = 1
    while True:
        path = folder / (name if number == 1 else f"{stem}-{number}{suffix}")
        try:
            with path.open("xb") as file:  # "x": fails if it exists, even if made a moment ago
                file.write(image.data)
            return path
        except FileExistsError:
            number += 1


class ConsoleDirectory:
    """The person is who `--user` says: the terminal is trusted like a local admin shell."""

    def __init__(self, email: str) -> None:
        self.email = email

    async def lookup(self, account_id: str) -> Profile | None:
        return Profile(email=self.email)


class ConsoleChat:
    """One person chatting in the terminal. Typing a shown number clicks that button."""

    def __init__(
        self,
        engine: Engine,
        email: str,
        write: Callable[[str], None] = print,
        *,
        image_folder: Path = IMAGE_FOLDER,  # where pictures in replies are saved
        dialog_idle_days: int = DIALOG_IDLE_DAYS,
    ) -> None:
        self.engine, self.email, self.write = engine, email.strip().lower(), write
        self.image_folder = image_folder
        self.directory = ConsoleDirectory(self.email)
        self.buttons: list[Button] = []
        # The terminal has no push: messages for this person are shown after each turn.
        self.outbox = OutboxWorker(engine.db, {CONSOLE: self}, lambda: engine.clock())
        self.scheduler = Scheduler(
            engine.db, engine.programs, jobs.ALL, lambda: engine.clock(), dialog_idle_days=dialog_idle_days
        )

    def inbound_for(self, typed: str) -> Inbound:
        typed = typed.strip()
        if typed.isdigit() and 1 <= int(typed) <= len(self.buttons):
            return Inbound(CONSOLE, self.email, CONSOLE, action=self.buttons[int(typed) - 1].value)
        return Inbound(CONSOLE, self.email, CONSOLE, text=typed)

    async def say(self, typed: str) -> list[Reply]:
        replies = await self.engine.handle(self.inbound_for(typed), self.directory)
        self.buttons = []
        await self.show(replies)
        await self.scheduler.run_due()  # no server may be running: what came due goes now
        person_id = await person_of_account(self.engine.db, CONSOLE, self.email)
        if person_id is not None:
            await self.outbox.run_once(person_id)
        return replies

    async def show(self, replies: Sequence[Reply]) -> None:
        for reply in replies:
            self.write(render(reply, len(self.buttons) + 1))
            self.buttons.extend(reply.buttons)
            if reply.image is not None:
                path = await asyncio.to_thread(save_image, reply.image, self.image_folder)
                with speaking(written_in([reply])):
                    saved = _("Chart saved: {path} ({description})").format(path=path, description=reply.image.alt)
                self.write(saved)

    async def send(self, account: Account, replies: list[Reply], key: str | None) -> None:
        """The outbox's way to this terminal: show the message now."""
        with speaking(written_in(replies)):
            self.write(_("(a message for you)"))
        await self.show(replies)

    async def delivered(self, account: Account, key: str, since: datetime) -> bool | None:
        return None  # the terminal keeps no history to look in

    async def run(self) -> None:
        self.write(_(CHATTING_AS).format(email=self.email))
        await self.say("help")
        while True:
            typed = await asyncio.to_thread(_read_line)
            if typed is None or typed.strip().lower() in ("quit", "exit"):
                return
            if typed.strip():
                await self.say(typed)


def _read_line() -> str | None:
    try:
        return input("> ")
    except EOFError:
        return None
    finally:
        sys.stdout.flush()
