"""The checkout's fixtures serve the guard's tests too (the partner stub)."""

from tests.checkout.conftest import stub

__all__ = ["stub"]
