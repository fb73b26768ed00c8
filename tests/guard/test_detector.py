"""The detector as the sender runs it: each sale counted once in its own day, judged against the
code's own history, and acted on by the account's (or the code's) policy."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from coupons.checkout import redemptions
from coupons.checkout.rules import CodeRefused, Reason
from coupons.core import code_items, outbox
from coupons.core.models import Owner
from coupons.core.sales import SALE, Cart, Customer, Redemption, SaleEvent
from coupons.guard import detector, items, notices, pausing
from coupons.guard.policy import Policy
from coupons.guard.signals import Counts
from coupons.sales import alerts, webhook_items
from tests.checkout.conftest import AUTH, add_code, drain, local_delivery

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SITEVIBES = Owner(partner="sitevibes", account="spring", person="jane@example.com")
CART = Cart(subtotal=Decimal("100.00"), shipping=Decimal("4.90"), currency="EUR")


def told(table, code: str, target: str = "guard") -> list[tuple[str, dict]]:
    """The notices queued for ``target`` about ``code`` (outbox items of their own), in order."""
    found = [(i["alert"]["event"], json.loads(i["alert"]["body"])) for i in outbox.in_state(table, outbox.PENDING)
             if i["event"] == outbox.ALERT and i["partner"] == target]
    order = list(notices.EVENTS.values())
    return sorted([f for f in found if f[1]["code"] == code], key=lambda f: (f[1]["at"], order.index(f[0])))


def sale(code: str, order: str, at: datetime, ref: str | None, new: bool | None, owner: Owner = SITEVIBES) -> SaleEvent:
    digest = hashlib.sha256(order.encode()).hexdigest()[:24]
    r = Redemption(id=f"{code}.{digest}", code=code, order_id=order, cart=CART, discount=Decimal("10.00"),
                   shipping_discount=Decimal(0), gift_card_amount=Decimal(0), owner=owner, ref=ref,
                   customer=Customer(id=order, new=new), created_at=at)
    return SaleEvent(kind=SALE, delivery_id=f"OUTBOX#{r.id}#sale", redemption=r)


def organic_history(table, code: str, days: int = 12, per_day: int = 3, ref_share: float = 0.7, seed: int = 1):
    rng = random.Random(seed)
    for day in range(days):
        for i in range(per_day):
            at = START + timedelta(days=day, hours=2 * i)
            detector.observe(table, sale(code, f"o-{day}-{i}", at, "bb-x" if rng.random() < ref_share else None,
                                        rng.random() < 0.4))


def use_mode(table, mode: str, owner: Owner = SITEVIBES) -> None:
    items.put_policy(table, items.policy_key(owner.partner, owner.account), Policy(mode))


def test_a_leak_is_paused_within_25_redemptions_and_the_code_is_refused(guard_table):
    add_code(guard_table, "JANE15", owner=SITEVIBES)
    use_mode(guard_table, "pause")
    organic_history(guard_table, "JANE15")
    leak_start = START + timedelta(days=12)
    done = []
    for i in range(60):
        done.append(detector.observe(guard_table, sale("JANE15", f"l-{i}", leak_start + timedelta(minutes=3 * i),
                                                      None, True)))
        if "paused" in done:
            break
    assert done.index("paused") < 25
    events = told(guard_table, "JANE15")
    assert [e for e, _ in events] == ["code.leak_suspected", "code.paused"]
    assert events[-1][1]["signal"] == "no_ref" and events[-1][1]["partner"] == "sitevibes"
    assert [e for e, _ in told(guard_table, "JANE15", "sitevibes")] == ["code.leak_suspected", "code.paused"]
    assert code_items.get(guard_table, "JANE15").paused_by == "guard:no_ref"
    with pytest.raises(CodeRefused) as refused:
        redemptions.validate(guard_table, AUTH, "JANE15", CART, Customer())
    assert refused.value.reason is Reason.PAUSED


def test_a_viral_post_that_brings_its_refs_is_neither_flagged_nor_paused(guard_table):
    add_code(guard_table, "VIRAL", owner=SITEVIBES)
    use_mode(guard_table, "pause")
    organic_history(guard_table, "VIRAL", seed=2)
    rng = random.Random(3)
    spike = START + timedelta(days=12)
    outcomes = {detector.observe(guard_table, sale("VIRAL", f"v-{i}", spike + timedelta(minutes=i),
                                                  "bb-x" if rng.random() < 0.7 else None, rng.random() < 0.8))
                for i in range(120)}
    assert (outcomes, told(guard_table, "VIRAL")) == ({"none"}, [])
    assert code_items.get(guard_table, "VIRAL").paused_at is None


def test_in_flag_mode_a_leak_is_flagged_once_and_never_paused(guard_table):
    add_code(guard_table, "FLAGME", owner=SITEVIBES)
    use_mode(guard_table, "flag")
    organic_history(guard_table, "FLAGME", seed=4)
    for i in range(40):
        detector.observe(guard_table, sale("FLAGME", f"l-{i}", START + timedelta(days=12, minutes=i), None, True))
    assert [e for e, _ in told(guard_table, "FLAGME")] == ["code.leak_suspected"]
    assert code_items.get(guard_table, "FLAGME").paused_at is None


def test_a_code_override_beats_its_account_and_off_acts_on_nothing(guard_table):
    add_code(guard_table, "QUIET", owner=SITEVIBES)
    use_mode(guard_table, "pause")
    items.put_policy(guard_table, items.code_policy_key("QUIET"), Policy("off"))
    for i in range(30):
        detector.observe(guard_table, sale("QUIET", f"l-{i}", START + timedelta(minutes=i), None, True))
    assert (told(guard_table, "QUIET"), code_items.get(guard_table, "QUIET").paused_at) == ([], None)
    assert items.view(guard_table, "QUIET", START.date(), 7).recent.n == 30  # still counted


def test_a_redelivered_event_is_counted_once_in_its_own_day(guard_table):
    event = sale("ONCE", "o-1", START - timedelta(days=40), "bb-1", False)  # an old event, delivered late
    for _ in range(3):
        detector.observe(guard_table, event)
    recent = items.view(guard_table, "ONCE", event.redemption.created_at.date(), 1).recent
    assert (recent.n, recent.ref, recent.known, recent.new, recent.discount) == (1, 1, 1, 0, Decimal("10.00"))
    assert items.view(guard_table, "ONCE", START.date(), 7).recent.n == 0


def test_after_an_admin_unpauses_the_same_evidence_does_not_pause_it_again(guard_table):
    add_code(guard_table, "FORGIVEN", owner=SITEVIBES)
    use_mode(guard_table, "pause")
    organic_history(guard_table, "FORGIVEN", seed=5)
    at = START + timedelta(days=12)
    i = 0
    while code_items.get(guard_table, "FORGIVEN").paused_at is None:
        detector.observe(guard_table, sale("FORGIVEN", f"l-{i}", at + timedelta(minutes=i), None, True))
        i += 1
    pausing.unpause(guard_table, "FORGIVEN")
    items.set_state(guard_table, "FORGIVEN", {"released_at": at + timedelta(minutes=i)})
    for j in range(i, i + 15):
        detector.observe(guard_table, sale("FORGIVEN", f"l-{j}", at + timedelta(minutes=j), None, True))
    assert code_items.get(guard_table, "FORGIVEN").paused_at is None


def test_the_sender_runs_the_guard_and_signs_its_webhooks(guard_table, stub):
    """End to end through the sender's own handler: redemptions of a SiteVibes code with no ref and new
    customers are paused, and the brand's guard webhook gets code.paused, signed."""
    webhook_items.put(guard_table, alerts.GUARD_WEBHOOK, f"{stub.url}/hooks/guard", "g-secret")
    add_code(guard_table, "SENDERLEAK", owner=SITEVIBES)
    use_mode(guard_table, "pause")
    refused, sender = 0, local_delivery(guard_table, stub)
    for i in range(30):
        try:
            redemptions.redeem(guard_table, AUTH, "SENDERLEAK", f"s-{i}", CART, Customer(id=f"c{i}", new=True))
        except CodeRefused as no:
            assert no.reason is Reason.PAUSED
            refused += 1
        drain(sender)
    assert refused > 0
    calls = [c for c in stub.answered() if c["path"] == "/hooks/guard"]
    events = [c["headers"]["x-coupons-event"] for c in calls]
    assert "code.paused" in events
    call = calls[events.index("code.paused")]
    expected = hmac.new(b"g-secret", f"{call['headers']['x-coupons-timestamp']}.{call['body']}".encode(),
                        hashlib.sha256).hexdigest()
    assert call["headers"]["x-coupons-signature"] == f"sha256={expected}"
    assert json.loads(call["body"])["code"] == "SENDERLEAK"


@pytest.mark.local_stack
def test_parallel_counting_never_loses_an_update(local_stack):
    """50 sales of one code counted at once, each twice (a redelivery): the day holds exactly 50."""
    table = local_stack.table
    events = [sale("PARCOUNT", f"p-{i}", START + timedelta(seconds=i), "bb-1" if i % 2 else None, i % 3 == 0)
              for i in range(50)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda e: items.count(table, "PARCOUNT", e.redemption.id.rsplit(".", 1)[1],
                                            START.date(), detector.delta(e.redemption)), events * 2))
    got = items.view(table, "PARCOUNT", START.date(), 1).recent
    assert (got.n, got.ref, got.known, got.new) == (50, 25, 50, 17)
    assert got.discount == Decimal("500.00")


def test_counts_add_up():
    assert (Counts(1, 1, 0, 0, Decimal(1), 1) + Counts(2, 0, 2, 1, Decimal(2), 1)).no_ref == 2
