"""Files sent the Teams way, in a personal chat: a FileConsentCard asks the person, and their answer arrives
as the invoke `fileConsent/invoke`. On accept the bytes are PUT to the upload session Teams opened in
their OneDrive, then a FileInfoCard shows the file; on decline nothing is sent.

The card's context holds only the file's ref (bot/offered_files.py), never its content: who accepts is
checked again and the bytes are made then. Every answer to the invoke is 200 with a message saying what
happened; a body that is no consent answer at all gets a plain 400.
"""

import ipaddress
import logging
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from botbuilder.core import InvokeResponse, MessageFactory, TurnContext
from botbuilder.schema import Activity, Attachment
from botbuilder.schema.teams import FileConsentCard, FileInfoCard
from botbuilder.schema.teams.additional_properties import ContentType
from sqlalchemy import select

from adapters.teams.invokes import REFUSED, answer
from bot import offered_files
from bot.engine import SORRY, Engine, fault_place
from bot.i18n import N_, _, language_of_locale, speaking
from bot.messages import OfferedFile
from storage.models import Account, Person

log = logging.getLogger(__name__)

INVOKE_NAME = "fileConsent/invoke"
REF_KEY = "ref"
MAX_REF_CHARS = 100
UPLOAD_TIMEOUT = aiohttp.ClientTimeout(total=10)  # Teams waits about 15 s for the invoke's answer
UPLOADED = (200, 201)  # OneDrive answers the last range of an upload session 201 Created (200 if replaced)

DECLINED = N_("OK, I won't send the file.")
NOT_YOURS = N_(
    "I can't send you that file: it is not one of yours, or it no longer exists. Nothing was saved to your "
    "OneDrive. Type `sessions` to see your sessions."
)
UPLOAD_FAILED = N_(
    "I couldn't put the file in your OneDrive just now, so nothing was saved there. The link in my message "
    "still works; or try accepting the file again in a moment."
)


@dataclass(frozen=True)
class ConsentAnswer:
    """What the person chose on a consent card, and where Teams lets us write the file if they accepted."""

    accepted: bool
    ref: str | None  # the card's context, when it is one of ours
    upload_url: str | None = None
    name: str | None = None  # as Teams named the file in OneDrive (it may add " (1)")
    content_url: str | None = None
    unique_id: str | None = None
    file_type: str | None = None


class UploadFailed(Exception):
    """The upload session refused the bytes or could not be reached; the reason names no content."""


def attach_offer(activity: Activity, file: OfferedFile | None) -> None:
    """Add the consent card for `file` to the message that offers it (render() calls this)."""
    if file is not None:
        activity.attachments = [*(activity.attachments or []), consent_card(file)]


def consent_card(file: OfferedFile) -> Attachment:
    context = {REF_KEY: file.ref}
    card = FileConsentCard(
        description=file.description, size_in_bytes=file.size, accept_context=context, decline_context=context
    )
    return Attachment(content_type=ContentType.FILE_CONSENT_CARD, name=file.name, content=card.serialize())


def file_info_card(consent: ConsentAnswer) -> Attachment:
    card = FileInfoCard(unique_id=consent.unique_id, file_type=consent.file_type)
    return Attachment(
        content_type=ContentType.FILE_INFO_CARD,
        name=consent.name,
        content_url=consent.content_url,
        content=card.serialize(),
    )


def consent_of(value: Any) -> ConsentAnswer | None:
    """The invoke's value read with care (a wrong type is absent); None when it is no accept or decline."""
    if not isinstance(value, dict) or value.get("action") not in ("accept", "decline"):
        return None
    context = value.get("context")
    ref = context.get(REF_KEY) if isinstance(context, dict) else None
    ref = ref if isinstance(ref, str) and 0 < len(ref) <= MAX_REF_CHARS else None
    if value["action"] == "decline":
        return ConsentAnswer(accepted=False, ref=ref)
    info = value.get("uploadInfo") if isinstance(value.get("uploadInfo"), dict) else {}

    def text(key: str) -> str | None:
        found = info.get(key)
        return found if isinstance(found, str) and found else None

    return ConsentAnswer(
        accepted=True,
        ref=ref,
        upload_url=text("uploadUrl"),
        name=text("name"),
        content_url=text("contentUrl"),
        unique_id=text("uniqueId"),
        file_type=text("fileType"),
    )


