"""The end of a function's init phase: ``finished()``, the handler module's last line.

Handlers start with ``gc.disable()``; ``finished()`` freezes what init made (``gc.freeze``) and turns
the collector back on (``tests/spine/test_cold_start_rules.py``). Why and at what price:
docs/architecture.md, "A wing per partner on a shared core" (Cold start)."""

import gc


def finished() -> None:
    gc.freeze()
    gc.enable()
