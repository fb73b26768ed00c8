"""Fixtures of the money tests: the partner stub (it serves the ECB fixture) as the checkout tests have it."""

from tests.checkout.conftest import stub  # noqa: F401 - a fixture, used by name
