"""Lanes per platform: one claimer takes due messages for every platform, only as many as each platform's
queue has room for, and each platform's senders work through their own queue at their own pace. A slow or
rate-limited platform fills its queue; its further messages are put off to its later turns, one per turn
at its pace, so they never stand in front of another platform's (and each is put off about once)."""

import asyncio
import contextlib
import logging
import math
import time
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Protocol

from bot.clock import Clock
from bot.outbox.claims import Batch, Claim, Wanted, give_back
from bot.outbox.contract import Sender
from bot.outbox.pacing import Pace
from storage.db import Database

log = logging.getLogger("bot.outbox")

MAX_AHEAD = 80  # claimed messages a platform's queue holds at most
SEND_CYCLE = 0.08  # seconds a sender may take to send a message and write it down, at full pace
MAX_SENDERS = 16  # per platform
Item = tuple[Batch, Claim]


class LaneWork(Protocol):
    """What the lanes need of the outbox worker that runs them (bot/outbox/worker.py)."""

    db: Database
    senders: Mapping[str, Sender]
    clock: Clock
    lease: timedelta
    pace: Pace
    batch_size: int
    send_timeout: float

    async def claim(self, wanted: Wanted) -> Batch | None: ...

    def not_now(self, batch: Batch, claim: Claim) -> datetime | None: ...

    async def send(
        self, batch: Batch, claim: Claim, *, after: asyncio.Future[bool] | None = None
    ) -> asyncio.Future[bool] | None: ...


