"""Who a Teams account is: the member look-up (email, name), shared by messages and invokes."""

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo

from bot.messages import Profile


class TeamsDirectory:
    """Teams member look-up (email, name). The Emulator has none, so there a name with @ is the email.

    Other Bot Framework channels (Web Chat, Direct Line) let the client choose its own name: they give
    no email, since trusting one would let anyone claim to be anyone.
    """

    def __init__(self, turn_context: TurnContext) -> None:
        self.turn_context = turn_context

    async def lookup(self, account_id: str) -> Profile | None:
        activity = self.turn_context.activity
        if activity.channel_id == "emulator":
            name = activity.from_property.name or ""
            return Profile(email=name if "@" in name else None, display_name=name.split("@")[0] or None)
        if activity.channel_id != "msteams":
            return Profile(email=None)
        member = await TeamsInfo.get_member(self.turn_context, account_id)
        return Profile(email=member.email or _email_like_upn(member.user_principal_name), display_name=member.name)


def _email_like_upn(upn: str | None) -> str | None:
    """A guest's UPN (`name_example.org#EXT#@tenant.onmicrosoft.com`) is not their email."""
    return upn if upn and "#EXT#" not in upn.upper() else None
