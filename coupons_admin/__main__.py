"""Entry point: ``coupons-admin [--local | --table NAME] <group> <command> ...``."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

import coupons_admin
from coupons.core.errors import CouponError
from coupons.core.partners import PARTNERS
from coupons.core.settings import TABLE_ENV
from coupons.core.table import Table

LOCAL_ENDPOINT = "http://127.0.0.1:8000"
LOCAL_KMS_ENDPOINT = "http://127.0.0.1:3200"  # make run's moto KMS (localrun/kms_local.py), key alias/coupons-partner-secrets
LOCAL_TABLE = "coupons-local"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coupons-admin", description=coupons_admin.__doc__)
    parser.add_argument("--table", default=os.environ.get(TABLE_ENV), help=f"table name (default: ${TABLE_ENV})")
    parser.add_argument(
        "--local",
        action="store_true",
        help=f"use the stack `make run` starts (table {LOCAL_TABLE} on DynamoDB Local at {LOCAL_ENDPOINT}, "
             f"KMS at {LOCAL_KMS_ENDPOINT})",
    )
    groups = parser.add_subparsers(dest="group", required=True, metavar="GROUP")
    # Each partner's groups, as the partner registry names them, then the shared ones (codes, checkout).
    named = [group for partner in PARTNERS for group in partner.admin]
    shared = sorted(m.name for m in pkgutil.iter_modules(coupons_admin.__path__)
                    if not m.name.startswith("_") and m.name not in named)
    for name in [*named, *shared]:
        loaded = importlib.import_module(f"coupons_admin.{name}")
        if hasattr(loaded, "register"):
            loaded.register(groups)
    return parser


def table_for(args: argparse.Namespace) -> Table:
    if args.local:
        os.environ.setdefault("AWS_ENDPOINT_URL_DYNAMODB", LOCAL_ENDPOINT)
        os.environ.setdefault("AWS_ENDPOINT_URL_KMS", LOCAL_KMS_ENDPOINT)
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            os.environ.setdefault(name, "local")
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        return Table(args.table or LOCAL_TABLE)
    if not args.table:
        sys.exit(f"coupons-admin: name the table with --table or ${TABLE_ENV} (or use --local)")
    return Table(args.table)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(table_for(args), args) or 0
    except CouponError as error:
        print(f"coupons-admin: {error.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
