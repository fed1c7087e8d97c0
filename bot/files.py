"""The port through which a dialog reads the bytes of a file shared in the chat.

The bytes stay on the platform until a dialog needs them (a coordinator's CSV of people to enrol). Each
adapter gives the engine a FetchFile: Slack downloads `url_private` with the bot token, Teams the
attachment's pre-authorised download link. A file larger than MAX_FILE_BYTES is refused unread.
"""

from collections.abc import AsyncIterable, Awaitable, Callable

from bot.messages import SharedFile

MAX_FILE_BYTES = 2_000_000  # about 2 MB: a 5,000-row CSV of people is far smaller


class FileFetchError(Exception):
    """Why a shared file could not be read: too large, or the platform did not hand it over."""

    def __init__(self, reason: str, *, too_large: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.too_large = reason, too_large


FetchFile = Callable[[SharedFile], Awaitable[bytes]]


async def read_capped(chunks: AsyncIterable[bytes], declared: int | None, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a download, refusing more than `limit` (by its declared length, or while reading)."""
    if declared is not None and declared > limit:
        raise FileFetchError("too_large", too_large=True)
    data = bytearray()
    async for chunk in chunks:
        data.extend(chunk)
        if len(data) > limit:
            raise FileFetchError("too_large", too_large=True)
    return bytes(data)
