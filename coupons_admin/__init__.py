"""Admin CLI (``coupons-admin`` or ``python -m coupons_admin``): partner accounts, keys, exports.

Works against a deployed table (``COUPONS_TABLE`` and your AWS credentials) or the local stack
(``--local``, what ``make run`` starts). Each module here adds one group of commands through
``register(subparsers)``; ``__main__`` finds them by itself.
"""
