"""The worker: claims due messages and delivers each through its platform's sender, settling it as soon
as the platform answers. `run` keeps lanes per platform (`lanes`); `run_once` delivers in order, for the
terminal chat and the tests' walks through a year."""

import asyncio
import logging
from datetime import datetime, timedelta

from bot import metrics
from bot.clock import Clock, system_clock
from bot.outbox.claims import Batch, Claim, SentRecorder, Wanted, claim_due, give_back, keep_in_doubt, settle_failed
from bot.outbox.contract import DeliveryError, Sender, message_key, reason_of
from bot.outbox.lanes import Lanes
from bot.outbox.lookups import EmailFinder
from bot.outbox.pacing import Pace
from storage.db import Database

log = logging.getLogger("bot.outbox")

LEASE = timedelta(seconds=60)  # how long a claim is held; OUTBOX_LEASE_SECONDS changes it
BATCH = 20  # messages one claim takes
ROUND_LIMIT = 10  # batches one run_once delivers at most


class OutboxWorker:
    """Claims due messages a batch at a time and delivers them through the senders this process has."""

    def __init__(
        self,
        db: Database,
        senders: dict[str, Sender],
        clock: Clock = system_clock,
        rates: dict[str, float] | None = None,
        *,
        lease: timedelta = LEASE,
        lanes: int = 1,
        batch_size: int = BATCH,
    ) -> None:
        self.db, self.senders, self.clock, self.lease, self.lanes = db, senders, clock, lease, lanes
        self.batch_size = batch_size
        self.pace = Pace(rates or {})
        # A send that takes longer than this is given up as in doubt, well inside the lease.
        self.send_timeout = lease.total_seconds() / 3
        self.finder = EmailFinder(db, senders, lambda: self.clock(), self.send_timeout)
        self.recorder = SentRecorder(db, lambda: self.clock())

    async def run(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        """Deliver until `stop` is set, each platform at its own pace, with `lanes` senders per platform (more
        at a fast pace)."""
        await Lanes(self, self.lanes).run(stop, interval)

    async def run_once(self, person_id: int | None = None) -> int:
        """Deliver what is due now (for one person, if given); returns how many were sent."""
        sent = 0
        for _ in range(ROUND_LIMIT):
            outcome = await self.deliver_batch(person_id)
            if outcome is None:
                break
            sent += outcome
        return sent

    async def deliver_batch(self, person_id: int | None = None) -> int | None:
        """Claim due messages and deliver them in order: how many arrived, or None if nothing was due."""
        batch = await self.claim(Wanted(list(self.senders), self.batch_size, person_id))
        if batch is None:
            return None
        arrived = 0
        for claim in batch.claims:
            later = self.not_now(batch, claim)
            if later is not None:
                await give_back(self.db, batch, [claim], due_at=later)
            else:
                arrived += await self.deliver(batch, claim)
        return arrived

    async def claim(self, wanted: Wanted) -> Batch | None:
        """Claim due messages (one short transaction) and look up by email the people none of them reaches."""
        async with self.db.transaction() as session:
            batch = await claim_due(session, wanted, self.clock(), self.lease)
        if batch is not None and batch.unreached:
            await self.finder.find(batch.unreached)
        return batch

    def not_now(self, batch: Batch, claim: Claim) -> datetime | None:
        """When to offer a claimed message again instead of sending it now: at once if its lease is running
        out, after the hold if a 429 holds its platform longer than a send may take. None: send it now."""
        now = self.clock()
        if now >= batch.until - timedelta(seconds=self.send_timeout):
            return now
        held_for = self.pace.wait_for(claim.account.platform)
        return now + timedelta(seconds=held_for) if held_for > self.send_timeout else None

    async def deliver(self, batch: Batch, claim: Claim) -> bool:
        """Send one message and wait until it is written down: True if it arrived."""
        recording = await self.send(batch, claim)
        return recording is not None and await recording

    async def send(
        self, batch: Batch, claim: Claim, *, after: asyncio.Future[bool] | None = None
    ) -> asyncio.Future[bool] | None:
        """Send one message (after asking the platform, if an earlier attempt is in doubt), once `after`
        (the sender's previous message) is written down, and settle it at once: the recording under way if
        the platform took it (or had it); None if it was put off, left in doubt or failed."""
        platform = claim.account.platform
        if claim.in_doubt_since is None:
            await self.pace.turn(platform)  # while the previous message is being written down
        if after is not None:
            await after
        if claim.in_doubt_since is not None:
            arrived = await self._arrived_earlier(batch, claim)
            if arrived is None:  # the platform could not be asked just now: the claim was put back
                return None
            if arrived:
                return self.recorder.start(batch, claim)
            await self.pace.turn(platform)
        try:
            sending = self.senders[platform].send(claim.account, [claim.reply], message_key(claim.message_id))
            await asyncio.wait_for(sending, self.send_timeout)
        except DeliveryError as error:
            log.warning("outbox delivery failed id=%s platform=%s reason=%s", claim.message_id, platform, error)
            await self._refused(batch, claim, error)
            return None
        except Exception as exc:  # a timeout or a dropped connection: it may or may not have arrived
            reason = reason_of(exc)
            log.warning("outbox delivery unclear id=%s platform=%s error=%s", claim.message_id, platform, reason)
            await keep_in_doubt(self.db, batch, claim, reason=reason, now=self.clock())
            return None
        return self.recorder.start(batch, claim)

    async def _arrived_earlier(self, batch: Batch, claim: Claim) -> bool | None:
        """Ask the platform whether an earlier attempt arrived. False means send (again); None means the
        platform could not be asked just now, and the claim was put back to ask later."""
        assert claim.in_doubt_since is not None
        platform = claim.account.platform
        asking = self.senders[platform].delivered(claim.account, message_key(claim.message_id), claim.in_doubt_since)
        try:
            found = await asyncio.wait_for(asking, self.send_timeout)
        except DeliveryError as error:
            if error.retry_after is not None:
                self.pace.hold(platform, error.retry_after)
                metrics.delivery(platform, "rate_limited")
                due_at = self.clock() + timedelta(seconds=error.retry_after)
                await give_back(self.db, batch, [claim], due_at=due_at)
            else:
                await keep_in_doubt(self.db, batch, claim, reason=error.reason, now=self.clock())
            return None
        except Exception as exc:
            await keep_in_doubt(self.db, batch, claim, reason=reason_of(exc), now=self.clock())
            return None
        if found:
            log.info("outbox in-doubt message had arrived id=%s", claim.message_id)
            return True
        if found is None:
            log.warning("outbox sending in-doubt message again id=%s platform=%s", claim.message_id, platform)
        return False

    async def _refused(self, batch: Batch, claim: Claim, error: DeliveryError) -> None:
        if error.retry_after is not None:  # rate limited: not the message's fault, so no attempt is counted
            self.pace.hold(claim.account.platform, error.retry_after)
            metrics.delivery(claim.account.platform, "rate_limited")
            due_at = self.clock() + timedelta(seconds=error.retry_after)
            await give_back(self.db, batch, [claim], due_at=due_at, error=error.reason)
        elif error.permanent:
            await settle_failed(self.db, batch, claim, reason=error.reason, now=self.clock())
        else:
            await keep_in_doubt(self.db, batch, claim, reason=error.reason, now=self.clock())
