"""Secrets stored before KMS encryption: ``secrets reencrypt`` seals them (core.sealed).

Upgrading a deployment leaves its webhook secrets, Friendbuy MAPI secrets, Brandbassador tracking
keys and bank generation keys in clear; the sender reads those as they are until this command
seals each one in place (a conditional write: a value replaced meanwhile is left alone). It prints
what it sealed, never a value.
"""

from __future__ import annotations

import argparse
from collections import Counter

from coupons.brandbassador.webshops import PARTNER as BRANDBASSADOR
from coupons.core import account_items, partners, sealed
from coupons.core.table import Table
from coupons.friendbuy import banks, outbound_items
from coupons.friendbuy.campaigns import PARTNER as FRIENDBUY
from coupons.sales import alerts, webhook_items
from coupons_admin.webshops import reseal_tracking_key

WEBHOOK_OWNERS = (*partners.WEBHOOK_PARTNERS, alerts.GUARD_WEBHOOK)


def reencrypt(table: Table, bank_ids: list[str]) -> Counter[str]:
    """Seal every secret still in clear; how many of each kind were sealed."""
    done: Counter[str] = Counter()
    for owner in WEBHOOK_OWNERS:
        hook = webhook_items.get(table, owner)
        done["webhook secrets"] += bool(hook and webhook_items.reseal(table, hook))
    for campaign in account_items.list_all(table, FRIENDBUY):
        link = outbound_items.get_link(table, campaign.account_id)
        done["Friendbuy MAPI secrets"] += bool(link and outbound_items.reseal_link(table, link))
    for webshop in account_items.list_all(table, BRANDBASSADOR):
        stored = webshop.settings.get("tracking_key")
        if stored and not sealed.is_sealed(stored):
            done["tracking keys"] += reseal_tracking_key(table, webshop.account_id, stored)
    for bank_id in bank_ids:
        done["bank generation keys"] += banks.reseal_generation_key(table, banks.get_bank(table, bank_id))
    return done


def _reencrypt(table: Table, args: argparse.Namespace) -> None:
    done = reencrypt(table, args.bank)
    kinds = ("webhook secrets", "Friendbuy MAPI secrets", "tracking keys", "bank generation keys")
    print("sealed with KMS: " + ", ".join(f"{done[kind]} {kind}" for kind in kinds))


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("secrets", help="partner secrets at rest (KMS): seal those stored before encryption")
    commands = parser.add_subparsers(dest="command", required=True)
    reencrypt_ = commands.add_parser(
        "reencrypt", help="seal every webhook secret, Friendbuy MAPI secret and tracking key still stored in clear "
                          f"(key: ${sealed.KEY_ENV}, the stack's PartnerSecretsKeyArn output)")
    reencrypt_.add_argument("--bank", action="append", default=[],
                            help="also seal this Friendbuy bank's generation key (banks are not listed; repeatable)")
    reencrypt_.set_defaults(run=_reencrypt)
