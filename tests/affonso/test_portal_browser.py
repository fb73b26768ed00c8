"""The affiliate portal page (GET /affonso/portal) in a real browser, against the local stack.

Debian's chromium, driven by Playwright for Python (Playwright's own browser download is not
reachable from here, so it is launched with ``executable_path``). ``make test`` installs chromium
when it is missing and it can (root with apt-get); otherwise these tests skip, loudly.

``SCREENSHOTS=1`` also writes the pictures docs/affonso.md shows to docs/img/.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from coupons.affonso.programmes import ProgrammeSettings
from coupons.core.models import Discount, DiscountKind
from coupons_admin.programmes import add_programme
from localrun import template
from tests.conftest import BROWSER_SKIPPED

pytestmark = pytest.mark.local_stack

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = template.ROOT / "docs" / "img"
AUTH = {"Authorization": "Bearer demo-key"}
CART = {"subtotal": "100.00", "shipping": "4.90", "currency": "EUR"}


def _skip_loudly(why: str) -> None:
    # tests/conftest.py repeats this reason in a banner at the end of the run.
    pytest.skip(f"{BROWSER_SKIPPED}: {why}")


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _skip_loudly(f"no chromium at {CHROMIUM} (as root: apt-get install -y chromium; make test does it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_loudly("playwright is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    opened = context.new_page()
    problems: list[str] = []
    opened.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda e: problems.append(str(e)))
    opened.set_default_timeout(15_000)
    yield opened
    context.close()
    # A Content-Security-Policy refusal or a script error would show here first.
    assert not [p for p in problems if "Content Security Policy" in p or "Error" in p], problems


def new_token(local_stack, email: str | None = None, programme: str = "demo") -> str:
    email = email or f"portal-{uuid.uuid4().hex[:10]}@example.com"
    response = local_stack.post("/affonso/v1/embed/token", headers=AUTH,
                                json={"programId": programme, "partner": {"email": email, "name": "Pat Portal"}})
    assert response.status_code == 200, response.text
    return response.json()["data"]["publicToken"]


def open_portal(page, local_stack, token: str) -> None:
    page.goto(f"{local_stack.url}/affonso/portal#token={token}")
    page.locator("#dashboard:visible, #expired:visible").wait_for(state="visible")


def choose(page, code: str) -> None:
    """As a keyboard user: focus the labelled field, type, press Enter."""
    field = page.get_by_label("Choose your code")
    field.focus()
    field.fill("")
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def error_shown(page) -> str:
    message = page.locator("#message.error")
    message.wait_for(state="visible")
    assert message.get_attribute("role") == "alert" and message.get_attribute("aria-live") == "polite"
    return message.inner_text()


def shoot(page, name: str) -> None:
    if os.environ.get("SCREENSHOTS"):
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_happy_path_blueprint_then_jane20_then_checkout_accepts_it_and_the_sale_shows(page, local_stack):
    open_portal(page, local_stack, "demo-token-jane")
    assert "your customers get 20% off" in page.locator("#blueprint").inner_text().lower()
    assert page.get_by_role("heading", name="Demo affiliate programme").is_visible()
    assert "10% of each sale" in page.locator("#rewards").inner_text()
    shoot(page, "affonso-portal-blueprint.png")

    choose(page, "jane20")
    page.locator("#coupon").wait_for(state="visible")
    assert page.locator("#coupon-code").inner_text() == "JANE20"
    assert "JANE20 is ready" in page.locator("#message.success").inner_text()
    assert page.locator("#choose").is_hidden()

    quote = local_stack.post("/checkout/validate", headers=AUTH, json={"code": "JANE20", "cart": CART})
    assert (quote.status_code, quote.json()["discount"]) == (200, "20.00"), quote.text
    sold = local_stack.post("/checkout/redemptions", headers=AUTH,
                            json={"code": "jane20", "order_id": f"portal-{uuid.uuid4().hex[:8]}", "cart": CART,
                                  "customer": {"email": "buyer@example.com"}})
    assert sold.status_code == 201, sold.text

    page.reload()  # the affiliate comes back later
    page.locator("#dashboard:visible").wait_for()
    assert page.locator("#stat-sales").inner_text() == "1"
    assert "80.00" in page.locator("#stat-amount").inner_text()  # 100.00 - 20 %, shipping left out
    assert "8.00" in page.locator("#stat-pending").inner_text()  # 10 % commission
    assert page.locator("#stat-clicks").inner_text() == "not tracked"
    row = page.locator("#earnings tbody tr").first.inner_text()
    assert "80.00" in row and "8.00" in row and "Pending" in row
    assert "buyer" not in page.content()  # no customer e-mail reaches the affiliate
    shoot(page, "affonso-portal.png")


def test_code_taken_is_said_in_plain_words_and_the_field_is_marked(page, local_stack):
    open_portal(page, local_stack, new_token(local_stack))
    choose(page, "samsaves")
    assert "already taken" in error_shown(page)
    assert page.get_by_label("Choose your code").get_attribute("aria-invalid") == "true"
    shoot(page, "affonso-portal-code-taken.png")


def test_invalid_code_format(page, local_stack):
    open_portal(page, local_stack, new_token(local_stack))
    choose(page, "a!")
    assert "3 to 20 letters" in error_shown(page)


def test_already_has_coupon_then_the_coupon_is_shown(page, local_stack):
    token = new_token(local_stack)
    open_portal(page, local_stack, token)
    code = f"TAB{uuid.uuid4().hex[:8].upper()}"
    # Meanwhile, in another tab, the affiliate made its coupon.
    assert local_stack.post("/affonso/v1/embed/coupon", json={"token": token, "code": code}).status_code == 200
    choose(page, "ANOTHER1")
    assert "already have a coupon" in error_shown(page)
    page.locator("#coupon").wait_for(state="visible")
    assert page.locator("#coupon-code").inner_text() == code


def test_self_service_not_enabled(page, local_stack):
    programme = f"browser-{uuid.uuid4().hex[:8]}"
    settings = ProgrammeSettings(name="Switching programme", self_service=True,
                                 blueprint=Discount(kind=DiscountKind.PERCENT, value=Decimal(15)))
    add_programme(local_stack.table, programme, "demo-key", settings)
    open_portal(page, local_stack, new_token(local_stack, programme=programme))
    # The brand switches self-service off while the page is open.
    add_programme(local_stack.table, programme, "demo-key", settings.model_copy(update={"self_service": False}))
    choose(page, "PAT15")
    assert "doesn't let affiliates create their own codes" in error_shown(page)
    assert page.locator("#choose").is_hidden()


def test_a_used_up_daily_budget_is_said_in_plain_words_and_the_code_is_not_blamed(page, local_stack):
    programme = f"budget-{uuid.uuid4().hex[:8]}"
    add_programme(local_stack.table, programme, "demo-key", ProgrammeSettings(
        name="Busy programme", self_service=True, daily_coupons=1,
        blueprint=Discount(kind=DiscountKind.PERCENT, value=Decimal(10))))
    first = local_stack.post("/affonso/v1/embed/coupon", json={
        "token": new_token(local_stack, programme=programme), "code": f"B{uuid.uuid4().hex[:8].upper()}"})
    assert first.status_code == 200, first.text  # today's one coupon
    open_portal(page, local_stack, new_token(local_stack, programme=programme))
    choose(page, "PAT10")
    assert "as many new codes today as the brand allows" in error_shown(page)
    assert page.get_by_label("Choose your code").get_attribute("aria-invalid") is None
    assert page.locator("#choose").is_visible()  # tomorrow the same form works


def test_token_expired_while_the_page_is_open_shows_the_expired_view(page, local_stack):
    email = f"portal-{uuid.uuid4().hex[:10]}@example.com"
    open_portal(page, local_stack, new_token(local_stack, email))
    new_token(local_stack, email)  # a newer token retires the page's one
    choose(page, "PAT20")
    assert "session has expired" in error_shown(page)
    assert page.get_by_role("heading", name="Your session has expired").is_visible()
    assert page.locator("#dashboard").is_hidden()


def test_an_expired_token_opens_the_expired_view(page, local_stack):
    open_portal(page, local_stack, "a1b2c3d4e5f6789")
    assert page.get_by_role("heading", name="Your session has expired").is_visible()
    assert "open the affiliate portal again" in error_shown(page)
    shoot(page, "affonso-portal-expired.png")


def test_the_page_is_served_with_a_policy_that_lets_only_its_own_script_run(local_stack):
    response = local_stack.get("/affonso/portal")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "'unsafe-inline'" not in policy and "script-src 'sha256-" in policy


def test_a_paused_code_is_shown_paused_and_the_affiliate_chooses_a_new_one(page, local_stack):
    """The leak guard paused the affiliate's code: the portal says so in plain words, offers the
    form, and the new code works at checkout while the old one stays refused."""
    from coupons.core.models import utcnow
    from coupons.guard import pausing

    token = new_token(local_stack)
    old = f"LEAK{uuid.uuid4().hex[:6].upper()}"
    assert local_stack.post("/affonso/v1/embed/coupon", json={"token": token, "code": old}).status_code == 200
    pausing.pause(local_stack.table, old, "guard:no_ref", utcnow())
    open_portal(page, local_stack, token)
    notice = page.locator("#coupon-paused")
    assert notice.is_visible() and "This code is paused" in notice.inner_text()
    assert "leaked to coupon sites" in notice.inner_text() and "past sales are still yours" in notice.inner_text()
    assert "choose a new code to replace it" in page.locator("#blueprint").inner_text().lower()
    shoot(page, "affonso-portal-paused.png")

    new = f"NEW{uuid.uuid4().hex[:6].upper()}"
    choose(page, new.lower())
    page.locator("#coupon-paused").wait_for(state="hidden")
    assert page.locator("#coupon-code").inner_text() == new
    assert f"{new} is ready" in page.locator("#message.success").inner_text()
    assert old in page.locator("#coupon-previous").inner_text() and page.locator("#choose").is_hidden()

    quote_old = local_stack.post("/checkout/validate", headers=AUTH, json={"code": old, "cart": CART})
    quote_new = local_stack.post("/checkout/validate", headers=AUTH, json={"code": new, "cart": CART})
    assert (quote_old.status_code, quote_old.json()["error"]["code"], quote_new.status_code) == (422, "paused", 200)
    page.reload()  # the affiliate comes back later: the new code, the old one listed as replaced
    page.locator("#dashboard:visible").wait_for()
    assert page.locator("#coupon-code").inner_text() == new and page.locator("#coupon-paused").is_hidden()
    assert old in page.locator("#coupon-previous").inner_text()
