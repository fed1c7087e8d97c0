"""Why a message could not be delivered, in words a coordinator reads: the platforms' codes (Slack's
`error`, the Teams sender's reasons for 401/403/404, our own NO_ACCOUNT) turned into a sentence's end,
"their Slack account is deactivated". The outbox keeps the code (OutboxMessage.error); this is for show."""

from bot.i18n import N_, _
from bot.outbox.contract import NO_ACCOUNT

# Each in the reader's language where it is shown (reason_words): a whole clause, the request to whoever
# installed the assistant written out in each that needs it.
REASON_WORDS: dict[str, str] = {
    # Slack's chat.postMessage, conversations.open and users.lookupByEmail errors
    "account_inactive": N_("their Slack account is deactivated"),
    "user_disabled": N_("their Slack account is disabled"),
    "user_not_found": N_("Slack no longer knows their account"),
    "users_not_found": N_("no Slack account has their email"),
    "cannot_dm_bot": N_("their Slack account is a bot, which cannot get direct messages"),
    "channel_not_found": N_("Slack cannot find their chat with the assistant"),
    "not_in_channel": N_("the assistant is not in that Slack channel"),
    "is_archived": N_("that Slack channel is archived"),
    "invalid_auth": N_(
        "Slack no longer accepts the assistant's token: please ask whoever installed the assistant to check it"
    ),
    "not_authed": N_(
        "Slack no longer accepts the assistant's token: please ask whoever installed the assistant to check it"
    ),
    "token_revoked": N_(
        "the assistant's Slack token was revoked: please ask whoever installed the assistant to check it"
    ),
    "missing_scope": N_(
        "the Slack app lacks a permission it needs: please ask whoever installed the assistant to check it"
    ),
    "team_access_not_granted": N_("the Slack app is not allowed in their workspace"),
    "app_not_installed": N_("the assistant is no longer installed in their Slack workspace"),
    "ratelimited": N_("Slack asked the assistant to slow down"),
    # the Teams sender (adapters/teams/sender.py)
    "bot blocked or removed": N_("they blocked or removed the assistant in Teams"),
    "conversation not found": N_("their Teams chat with the assistant no longer exists"),
    "unauthorized": N_(
        "Teams refused the assistant's credentials: please ask whoever installed the assistant to check it"
    ),
    "http_429": N_("the platform asked the assistant to slow down"),
    # the engine and the outbox
    NO_ACCOUNT: N_("they have not written to the assistant yet and no platform knows their email"),
}


def reason_words(code: str | None) -> str:
    """ "their Slack account is deactivated"; an unknown code is named so the IT contact can look it up."""
    if code is None:
        return _("the platform did not say why")
    if code in REASON_WORDS:
        return _(REASON_WORDS[code])
    if code.startswith("http_5"):
        return _("the platform was unavailable")
    return _("the platform refused it, with the code {code}").format(code=code)
