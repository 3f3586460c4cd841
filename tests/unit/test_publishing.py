"""Publishing: the outbox written with confirm, the publisher's order, retries and lease, the portal."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import Backend
from tests.fakes.fakes import FakeClock
from tests.images import png
from tests.unit.service_kit import (
    CANCEL,
    CONFIRM,
    RETRY,
    Services,
    blob_keys,
    build,
    result,
    upload,
)
from xray_core.adapters.pillow_images import PillowImageSanitizer
from xray_core.images.previews import ImageLibrary
from xray_core.owners.service import OwnerService
from xray_core.publishing.errors import PublishError
from xray_core.publishing.model import Deletion, Delivery, EntryKind, NewEntry, owner_hash
from xray_core.publishing.portal import PortalService
from xray_core.publishing.service import PublishService
from xray_storage.memory import InMemoryBlobStore, InMemoryStore


class InProcessPortal:
    """A publisher that hands deliveries straight to a PortalService; can be switched off."""

    def __init__(self, portal: PortalService) -> None:
        self.portal = portal
        self.up = True
        self.calls: list[str] = []

    @property
    def target(self) -> str:
        return "in-process portal"

    def _check(self, what: str) -> None:
        self.calls.append(what)
        if not self.up:
            raise PublishError("connection refused", reachable=False)

    def put(self, delivery: Delivery) -> None:
        self._check(f"put {delivery.job_id}")
        self.portal.receive(delivery)

    def withdraw(self, owner: str, job_id: int) -> None:
        self._check(f"withdraw {job_id}")
        self.portal.withdraw(owner, job_id)

    def delete_owner(self, owner: str) -> None:
        self._check("delete")
        self.portal.delete_owner(owner)

    def deletions(self, after: int) -> list[Deletion]:
        self._check("deletions")
        return self.portal.deletions(after)


class Booth:
    """A booth with publishing on, and an in-memory portal it publishes to."""

    def __init__(self, backend: Backend, clock: FakeClock) -> None:
        self.services = build(backend, clock)
        self.services.jobs.publishing = True
        self.owners = OwnerService(
            backend.uow, backend.blobs, self.services.jobs.library, publishing=True, now=clock.now
        )
        images = PillowImageSanitizer()
        self.portal_store, self.portal_blobs = InMemoryStore(), InMemoryBlobStore()
        self.portal = PortalService(
            self.portal_store,
            self.portal_blobs,
            ImageLibrary(self.portal_blobs, images),
            images,
            clock,
            retention_days=90,
        )
        self.family_pages = OwnerService(self.portal_store, self.portal_blobs, hashed=True)
        self.link = InProcessPortal(self.portal)
        self.publisher = self.publisher_named("booth-1")

    def publisher_named(self, holder: str) -> PublishService:
        return PublishService(
            self.services.backend.uow,
            self.services.backend.blobs,
            self.link,
            self.services.clock,
            holder=holder,
            forget_owner=lambda token: self.owners.delete(token, tell_portal=False),
            retry_max=60,
            rng=random.Random(1),
        )

    def token(self) -> str:
        batch = self.services.qr.start(1)
        with self.services.backend.uow() as uow:
            return uow.owners.for_batch(batch.id)[0].token

    def confirm(
        self, token: str, colour: tuple[int, int, int] = (200, 10, 10)
    ) -> tuple[int, bytes]:
        answer = upload(self.services, png(16, 16, (7, 7, 7)), qr_content=token)
        xray = result(colour)
        self.services.jobs.submit(answer.job_id, xray)
        self.services.jobs.decide(answer.job_id, 0, CONFIRM)
        return answer.job_id, xray

    def outbox(self) -> list[tuple[EntryKind, int]]:
        with self.services.backend.uow() as uow:
            return [(e.kind, e.job_id) for e in uow.outbox.pending()]


@pytest.fixture
def booth(backend: Backend, clock: FakeClock) -> Booth:
    """A booth on the backend under test publishing to an in-memory portal."""
    return Booth(backend, clock)


def test_confirm_records_an_outbox_entry_and_the_portal_gets_the_xray_byte_for_byte(
    booth: Booth,
) -> None:
    token = booth.token()
    job_id, xray = booth.confirm(token)
    assert booth.outbox() == [(EntryKind.PUBLISH, job_id)]
    assert booth.publisher.run_once() == 1
    assert booth.outbox() == []
    items = booth.family_pages.items(token)
    assert [i.job_id for i in items] == [job_id]
    assert booth.family_pages.image(token, items[0].id, "xray") == xray
    assert items[0].last_name == "" and items[0].first_name == ""  # names stay on the booth


def test_the_portal_knows_owners_only_by_the_hash_of_their_token(booth: Booth) -> None:
    token = booth.token()
    booth.confirm(token)
    booth.publisher.run_once()
    with booth.portal_store() as uow:
        stored = {i.owner_ref for i in uow.owners.items()}
    assert stored == {owner_hash(token)}
    assert booth.family_pages.items("x" * 24) == []  # unknown: the come-back-later page


def test_a_second_delivery_of_the_same_entry_shows_once(booth: Booth) -> None:
    token = booth.token()
    booth.confirm(token)
    with booth.services.backend.uow() as uow:
        item = uow.owners.items(token)[0]
    twice = booth.publisher.delivery(item)
    assert booth.portal.receive(twice) is True
    assert booth.portal.receive(twice) is False
    booth.publisher.run_once()
    assert len(booth.family_pages.items(token)) == 1


def test_while_the_portal_is_down_entries_wait_with_backoff_then_all_arrive_in_order(
    booth: Booth, clock: FakeClock
) -> None:
    token = booth.token()
    jobs = [booth.confirm(token, (i * 40, 0, 0))[0] for i in range(3)]
    booth.link.up = False
    assert booth.publisher.run_once() == 0
    assert booth.publisher.run_once() == 0  # paused: no second attempt before the delay
    assert booth.link.calls == ["deletions"]
    assert "connection refused" in booth.publisher.status().last_error
    assert booth.publisher.status().waiting == 3
    clock.advance(seconds=61)
    booth.link.up = True
    assert booth.publisher.run_once() == 3
    assert [i.job_id for i in booth.family_pages.items(token)] == jobs
    status = booth.publisher.status()
    assert (status.waiting, status.published, status.last_error) == (0, 3, "")


def test_the_backoff_doubles_with_jitter_up_to_its_cap(booth: Booth) -> None:
    delays = [booth.publisher.delay(n).total_seconds() for n in range(1, 12)]
    assert 0.5 <= delays[0] <= 1.0
    assert 4.0 <= delays[3] <= 8.0
    assert all(30 <= d <= 60 for d in delays[7:])


def test_an_idle_round_neither_writes_nor_asks_the_portal(booth: Booth) -> None:
    booth.publisher.run_once()
    calls = len(booth.link.calls)
    for _ in range(5):
        assert booth.publisher.run_once() == 0
    assert len(booth.link.calls) == calls


def test_publish_now_retries_at_once(booth: Booth) -> None:
    token = booth.token()
    booth.confirm(token)
    booth.link.up = False
    booth.publisher.run_once()
    booth.link.up = True
    assert booth.publisher.run_once() == 0  # still paused
    assert booth.publisher.retry_now() == 1
    assert booth.publisher.run_once() == 1


def test_only_one_publisher_holds_the_lease(booth: Booth, clock: FakeClock) -> None:
    token = booth.token()
    booth.confirm(token)
    other = booth.publisher_named("booth-2")
    assert booth.publisher.run_once() == 1
    booth.confirm(token, (1, 2, 3))
    assert other.run_once() == 0  # booth-1 holds the lease for 30 s
    clock.advance(seconds=31)
    assert other.run_once() == 1


def test_retry_and_cancel_are_published_as_withdrawals(booth: Booth) -> None:
    token = booth.token()
    retried = upload(booth.services, qr_content=token).job_id
    cancelled = upload(booth.services, qr_content=token).job_id
    booth.services.jobs.submit(retried, result((1, 1, 1)))
    booth.services.jobs.decide(retried, 0, RETRY)
    booth.services.jobs.decide(cancelled, 0, CANCEL)
    assert booth.outbox() == [(EntryKind.WITHDRAW, retried), (EntryKind.WITHDRAW, cancelled)]
    assert booth.publisher.run_once() == 2


def test_external_qr_codes_are_not_published(booth: Booth) -> None:
    answer = upload(booth.services, qr_content="https://example.org/not-ours")
    booth.services.jobs.submit(answer.job_id, result((5, 5, 5)))
    booth.services.jobs.decide(answer.job_id, 0, CONFIRM)
    assert booth.outbox() == []


def test_a_deletion_on_the_booth_reaches_the_portal(booth: Booth) -> None:
    token = booth.token()
    booth.confirm(token)
    booth.publisher.run_once()
    before = blob_keys(booth.services.backend)
    assert booth.owners.delete(token) == 1
    assert booth.outbox() == [(EntryKind.DELETE_OWNER, 0)]
    assert len(blob_keys(booth.services.backend)) < len(before)
    booth.publisher.run_once()
    assert booth.family_pages.items(token) == []
    assert list(booth.portal_blobs.keys()) == []


def test_a_deletion_on_the_portal_reaches_the_booth_and_is_not_undone(
    booth: Booth, clock: FakeClock
) -> None:
    token = booth.token()
    booth.confirm(token)
    booth.publisher.run_once()
    booth.confirm(token, (9, 9, 9))  # confirmed but not yet published
    clock.advance(seconds=1)
    assert booth.portal.delete_token(token) == 1
    clock.advance(seconds=30)  # the booth asks for deletions every 30 s
    booth.publisher.run_once()
    with booth.services.backend.uow() as uow:
        assert uow.owners.items(token) == []
        assert uow.carousel.latest(10) == []
    assert booth.outbox() == []
    assert booth.family_pages.items(token) == []


def test_a_delivery_older_than_the_familys_deletion_is_not_kept_again(
    booth: Booth, clock: FakeClock
) -> None:
    token = booth.token()
    booth.confirm(token)
    with booth.services.backend.uow() as uow:
        late = booth.publisher.delivery(uow.owners.items(token)[0])
    clock.advance(seconds=1)
    booth.portal.delete_token(token)
    assert booth.portal.receive(late) is False
    assert booth.family_pages.items(token) == []


def test_retention_deletes_rows_and_files_older_than_retention_days(
    booth: Booth, clock: FakeClock
) -> None:
    old, new = booth.token(), booth.token()
    booth.confirm(old)
    booth.publisher.run_once()
    clock.advance(days=60)
    booth.confirm(new, (3, 3, 3))
    booth.publisher.run_once()
    (item,) = booth.family_pages.items(new)
    clock.advance(days=31)
    assert booth.portal.expire() == 1
    assert booth.family_pages.items(old) == []
    assert [i.job_id for i in booth.family_pages.items(new)] == [item.job_id]
    keys = {k for k, _ in booth.portal_blobs.keys()}
    assert {k.split("--")[0] for k in keys} == {item.xray_key, item.original_key}
    assert booth.portal.kept_until(item) == item.created_at + timedelta(days=90)


def test_the_outbox_entry_commits_with_the_confirm_or_not_at_all(
    booth: Booth, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = booth.token()
    answer = upload(booth.services, qr_content=token)
    booth.services.jobs.submit(answer.job_id, result((4, 4, 4)))

    def broken(self: object, entry: NewEntry) -> int:
        raise RuntimeError("disk full")

    with booth.services.backend.uow() as uow:
        monkeypatch.setattr(type(uow.outbox), "add", broken)
    with pytest.raises(RuntimeError):
        booth.services.jobs.decide(answer.job_id, 0, CONFIRM)
    monkeypatch.undo()
    with booth.services.backend.uow() as uow:
        assert uow.owners.items(token) == []
    assert [j.id for j in booth.services.jobs.pending()] == [answer.job_id]


def test_outbox_repository_contract(any_backend: Backend, clock: FakeClock) -> None:
    """Entries keep their order and bookkeeping; the lease is exclusive until it expires."""
    now = clock.now()
    with any_backend.uow() as uow:
        first = uow.outbox.add(NewEntry(EntryKind.PUBLISH, "a" * 64, 1, 10, now))
        second = uow.outbox.add(NewEntry(EntryKind.DELETE_OWNER, "b" * 64, 0, 0, now))
        uow.commit()
    with any_backend.uow() as uow:
        entries = uow.outbox.pending()
        assert [e.id for e in entries] == [first, second] and second > first
        assert entries[0].next_at == now and entries[0].attempts == 0
        later = now + timedelta(minutes=5)
        from dataclasses import replace

        uow.outbox.save(replace(entries[0], attempts=2, next_at=later, last_error="boom"))
        uow.commit()
    with any_backend.uow() as uow:
        saved = uow.outbox.pending(limit=1)[0]
        assert (saved.attempts, saved.next_at, saved.last_error) == (2, later, "boom")
        assert uow.outbox.retry_all(now) == 2
        uow.outbox.remove(second)
        assert uow.outbox.take_lease("one", now + timedelta(seconds=30), now)
        assert uow.outbox.cursor() == 0
        uow.outbox.set_cursor(7)
        uow.commit()
    with any_backend.uow() as uow:
        assert [e.next_at for e in uow.outbox.pending()] == [now]
        assert not uow.outbox.take_lease("two", now + timedelta(seconds=30), now)
        assert uow.outbox.take_lease("one", now + timedelta(seconds=60), now)
        assert uow.outbox.take_lease("two", now, now + timedelta(seconds=61))
        assert uow.outbox.cursor() == 7


def test_tombstone_and_owner_deletion_repository_contract(
    any_backend: Backend, clock: FakeClock
) -> None:
    now = clock.now()
    with any_backend.uow() as uow:
        one = uow.tombstones.add("a" * 64, now)
        two = uow.tombstones.add("a" * 64, now + timedelta(days=2))
        uow.commit()
    with any_backend.uow() as uow:
        assert uow.tombstones.latest("a" * 64) == now + timedelta(days=2)
        assert uow.tombstones.latest("b" * 64) is None
        assert [d.id for d in uow.tombstones.after(one, 10)] == [two]
        assert uow.tombstones.delete_before(now + timedelta(days=1)) == 1
        uow.commit()
    with any_backend.uow() as uow:
        assert [d.id for d in uow.tombstones.after(0, 10)] == [two]


def test_owner_item_deletion_repository_contract(any_backend: Backend, clock: FakeClock) -> None:
    services: Services = build(any_backend, clock)
    token = services.qr.start(1)
    with any_backend.uow() as uow:
        owner = uow.owners.for_batch(token.id)[0]
    answer = upload(services, qr_content=owner.token)
    services.jobs.submit(answer.job_id, result((1, 2, 3)))
    services.jobs.decide(answer.job_id, 0, CONFIRM)
    with any_backend.uow() as uow:
        (item,) = uow.owners.items(owner.token)
        assert uow.owners.item(item.id) == item
        assert uow.carousel.remove_jobs({answer.job_id}) == 1
        uow.owners.delete_item(item.id)
        assert uow.owners.delete_empty() == 0  # a batch's owner stays
        uow.commit()
    with any_backend.uow() as uow:
        assert uow.owners.item(item.id) is None and uow.carousel.latest(5) == []
        assert uow.owners.get(owner.token) is not None


def test_purge_refuses_while_entries_wait_and_names_them_then_deletes_everything(
    booth: Booth,
) -> None:
    from xray_core.publishing.purge import EventPurge, UnpublishedError

    token = booth.token()
    booth.confirm(token)
    purge = EventPurge(booth.services.backend.uow, booth.services.backend.blobs, publishing=True)
    with pytest.raises(UnpublishedError, match="1 publish entry"):
        purge.purge()
    assert purge.summary() == {"cases": 1, "owner_items": 1, "qr_batches": 1, "waiting": 1}
    booth.publisher.run_once()
    report = purge.purge()
    assert (report.jobs, report.items, report.batches, report.outbox) == (1, 1, 1, 0)
    assert blob_keys(booth.services.backend) == set()
    with booth.services.backend.uow() as uow:
        assert uow.owners.get(token) is None and uow.carousel.latest(5) == []
    assert len(booth.family_pages.items(token)) == 1  # the portal keeps its copy


def test_retention_on_every_backend_removes_rows_and_files_from_disk(
    any_backend: Backend, clock: FakeClock, tmp_path: Path
) -> None:
    """The portal's daily job with a fake clock: old owners' rows and blob files go."""
    images = PillowImageSanitizer()
    portal = PortalService(
        any_backend.uow,
        any_backend.blobs,
        ImageLibrary(any_backend.blobs, images),
        images,
        clock,
        retention_days=90,
    )
    pages = OwnerService(any_backend.uow, any_backend.blobs, hashed=True)

    def delivery(token: str, job_id: int) -> Delivery:
        return Delivery(
            owner_hash(token), job_id, "", "Brumm", "bear", clock.now(),
            result((job_id, 1, 1)), png(12, 12, (job_id, 2, 2)), ".png",
        )  # fmt: skip

    assert portal.receive(delivery("old-token-0123456789", 1))
    clock.advance(days=50)
    assert portal.receive(delivery("new-token-0123456789", 2))
    old_items = pages.items("old-token-0123456789")
    for item in old_items:
        pages.image("old-token-0123456789", item.id, "original")  # a derived PNG made too
    clock.advance(days=41)
    assert portal.expire() == 1
    assert pages.items("old-token-0123456789") == []
    assert [i.job_id for i in pages.items("new-token-0123456789")] == [2]
    left = {key for key, _ in any_backend.blobs.keys()}
    (new,) = pages.items("new-token-0123456789")
    assert left == {new.xray_key, new.original_key}
    with any_backend.uow() as uow:
        assert uow.owners.get(owner_hash("old-token-0123456789")) is None
    blob_dir = tmp_path / "blobs"
    if blob_dir.exists():  # the SQL backends keep files: only the new owner's are on disk
        assert len([p for p in blob_dir.rglob("*") if p.is_file()]) == 2


def test_the_first_name_is_shared_only_when_the_setting_says_so(booth: Booth) -> None:
    token = booth.token()
    booth.confirm(token)
    with booth.services.backend.uow() as uow:
        item = uow.owners.items(token)[0]
    assert booth.publisher.delivery(item).first_name == ""
    sharing = PublishService(
        booth.services.backend.uow,
        booth.services.backend.blobs,
        booth.link,
        booth.services.clock,
        holder="x",
        forget_owner=lambda _t: 0,
        share_first_name=True,
    )
    shared = sharing.delivery(item)
    assert shared.first_name == "Anna" and "Muster" not in repr(shared)


def test_a_photo_still_to_be_turned_arrives_as_kept_and_downloads_upright(booth: Booth) -> None:
    """The booth's JPEG goes as stored; the portal applies the orientation the key names."""
    import io

    from PIL import Image

    from tests.images import jpeg

    photo = jpeg(40, 20)
    arrived = booth.portal.receive(
        Delivery(
            "c" * 64,
            7,
            "",
            "Brumm",
            "bear",
            booth.services.clock.now(),
            result((1, 2, 3)),
            photo,
            ".o6.jpg",
        )
    )
    assert arrived
    with booth.portal_store() as uow:
        (item,) = uow.owners.items("c" * 64)
    assert item.original_key.endswith(".o6.jpg")
    assert booth.portal_blobs.get(item.original_key) == photo
    png_key = ImageLibrary(booth.portal_blobs, PillowImageSanitizer()).png_key(item.original_key)
    with Image.open(io.BytesIO(booth.portal_blobs.get(png_key))) as upright:
        assert upright.size == (20, 40)  # orientation 6: turned a quarter
