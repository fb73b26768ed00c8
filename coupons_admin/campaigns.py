"""Friendbuy campaigns: ``campaigns add | list | activate | deactivate | link-friendbuy | unlink-friendbuy``."""

from __future__ import annotations

import argparse

from coupons.core.table import Table
from coupons.friendbuy import campaigns, outbound
from coupons.friendbuy.campaigns import CampaignSettings


def _add(table: Table, args: argparse.Namespace) -> None:
    settings = CampaignSettings(access_key=args.key, active=not args.inactive, name=args.name,
                                **({"link_base": args.link_base} if args.link_base else {}),
                                destination_url=args.destination_url, referral_url=args.referral_url)
    campaigns.add_campaign(table, args.campaign, args.secret, settings)
    print(f"campaign {args.campaign} saved ({'active' if settings.active else 'inactive'}), access key {args.key}")


def _list(table: Table, args: argparse.Namespace) -> None:
    for c in campaigns.list_campaigns(table):
        state = "active" if c.settings.active else "inactive"
        linked = "linked to Friendbuy" if outbound.is_linked(table, c.id) else "not linked"
        print(f"{c.id}\t{state}\tkey={c.settings.access_key}\tlinks={c.settings.link_base}\t{linked}\t{c.settings.name or ''}")


def _link(table: Table, args: argparse.Namespace) -> None:
    campaigns.get_campaign(table, args.campaign)  # NotFound for a campaign that does not exist
    outbound.link(table, args.campaign, args.key, args.secret)
    print(f"campaign {args.campaign}: checkout sales of its codes are sent to Friendbuy with MAPI key {args.key} "
          "(the secret is stored for the sender only and never printed)")


def _unlink(table: Table, args: argparse.Namespace) -> None:
    outbound.unlink(table, args.campaign)
    print(f"campaign {args.campaign}: sales are recorded here only")


def _set_active(active: bool):
    def run(table: Table, args: argparse.Namespace) -> None:
        campaigns.set_active(table, args.campaign, active)
        print(f"campaign {args.campaign} is now {'active' if active else 'inactive'}")
    return run


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("campaigns", help="Friendbuy campaigns (access key and secret, active flag)")
    commands = parser.add_subparsers(dest="command", required=True)

    add = commands.add_parser("add", help="add or replace a campaign")
    add.add_argument("campaign", help="campaign id, as partners send it in campaign.id (e.g. 53345)")
    add.add_argument("--key", required=True, help="access key (POST /v1/authorization's key)")
    add.add_argument("--secret", required=True, help="the key's secret (stored hashed; one secret per key)")
    add.add_argument("--name", help="a name for people")
    add.add_argument("--link-base", help="referral links are this + the referral code (default https://fbuy.io/)")
    add.add_argument("--destination-url", help="where a referral link lands")
    add.add_argument("--referral-url", help="personal referral links (POST /v1/personal-referral-link) are this URL "
                                            "with ?referralCode=...&attributionId=... (default: --destination-url)")
    add.add_argument("--inactive", action="store_true", help="create it inactive (requests answer 404)")
    add.set_defaults(run=_add)

    commands.add_parser("list", help="list campaigns").set_defaults(run=_list)

    link = commands.add_parser("link-friendbuy", help="send checkout sales of the campaign's codes to the brand's "
                                                      "Friendbuy account (Merchant API key and secret)")
    link.add_argument("campaign")
    link.add_argument("--key", required=True, help="Friendbuy MAPI key (Friendbuy: Developer Center > Integration Keys)")
    link.add_argument("--secret", required=True, help="Friendbuy MAPI secret (readable by the sender function only)")
    link.set_defaults(run=_link)
    unlink = commands.add_parser("unlink-friendbuy", help="stop sending the campaign's sales to Friendbuy")
    unlink.add_argument("campaign")
    unlink.set_defaults(run=_unlink)
    for name, active in (("activate", True), ("deactivate", False)):
        command = commands.add_parser(name, help=f"mark a campaign {'active' if active else 'inactive'}")
        command.add_argument("campaign")
        command.set_defaults(run=_set_active(active))
