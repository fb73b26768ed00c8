"""The end of a function's init phase (what Lambda runs once per execution environment, before
the first request: our imports, Powertools, pydantic, botocore and its client).

Each handler module starts with ``gc.disable()``: init allocates a few hundred thousand objects
and frees almost none, so the collector's passes over them (run every 700 allocations) are pure
cost, 15 to 35% of the import time (measured in fresh interpreters on the built layer). ``finished()``, the
handler module's last line, moves everything init made to the permanent generation
(``gc.freeze``: later collections never scan it again, which also shortens them during requests)
and turns the collector back on. The price: a reference cycle that init created and dropped is
frozen too and never freed, a bounded one-off of init's garbage. ``tests/spine/test_cold_start_rules.py``
checks that every handler turns the collector back on."""

import gc


def finished() -> None:
    gc.freeze()
    gc.enable()
