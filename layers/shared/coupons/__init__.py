"""Coupon-code service, shipped as the shared Lambda layer: a shared core (``core/``) and one wing per partner.

A wing imports core, never another wing (``tests/spine/test_structure.py``); the packages and their
modules: docs/architecture.md, "A wing per partner on a shared core"."""
