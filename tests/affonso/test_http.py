"""Affonso over HTTP against the local stack (DynamoDB Local), as the brand's server and an embedded
portal would call it."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from coupons.core import code_items

pytestmark = pytest.mark.local_stack

TOKEN = "/affonso/v1/embed/token"
DATA = "/affonso/v1/embed/data"
COUPON = "/affonso/v1/embed/coupon"
AUTH = {"Authorization": "Bearer demo-key"}


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10].upper()}"


def new_token(local_stack, email: str | None = None, programme: str = "demo") -> str:
    email = email or f"{unique('aff')}@example.com".lower()
    response = post(local_stack, TOKEN, headers=AUTH, json={"programId": programme, "partner": {"email": email}})
    assert response.status_code == 200, response.text
    return response.json()["data"]["publicToken"]


def post(local_stack, path: str, **kwargs):
    # In a burst of connections the local gateway's listen queue may reset one before the request
    # is read. A client then repeats the request, which this contract makes safe (the same coupon
    # request answers the same coupon or the same refusal; a repeated token request just issues
    # the newer token), so the test does too: every request still gets exactly one answer.
    for attempt in range(3):
        try:
            return local_stack.post(path, **kwargs)
        except requests.ConnectionError:
            if attempt == 2:
                raise


def create(local_stack, token: str, code: str):
    return post(local_stack, COUPON, json={"token": token, "code": code})


def error_code(response) -> tuple[int, str]:
    body = response.json()
    assert body["success"] is False and set(body["error"]) == {"code", "message"}
    return response.status_code, body["error"]["code"]


def test_token_then_blueprint_then_coupon_then_data_shows_it(local_stack):
    email = f"{unique('flow')}@example.com".lower()
    issued = local_stack.post(TOKEN, headers=AUTH, json={
        "programId": "demo", "partner": {"email": email, "name": "Flo"}, "externalUserId": "u-9",
        "metadata": {"plan": "pro", "ratio": 0.5}})
    assert issued.status_code == 200 and issued.json()["success"] is True
    token = issued.json()["data"]["publicToken"]

    before = local_stack.get(DATA, params={"token": token}).json()["data"]
    assert (before["coupon"], before["couponBlueprint"]) == (None, {"discountType": "percentage", "discountValue": 20})

    code = unique("FLO")
    created = create(local_stack, token, code.lower()[:3] + "-" + code[3:])
    assert (created.status_code, created.json()) == (
        200, {"success": True, "data": {"code": code, "discountType": "percentage", "discountValue": 20}})

    after = local_stack.get(DATA, params={"token": token}).json()["data"]
    not_paused = {"paused": False, "pausedReason": None, "previousCodes": []}
    assert (after["coupon"], after["couponBlueprint"]) == ({**created.json()["data"], **not_paused}, None)
    stored = code_items.get(local_stack.table, code, consistent=True)  # a normal code, for checkout
    assert (stored.owner.partner, stored.owner.account, stored.owner.person) == ("affonso", "demo", after["affiliate"]["trackingId"])
    assert (stored.discount.kind.value, stored.discount.value, stored.status) == ("percent", 20, "active")


# Every field of Affonso's documented Get Embed Data payload (docs.affonso.io, get-data).
DOCUMENTED = {"affiliate", "link", "websiteUrl", "rewards", "incentives", "stats", "earnings", "portalUrl", "coupon",
              "couponBlueprint", "creatives", "program", "theme", "token"}


def test_token_says_approved_and_data_counts_the_checkouts_sales_of_the_affiliates_code(local_stack):
    email = f"{unique('sales')}@example.com".lower()
    issued = post(local_stack, TOKEN, headers=AUTH, json={"programId": "demo", "partner": {"email": email}})
    assert issued.json()["data"]["partnershipStatus"] == "APPROVED"
    token = issued.json()["data"]["publicToken"]
    code = unique("SALE")
    assert create(local_stack, token, code).status_code == 200
    cart = {"subtotal": "59.99", "shipping": "4.90", "currency": "EUR"}
    for order in ("1", "2"):
        sold = local_stack.post("/checkout/redemptions", headers=AUTH,
                                json={"code": code, "order_id": f"{code}-{order}", "cart": cart})
        assert sold.status_code == 201, sold.text

    data = local_stack.get(DATA, params={"token": token}).json()["data"]
    assert set(data) == DOCUMENTED and data["token"] == token
    assert set(data["affiliate"]) == {"name", "email", "trackingId", "avatarUrl"}
    # 59.99 - 20 % = 47.99 paid for the goods (shipping left out); 10 % commission = 4.80 (4.799 half up).
    assert data["stats"] == {"clicks": None, "leads": None, "sales": 2, "salesAmount": 95.98, "currency": "EUR",
                             "earnings": {"pending": 9.6, "approved": None, "paid": None}}
    assert [(e["amount"], e["commission"], e["status"]) for e in data["earnings"]] == [(47.99, 4.8, "PENDING")] * 2


def test_the_five_errors(local_stack):
    token = new_token(local_stack)
    assert create(local_stack, token, unique("MINE")).status_code == 200
    assert error_code(create(local_stack, token, unique("MORE"))) == (409, "ALREADY_HAS_COUPON")
    assert error_code(create(local_stack, new_token(local_stack), "sam-saves")) == (409, "CODE_TAKEN")
    assert error_code(create(local_stack, new_token(local_stack, programme="demo-closed"), unique("K"))) == (
        403, "SELF_SERVICE_NOT_ENABLED")
    assert error_code(create(local_stack, new_token(local_stack), "!a!")) == (400, "INVALID_CODE_FORMAT")
    assert error_code(create(local_stack, "a1b2c3d4e5f6789", unique("T"))) == (401, "TOKEN_EXPIRED")
    assert error_code(local_stack.get(DATA, params={"token": token + "x"})) == (401, "TOKEN_EXPIRED")


def test_a_newer_token_retires_the_older_one(local_stack):
    email = f"{unique('two')}@example.com".lower()
    first = new_token(local_stack, email)
    second = new_token(local_stack, email)
    assert error_code(local_stack.get(DATA, params={"token": first})) == (401, "TOKEN_EXPIRED")
    assert local_stack.get(DATA, params={"token": second}).status_code == 200


@pytest.mark.parametrize(
    "path, kwargs, expected",
    [
        (TOKEN, {"headers": AUTH, "data": "{not json"}, (400, "VALIDATION_ERROR")),
        (TOKEN, {"headers": AUTH, "json": {"programId": "demo"}}, (400, "VALIDATION_ERROR")),
        (TOKEN, {"json": {"programId": "demo", "partner": {"email": "a@b.co"}}}, (401, "UNAUTHORIZED")),
        (TOKEN, {"headers": {"Authorization": "Bearer nope"}, "json": {"programId": "demo", "partner": {"email": "a@b.co"}}},
         (401, "UNAUTHORIZED")),
        (TOKEN, {"headers": AUTH, "json": {"programId": "nope", "partner": {"email": "a@b.co"}}}, (401, "UNAUTHORIZED")),  # as a wrong key
        (COUPON, {"data": "[]"}, (400, "VALIDATION_ERROR")),
        (COUPON, {"json": {"code": "ABC"}}, (400, "VALIDATION_ERROR")),
    ],
)
def test_refusals_of_the_token_and_coupon_routes(local_stack, path, kwargs, expected):
    assert error_code(local_stack.post(path, **kwargs)) == expected


def test_data_without_a_token_is_a_validation_error(local_stack):
    assert error_code(local_stack.get(DATA)) == (400, "VALIDATION_ERROR")


def test_fifty_parallel_codes_from_one_affiliate_give_it_exactly_one(local_stack):
    token = new_token(local_stack)
    codes = [unique("ONE") for _ in range(50)]
    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(lambda code: create(local_stack, token, code), codes))
    outcomes = [r.status_code if r.status_code == 200 else error_code(r) for r in responses]
    assert outcomes.count(200) == 1 and outcomes.count((409, "ALREADY_HAS_COUPON")) == 49, outcomes
    winner = next(r.json()["data"]["code"] for r in responses if r.status_code == 200)
    written = [c for c in codes if code_items.get(local_stack.table, c, consistent=True)]
    assert written == [winner]  # the 49 losers left no code item behind


def test_fifty_affiliates_racing_for_one_code_give_one_owner(local_stack):
    with ThreadPoolExecutor(max_workers=10) as pool:
        tokens = list(pool.map(lambda _: new_token(local_stack), range(50)))
    code = unique("RACE")
    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(lambda token: create(local_stack, token, code), tokens))
    outcomes = [r.status_code if r.status_code == 200 else error_code(r) for r in responses]
    assert outcomes.count(200) == 1 and outcomes.count((409, "CODE_TAKEN")) == 49, outcomes
    winner = tokens[outcomes.index(200)]
    owner = local_stack.get(DATA, params={"token": winner}).json()["data"]["affiliate"]["trackingId"]
    assert code_items.get(local_stack.table, code, consistent=True).owner.person == owner
    # The losers hold no claim: each can still pick another code.
    loser = tokens[(outcomes.index(200) + 1) % 50]
    assert create(local_stack, loser, unique("NEXT")).status_code == 200


def test_parallel_retries_of_one_request_all_answer_the_same_coupon(local_stack):
    token, code = new_token(local_stack), unique("RETRY")
    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(lambda _: create(local_stack, token, code), range(20)))
    assert [r.status_code for r in responses] == [200] * 20
    assert {r.json()["data"]["code"] for r in responses} == {code}


def test_parallel_tokens_for_one_affiliate_leave_exactly_one_working(local_stack):
    email = f"{unique('many')}@example.com".lower()
    with ThreadPoolExecutor(max_workers=10) as pool:
        tokens = list(pool.map(lambda _: new_token(local_stack, email), range(10)))
    answers = [local_stack.get(DATA, params={"token": token}) for token in tokens]
    assert [a.status_code for a in answers].count(200) == 1, [a.status_code for a in answers]
    assert all(error_code(a) == (401, "TOKEN_EXPIRED") for a in answers if a.status_code != 200)


def test_a_coupon_made_while_a_new_token_is_issued_is_never_lost_from_the_portal(local_stack):
    """The portal creates the coupon with its token while the brand's server asks for a new one: either
    the coupon is made and the new token shows it, or the old token is refused and nothing is made."""
    for _ in range(8):
        email = f"{unique('both')}@example.com".lower()
        old, code = new_token(local_stack, email), unique("BOTH")
        with ThreadPoolExecutor(max_workers=2) as pool:
            made = pool.submit(create, local_stack, old, code)
            newer = pool.submit(new_token, local_stack, email)
        shown = local_stack.get(DATA, params={"token": newer.result()}).json()["data"]["coupon"]
        stored = code_items.get(local_stack.table, code, consistent=True)
        if made.result().status_code == 200:
            assert shown is not None and shown["code"] == code and stored is not None
        else:
            assert error_code(made.result()) == (401, "TOKEN_EXPIRED") and shown is None and stored is None
