"""Coupon-code service, shipped as the shared Lambda layer: a shared core and one wing per partner.

- ``core/``: what every contract shares: codes, money, credentials, errors, the table (with the one
  transaction helper), the items every partner touches (codes, accounts, outbox), the sales seam,
  observability and the HTTP entry point. It imports nothing of ours above it.
- one package per contract, each holding its wire format (``wire.py``), its rules and its items:
  ``brandbassador``, ``sitevibes``, ``affonso``, ``friendbuy``, ``checkout``; ``sales`` is the
  sender's (delivering sale events). A wing imports core, never another wing
  (``tests/spine/test_structure.py``). See docs/architecture.md.
"""