class Lanes:
    """The claimer and, per platform, senders sharing that platform's queue."""

    def __init__(self, worker: LaneWork, count: int) -> None:
        self.worker = worker
        self.senders = {name: self._senders(name, count) for name in worker.senders}
        self.queues: dict[str, asyncio.Queue[Item | None]] = {name: asyncio.Queue() for name in worker.senders}
        self.ahead = {name: self._ahead(name) for name in worker.senders}
        self.room = asyncio.Event()  # set when a queue has emptied to half: time to claim again
        self.next_turn: dict[str, datetime] = {}  # per platform: the turn after the last message put off
        # Per platform: until when (time.monotonic) a claim found nothing for it, so it does not ask again
        # at once (each claim on its behalf would only put off the rows of platforms with no room).
        self.dry_until: dict[str, float] = {}

    def _senders(self, platform: str, count: int) -> int:
        """Senders for a platform: `count`, or more at a fast pace, so that each needs a message only every
        SEND_CYCLE seconds (a send and its commit take a few milliseconds, more on a busy machine)."""
        return min(MAX_SENDERS, max(count, math.ceil(self.worker.pace.rate(platform) * SEND_CYCLE)))

    def _ahead(self, platform: str) -> int:
        """Messages to claim ahead for a platform: a sixth of the lease's worth at its pace (so each is sent
        long before its claim runs out), at most MAX_AHEAD."""
        rate = self.worker.pace.rate(platform)
        return max(1, min(MAX_AHEAD, int(rate * self.worker.lease.total_seconds() / 6)))

    async def run(self, stop: asyncio.Event, interval: float) -> None:
        senders = [self._send(name) for name, count in self.senders.items() for _ in range(count)]
        await asyncio.gather(self._claim(stop, interval), *senders)

    async def _claim(self, stop: asyncio.Event, interval: float) -> None:
        try:
            while not stop.is_set():
                try:
                    claimed = await self._claim_once(interval)
                except Exception as exc:  # a database hiccup must not end the worker
                    log.error("outbox round failed error=%s", type(exc).__name__)
                    claimed = None
                if claimed is None:  # nothing due, or no platform with room
                    await _first_of(stop, self.room, seconds=interval)
        finally:
            for name in self.queues:  # claimed but never tried: due again at once, for whoever runs next
                await self._hand_back(name, due_at=self.worker.clock())
            for name, queue in self.queues.items():
                for _ in range(self.senders[name]):
                    queue.put_nowait(None)

    async def _claim_once(self, interval: float) -> int | None:
        """Claim for the platforms whose queue is half empty or less; None if none is (or each found nothing
        lately), or nothing was due."""
        self.room.clear()
        if not any(self._hungry(name) for name in self.queues):
            return None
        now, worker = self.worker.clock(), self.worker
        spacing = {name: timedelta(seconds=1 / worker.pace.rate(name)) for name in self.queues}
        turns_from = {
            name: max(self.next_turn.get(name, now), now + self._drained_in(name, spacing[name]))
            for name in self.queues
        }
        room = {name: self._room(name) for name in self.queues}
        # As many as there is room for, in one transaction (a claim costs more than a row: ask for a lot).
        size = max(worker.batch_size, sum(room.values()))
        wanted = Wanted(list(worker.senders), size, room=room, turns_from=turns_from, spacing=spacing)
        batch = await worker.claim(wanted)
        claimed = {claim.account.platform for claim in batch.claims} if batch is not None else set()
        for name in self.queues:
            if name in claimed:
                self.dry_until.pop(name, None)
            elif room[name] > 0:
                self.dry_until[name] = time.monotonic() + interval
        if batch is None:
            return None
        for claim in batch.claims:
            self.queues[claim.account.platform].put_nowait((batch, claim))
        for name, count in batch.put_off.items():
            self.next_turn[name] = turns_from[name] + spacing[name] * count
        return len(batch.claims)

    def _hungry(self, platform: str) -> bool:
        """The platform's queue is half empty or less, no 429 holds it, and its last claim did not come back
        empty lately."""
        half_empty = self.queues[platform].qsize() <= self.ahead[platform] // 2
        return half_empty and self._room(platform) > 0 and self.dry_until.get(platform, 0.0) <= time.monotonic()

    def _room(self, platform: str) -> int:
        """Messages the platform's queue may take now: none while a 429 holds it longer than a send may take
        (what is due for it meanwhile is put off past the hold)."""
        if self.worker.pace.wait_for(platform) > self.worker.send_timeout:
            return 0
        return self.ahead[platform] - self.queues[platform].qsize()

    def _drained_in(self, platform: str, spacing: timedelta) -> timedelta:
        """When the platform's queue will have been sent, at its pace and after any 429 hold."""
        held = timedelta(seconds=self.worker.pace.wait_for(platform))
        return held + spacing * self.queues[platform].qsize()

    async def _send(self, platform: str) -> None:
        """Send from the platform's queue, one message after another: each next one keeps to the pace while
        the one before is being written down, and goes out once it is."""
        queue, recording = self.queues[platform], None
        while (item := await queue.get()) is not None:
            if queue.qsize() <= self.ahead[platform] // 2:
                self.room.set()
            batch, claim = item
            try:
                later = self.worker.not_now(batch, claim)
                if later is None:
                    recording = await self.worker.send(batch, claim, after=recording)
                else:  # its claim is running out, or a 429 holds the platform (then the queue waits as long)
                    await give_back(self.worker.db, batch, [claim], due_at=later)
                    if later > self.worker.clock():
                        await self._hand_back(platform, due_at=later)
            except Exception as exc:  # a database hiccup must not end the lane
                log.error("outbox round failed platform=%s error=%s", platform, type(exc).__name__)
        if recording is not None:
            await recording

    async def _hand_back(self, platform: str, *, due_at: datetime) -> None:
        """Give back every claim waiting in the platform's queue (none of them was tried)."""
        queue, waiting, ends = self.queues[platform], defaultdict(list), 0
        while not queue.empty():
            item = queue.get_nowait()
            if item is None:
                ends += 1
            else:
                waiting[item[0].token].append(item)
        for _ in range(ends):
            queue.put_nowait(None)
        for items in waiting.values():
            await give_back(self.worker.db, items[0][0], [claim for _batch, claim in items], due_at=due_at)
        self.room.set()


async def _first_of(*events: asyncio.Event, seconds: float) -> None:
    """Wait until one of the events is set, or `seconds`."""
    waits = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*waits, return_exceptions=True)
