"""Brandbassador over HTTP against the local stack (DynamoDB Local), as a partner would call it."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from coupons.core import code_items

pytestmark = pytest.mark.local_stack

URL = "/brandbassador/webshops/demo/codes"


def test_percent_code_then_other_case_already_exists(local_stack):
    created = local_stack.get(URL, params={"code": "HTTP20", "percentage": "20", "auth_key": "demo-key"})
    assert (created.status_code, created.json()) == (200, {"status": "success"})
    again = local_stack.get(URL, params={"code": "http20", "percentage": "20", "auth_key": "demo-key"})
    assert (again.status_code, again.json()) == (409, {"status": 0, "error": "Discount code already exists"})
    assert code_items.get(local_stack.table, "HTTP20").discount.value == 20


def test_gift_card_is_stored_with_its_balance(local_stack):
    response = local_stack.get(URL, params={"code": "HTTPGIFT", "amount": "250.00", "auth_key": "demo-key"})
    assert response.status_code == 200
    stored = code_items.get(local_stack.table, "HTTPGIFT")
    assert (stored.balance, stored.discount.currency) == (250, "EUR")


@pytest.mark.parametrize(
    "params, status",
    [
        ({"code": "HTTPX1", "percentage": "20"}, 401),
        ({"code": "HTTPX1", "percentage": "20", "auth_key": "wrong"}, 403),
        ({"code": "HTTP X1", "percentage": "20", "auth_key": "demo-key"}, 400),
        ({"code": ["HTTPX1", "HTTPX2"], "percentage": "20", "auth_key": "demo-key"}, 400),
        ({"code": "HTTPX1", "percentage": "20", "auth_key": "demo-key", "expire": "tomorrow"}, 400),
    ],
)
def test_refusals_keep_brandbassadors_shape(local_stack, params, status):
    response = local_stack.get(URL, params=params)
    assert response.status_code == status
    assert response.json()["status"] == 0 and response.json()["error"]
    assert code_items.get(local_stack.table, "HTTPX1") is None


def test_unknown_route_is_a_404(local_stack):
    assert local_stack.get("/brandbassador/nothing").status_code == 404


def test_fifty_parallel_creations_of_one_code_give_exactly_one_success(local_stack):
    def attempt(i: int) -> int:
        # Different ambassadors: real competitors, not retries of one request.
        params = {"code": "RACE50", "percentage": "20", "auth_key": "demo-key", "ambassador": f"amb{i}"}
        return local_stack.get(URL, params=params).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(attempt, range(50)))
    assert statuses.count(200) == 1 and statuses.count(409) == 49
    winner = code_items.get(local_stack.table, "RACE50", consistent=True)
    assert winner.owner.person.startswith("amb")


def test_parallel_retries_of_one_request_all_succeed_with_one_code(local_stack):
    params = {"code": "RETRYRACE", "amount": "20.00", "auth_key": "demo-key", "ambassador": "amb1"}
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda _: local_stack.get(URL, params=params).status_code, range(20)))
    assert statuses == [200] * 20
    assert code_items.get(local_stack.table, "RETRYRACE", consistent=True).balance == 20
