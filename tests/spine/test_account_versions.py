"""Every account kind (webshops, rewards, programmes, campaigns, checkout keys) carries a version that
every write raises: an edit saved from a stale copy fails loudly, and never undoes a key rotation."""

from datetime import timedelta

import pytest

from coupons.core import account_items as accounts
from coupons.core.credentials import hash_secret, verify_secret
from coupons.core.models import Account


def add(table, partner: str = "brandbassador", account_id: str = "shop", secret: str = "k1", **settings) -> Account:
    accounts.put(table, Account(partner=partner, account_id=account_id, secret_hash=hash_secret(secret),
                                settings=settings or {"base_currency": "EUR"}))
    stored = accounts.get(table, partner, account_id)
    assert stored is not None
    return stored


def test_every_write_raises_the_version(table):
    assert add(table).version == 1
    assert add(table).version == 2  # replacing ("add" again) too: no copy read before it can be saved
    accounts.set_secret(table, "brandbassador", "shop", hash_secret("k2"))
    read = accounts.get(table, "brandbassador", "shop")
    assert read.version == 3
    accounts.save(table, read.model_copy(update={"settings": {"base_currency": "SEK"}}))
    assert accounts.get(table, "brandbassador", "shop").version == 4


def test_a_save_from_a_stale_copy_is_refused_and_writes_nothing(table):
    first = add(table, partner="affonso", account_id="spring", name="Spring")
    second = accounts.get(table, "affonso", "spring")  # another admin, same moment
    accounts.save(table, second.model_copy(update={"settings": {"name": "Second's edit"}}))
    with pytest.raises(accounts.ChangedMeanwhile, match=r"changed by someone else .* Run the command again"):
        accounts.save(table, first.model_copy(update={"settings": {"name": "First's edit"}}))
    assert accounts.get(table, "affonso", "spring").settings == {"name": "Second's edit"}


def test_a_rotation_is_never_undone_by_an_edit_read_before_it(table):
    before = add(table, partner="sitevibes", account_id="reward", secret="old-secret")
    accounts.set_secret(table, "sitevibes", "reward", hash_secret("new-secret"), grace=timedelta(hours=1))
    with pytest.raises(accounts.ChangedMeanwhile):
        accounts.save(table, before.model_copy(update={"settings": {"base_currency": "USD"}}))
    stored = accounts.get(table, "sitevibes", "reward")
    assert verify_secret("new-secret", stored.secret_hash) and verify_secret("old-secret", stored.previous_secret_hash)


def test_an_account_stored_before_versions_is_saved_once_from_its_read(table):
    key = accounts.key("friendbuy", "53345")
    table.client.put_item(TableName=table.name, Item=table.serialize(
        {**key, "partner": "friendbuy", "account_id": "53345", "settings": {"active": True}}))
    legacy = accounts.get(table, "friendbuy", "53345")
    assert legacy.version == 0
    accounts.save(table, legacy.model_copy(update={"settings": {"active": False}}))
    assert accounts.get(table, "friendbuy", "53345").version == 1
    with pytest.raises(accounts.ChangedMeanwhile):  # the same old copy, again
        accounts.save(table, legacy.model_copy(update={"settings": {"active": True}}))


def test_saving_an_account_that_was_removed_does_not_bring_it_back(table):
    gone = add(table, partner="checkout", account_id="key-1")
    table.client.delete_item(TableName=table.name, Key=table.serialize(accounts.key("checkout", "key-1")))
    with pytest.raises(accounts.ChangedMeanwhile):
        accounts.save(table, gone)
    assert accounts.get(table, "checkout", "key-1") is None


def test_a_replaced_account_keeps_no_field_the_new_one_leaves_empty(table):
    add(table)
    accounts.set_secret(table, "brandbassador", "shop", hash_secret("k2"), grace=timedelta(hours=1))
    add(table, secret="k3")  # "webshops add" again: a replacement, as before versions
    stored = accounts.get(table, "brandbassador", "shop")
    assert stored.previous_secret_hash is None and stored.previous_valid_until is None
    assert verify_secret("k3", stored.secret_hash)
