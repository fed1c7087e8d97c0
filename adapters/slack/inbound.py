"""Small pure functions from Slack payloads to one neutral Inbound. The payloads have passed
adapters/slack/payloads.py `screen`, so each field read here has the type Slack gives it."""

from typing import Any

from bot.messages import Inbound, SharedFile

BUTTON_ACTION_PREFIX = "coaching:"
# A button that opens a form: its click leaves the message as it was (the question stays for chat).
FORM_ACTION_PREFIX = f"{BUTTON_ACTION_PREFIX}form-"
UNUSABLE_FILE_MODES = ("tombstone", "hidden_by_limit")  # deleted, or beyond a free workspace's history
LINK_SCHEMES = ("https://", "http://")


def account_id(team_id: str | None, user_id: str) -> str:
    """Slack user ids are unique per workspace; the team keeps two workspaces apart."""
    return f"{team_id or '-'}:{user_id}"


def user_of(account: str) -> str:
    return account.split(":", 1)[1]


def from_slash_command(body: dict[str, Any]) -> Inbound:
    return Inbound(
        platform="slack",
        account_id=account_id(body.get("team_id"), body["user_id"]),
        conversation_id=body.get("channel_id") or body["user_id"],
        text=body.get("text") or "",
        is_command=True,
    )


def is_person_dm(event: dict[str, Any]) -> bool:
    """A direct message a person typed to the bot (not an edit, a join, or a bot's own message)."""
    return (
        event.get("type") == "message"
        and event.get("channel_type") == "im"
        and event.get("subtype") in (None, "file_share")  # not edits, joins or bot posts
        and not event.get("bot_id")
        and bool(event.get("user"))
    )


def shared_file(file: dict[str, Any]) -> SharedFile | None:
    """A Slack file object as name and link: the permalink opens it in Slack, url_private needs a token."""
    if file.get("mode") in UNUSABLE_FILE_MODES:
        return None
    url = file.get("permalink") or file.get("url_private")
    if not isinstance(url, str) or not url.startswith(LINK_SCHEMES):
        return None  # e.g. a Slack Connect file shown only as `file_access: check_file_info`
    download = file.get("url_private_download") or file.get("url_private")
    download = download if isinstance(download, str) and download.startswith(LINK_SCHEMES) else None
    return SharedFile(name=str(file.get("name") or file.get("title") or "file"), url=url, download_url=download)


def files_of(event: dict[str, Any]) -> tuple[SharedFile, ...]:
    """The files shared with a message (a `file_share` event lists them in `files`)."""
    found = (shared_file(file) for file in event.get("files") or [] if isinstance(file, dict))
    return tuple(file for file in found if file is not None)


def from_dm_event(body: dict[str, Any]) -> Inbound:
    event = body["event"]
    return Inbound(
        platform="slack",
        account_id=account_id(body.get("team_id") or event.get("team"), event["user"]),
        conversation_id=event["channel"],
        text=event.get("text") or "",
        event_id=body.get("event_id"),
        thread_id=event.get("thread_ts"),
        files=files_of(event),
    )


def from_block_action(body: dict[str, Any]) -> Inbound | None:
    """A click on one of our buttons; None for anything else (a link, someone else's element). Slack sends
    one action per click; bolt matches its listeners on the first."""
    action = body["actions"][0]
    if not str(action.get("action_id", "")).startswith(BUTTON_ACTION_PREFIX) or "value" not in action:
        return None
    user = body["user"]
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or user["id"]
    team = (body.get("team") or {}).get("id") or user.get("team_id")
    return Inbound(
        platform="slack",
        account_id=account_id(team, user["id"]),
        conversation_id=channel,
        action=action["value"],
    )