def upload_allowed(upload_url: str, service_url: str) -> bool:
    """An https upload session; http only on this machine when the Bot Connector is too (the Emulator and
    the tests, which validate.py lets in only in anonymous mode)."""
    try:
        upload, service = urlsplit(upload_url), urlsplit(service_url or "")
    except ValueError:
        return False
    if not upload.hostname:
        return False
    if upload.scheme == "https":
        return True
    on_this_machine = _loopback(upload.hostname) and _loopback(service.hostname or "")
    return upload.scheme == service.scheme == "http" and on_this_machine


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower() == "localhost"


async def upload(upload_url: str, data: bytes) -> None:
    """PUT the whole file as the one range of the upload session, as OneDrive's createUploadSession says."""
    if not data:
        raise UploadFailed("empty")
    headers = {"Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"}
    try:
        async with (
            aiohttp.ClientSession(timeout=UPLOAD_TIMEOUT) as http,
            http.put(upload_url, data=data, headers=headers) as response,
        ):
            if response.status not in UPLOADED:
                raise UploadFailed(f"http_{response.status}")
    except (aiohttp.ClientError, TimeoutError) as error:
        raise UploadFailed(type(error).__name__) from None


async def answer_consent(turn_context: TurnContext, engine: Engine) -> InvokeResponse:
    """The invoke handler registered in app.py."""
    consent = consent_of(turn_context.activity.value)
    if consent is None:
        return REFUSED
    with speaking(await _language(turn_context, engine)):
        if not consent.accepted:
            await turn_context.send_activity(_(DECLINED))
            return answer()
        sent = await _send_file(turn_context, engine, consent)
    await turn_context.send_activity(sent)
    return answer()


async def _language(turn_context: TurnContext, engine: Engine) -> str | None:
    """The language of the person answering (outside any turn): theirs, else their Teams client's."""
    activity = turn_context.activity
    account = activity.from_property.id if activity.from_property is not None else None
    try:
        async with engine.db.reading() as session:
            query = select(Person.language).join(Account, Account.person_id == Person.id)
            found = await session.scalar(query.where(Account.platform == "teams", Account.external_id == account))
    except Exception as error:  # the database: the client's language will do
        log.warning("teams file consent language not read error=%s", type(error).__name__)
        found = None
    return found or language_of_locale(activity.locale)


async def _send_file(turn_context: TurnContext, engine: Engine, consent: ConsentAnswer) -> Activity:
    """The message that answers an accept: the file's card once it is in OneDrive, or why it is not."""
    activity = turn_context.activity
    try:
        made = (
            await offered_files.reopen_for_account(
                engine.db, engine.programs, "teams", activity.from_property.id, consent.ref, engine.clock()
            )
            if consent.ref
            else None
        )
    except Exception as error:  # the database: logged by type and place, as the engine does
        log.error("teams file consent failed error=%s at %s", type(error).__name__, fault_place(error))
        return MessageFactory.text(_(SORRY))
    if made is None:
        log.info("teams file consent refused reason=%s", "no-ref" if consent.ref is None else "not-found")
        return MessageFactory.text(_(NOT_YOURS))
    if consent.upload_url is None or not upload_allowed(consent.upload_url, activity.service_url):
        log.warning("teams file upload refused reason=upload-url")
        return MessageFactory.text(_(UPLOAD_FAILED))
    try:
        await upload(consent.upload_url, made.data)
    except UploadFailed as failed:
        log.warning("teams file upload failed reason=%s", failed)
        return MessageFactory.text(_(UPLOAD_FAILED))
    shown = replace(consent, name=consent.name or made.name)
    log.info("teams file uploaded bytes=%d", len(made.data))
    return MessageFactory.attachment(file_info_card(shown), text=_("Here it is: {name}.").format(name=shown.name))
