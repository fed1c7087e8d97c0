"""Small pure functions from a Bot Framework Activity to one neutral Inbound.

They read an activity validate.py has checked (ids and texts are strings) but stay safe on any other:
a value of the wrong type is treated as absent, never trusted.
"""

import html
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, Attachment

from bot.messages import Inbound, SharedFile

ACTION_KEY = "coaching_action"  # a button's value in its action's data (Action.Execute; Action.Submit before)
CHOICE_KEY = "coaching_choice"  # the Input.ChoiceSet used when there are too many buttons
# A file uploaded in a personal chat (it lands in the sender's OneDrive), and one shared from OneDrive or
# SharePoint. Everything else is ignored: the html copy of the message body, cards, mentions.
FILE_TYPES = ("application/vnd.microsoft.teams.file.download.info", "reference")
LINK_SCHEMES = ("https://", "http://")  # a link, never inline bytes (a data: URL); http for the Emulator


def timezone_of(activity: Activity) -> str | None:
    """The user's IANA zone: `localTimezone`, or the clientInfo entity Teams adds to messages."""
    if activity.local_timezone:
        return activity.local_timezone
    for entity in activity.entities or []:
        properties = getattr(entity, "additional_properties", None) or {}
        zone = properties.get("timezone")
        if getattr(entity, "type", None) == "clientInfo" and isinstance(zone, str) and zone:
            return zone
    return None


def is_personal(activity: Activity) -> bool:
    """A one-to-one chat with the bot: Teams says "personal"; the Emulator leaves the type unset."""
    conversation = activity.conversation
    return not conversation.is_group and conversation.conversation_type in (None, "personal")


def reference_of(activity: Activity) -> dict[str, Any]:
    """The ConversationReference (ids and service URL, no message text) for writing first later."""
    reference = TurnContext.get_conversation_reference(activity)
    reference.activity_id = None
    return reference.serialize()


def chosen_in(data: Any) -> str | None:
    """The button's value in a card action's data (or the drop-down's choice merged into it)."""
    data = data if isinstance(data, dict) else {}
    chosen = data.get(ACTION_KEY) or data.get(CHOICE_KEY)
    return chosen if isinstance(chosen, str) and chosen else None


def clicked_value(activity: Activity) -> str | None:
    """The button's value from a card's Action.Submit (an older card); None when the activity is no click
    of ours."""
    return chosen_in(activity.value)


def card_action(activity: Activity) -> tuple[str, dict[str, Any]]:
    """The verb and data of an Action.Execute (an `adaptiveCard/action` invoke); empty when malformed."""
    value = activity.value if isinstance(activity.value, dict) else {}
    action = value.get("action") if isinstance(value.get("action"), dict) else {}
    verb, data = action.get("verb"), action.get("data")
    return (verb if isinstance(verb, str) else ""), (data if isinstance(data, dict) else {})


def from_card_action(activity: Activity, action: str) -> Inbound:
    """A click on a card's Action.Execute as the engine takes a click: `action` is the button's value
    ("" for a click that carried none, which the engine answers as a stale button)."""
    return Inbound(
        platform="teams",
        account_id=activity.from_property.id,
        conversation_id=activity.conversation.id,
        action=action,
        timezone=timezone_of(activity),
        locale=activity.locale or None,
        address=reference_of(activity) if is_personal(activity) else None,
        private=is_personal(activity),
    )


def text_without_mention(activity: Activity) -> str:
    """The text with the bot's own @mention taken out (a channel message starts with it).

    botbuilder's TurnContext.remove_recipient_mention uses the mentioned name as a regular expression and
    assumes every entity's fields are there, so a name like "C++ (beta" or an odd entity would raise.
    """
    text = activity.text or ""
    for entity in activity.entities or []:
        properties = getattr(entity, "additional_properties", None) or {}
        mentioned = properties.get("mentioned")
        if str(entity.type or "").lower() != "mention" or not isinstance(mentioned, dict):
            continue
        if mentioned.get("id") != activity.recipient.id:
            continue
        tags = [properties.get("text")]
        if isinstance(mentioned.get("name"), str):
            tags += [f"<at>{mentioned['name']}</at>", f"<at>{html.escape(mentioned['name'])}</at>"]
        for tag in tags:
            if isinstance(tag, str) and tag:
                text = text.replace(tag, "")
    return text


def shared_file(attachment: Attachment) -> SharedFile | None:
    """A file or a pasted image as name and link; None for the message's html copy, cards and the rest.

    The contentUrl is the file's lasting SharePoint address; a download.info's `downloadUrl` is a
    short-lived pre-authorised link, kept only when there is nothing else.
    """
    content_type = attachment.content_type or ""
    download = None
    if content_type in FILE_TYPES:
        content = attachment.content if isinstance(attachment.content, dict) else {}
        url, name = attachment.content_url or content.get("downloadUrl"), attachment.name or "file"
        download = content.get("downloadUrl")
    elif content_type.startswith("image/"):  # pasted inline; the contentUrl is on the Bot Connector
        url, name = attachment.content_url, attachment.name or "image"
    else:
        return None
    if not isinstance(url, str) or not url.startswith(LINK_SCHEMES):
        return None
    download = download if isinstance(download, str) and download.startswith(LINK_SCHEMES) else None
    return SharedFile(name=name, url=url, download_url=download)


def files_of(activity: Activity) -> tuple[SharedFile, ...]:
    found = (shared_file(attachment) for attachment in activity.attachments or [])
    return tuple(file for file in found if file is not None)


def from_message(activity: Activity) -> Inbound:
    action = clicked_value(activity)
    text = "" if action else text_without_mention(activity)
    return Inbound(
        platform="teams",
        account_id=activity.from_property.id,
        conversation_id=activity.conversation.id,
        text=text.strip(),
        action=action,
        timezone=timezone_of(activity),
        locale=activity.locale or None,
        # Only a one-to-one chat is a private address: writing first to a channel would tell everyone.
        address=reference_of(activity) if is_personal(activity) else None,
        private=is_personal(activity),
        files=files_of(activity),
    )
