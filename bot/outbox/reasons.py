"""Why a message could not be delivered, in words a coordinator reads: the platforms' codes (Slack's
`error`, the Teams sender's reasons for 401/403/404, our own NO_ACCOUNT) turned into a sentence's end,
"their Slack account is deactivated". The outbox keeps the code (OutboxMessage.error); this is for show."""

from bot.outbox.contract import NO_ACCOUNT

IT_CONTACT = "please ask whoever installed the assistant to check it"
REASON_WORDS: dict[str, str] = {
    # Slack's chat.postMessage, conversations.open and users.lookupByEmail errors
    "account_inactive": "their Slack account is deactivated",
    "user_disabled": "their Slack account is disabled",
    "user_not_found": "Slack no longer knows their account",
    "users_not_found": "no Slack account has their email",
    "cannot_dm_bot": "their Slack account is a bot, which cannot get direct messages",
    "channel_not_found": "Slack cannot find their chat with the assistant",
    "not_in_channel": "the assistant is not in that Slack channel",
    "is_archived": "that Slack channel is archived",
    "invalid_auth": f"Slack no longer accepts the assistant's token: {IT_CONTACT}",
    "not_authed": f"Slack no longer accepts the assistant's token: {IT_CONTACT}",
    "token_revoked": f"the assistant's Slack token was revoked: {IT_CONTACT}",
    "missing_scope": f"the Slack app lacks a permission it needs: {IT_CONTACT}",
    "team_access_not_granted": "the Slack app is not allowed in their workspace",
    "app_not_installed": "the assistant is no longer installed in their Slack workspace",
    "ratelimited": "Slack asked the assistant to slow down",
    # the Teams sender (adapters/teams/sender.py)
    "bot blocked or removed": "they blocked or removed the assistant in Teams",
    "conversation not found": "their Teams chat with the assistant no longer exists",
    "unauthorized": f"Teams refused the assistant's credentials: {IT_CONTACT}",
    "http_429": "the platform asked the assistant to slow down",
    # the engine and the outbox
    NO_ACCOUNT: "they have not written to the assistant yet and no platform knows their email",
}


def reason_words(code: str | None) -> str:
    """ "their Slack account is deactivated"; an unknown code is named so the IT contact can look it up."""
    if code is None:
        return "the platform did not say why"
    if code in REASON_WORDS:
        return REASON_WORDS[code]
    if code.startswith("http_5"):
        return "the platform was unavailable"
    return f"the platform refused it, with the code {code}"
