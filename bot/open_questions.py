"""The question a person has open (the dialog waiting for their answer), read without writing anything: a
Teams card asks again whether the question it shows is still open when it is shown (its refresh)."""

from dataclasses import dataclass

from bot.dialog import CHOICES_KEY
from bot.engine import STATE_SCHEMA_VERSION, state_key
from bot.messages import Inbound, Platform
from storage.db import Database
from storage.models import DialogState


@dataclass(frozen=True)
class OpenQuestion:
    dialog: str
    step: str
    choices: frozenset[str]  # the values of the buttons it offered

    def is_asked_by(self, dialog: str, step: str, values: frozenset[str]) -> bool:
        """Whether a message asking `step` of `dialog` with buttons of `values` asks this very question."""
        return (dialog, step) == (self.dialog, self.step) and values <= self.choices


async def open_question(db: Database, platform: Platform, account_id: str) -> OpenQuestion | None:
    """The account's open question, if any; a reading transaction, which refuses any write."""
    key = state_key(Inbound(platform=platform, account_id=account_id, conversation_id=""))
    async with db.reading() as session:
        stored = await session.get(DialogState, key)
        if stored is None or stored.schema_version != STATE_SCHEMA_VERSION:
            return None
        offered = (stored.data or {}).get(CHOICES_KEY)
        values = offered.values() if isinstance(offered, dict) else ()
        return OpenQuestion(stored.dialog, stored.step, frozenset(v for v in values if isinstance(v, str)))
