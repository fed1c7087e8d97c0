"""Small pure functions from a Bot Framework Activity to one neutral Inbound."""

from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, Attachment

from bot.messages import Inbound, SharedFile

ACTION_KEY = "coaching_action"  # Action.Submit data of a button
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
        if getattr(entity, "type", None) == "clientInfo" and properties.get("timezone"):
            return str(properties["timezone"])
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


def clicked_value(activity: Activity) -> str | None:
    value = activity.value if isinstance(activity.value, dict) else {}
    chosen = value.get(ACTION_KEY) or value.get(CHOICE_KEY)
    return str(chosen) if chosen else None


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
    text = "" if action else TurnContext.remove_recipient_mention(activity) or activity.text or ""
    return Inbound(
        platform="teams",
        account_id=activity.from_property.id,
        conversation_id=activity.conversation.id,
        text=text.strip(),
        action=action,
        timezone=timezone_of(activity),
        # Only a one-to-one chat is a private address: writing first to a channel would tell everyone.
        address=reference_of(activity) if is_personal(activity) else None,
        private=is_personal(activity),
        files=files_of(activity),
    )
