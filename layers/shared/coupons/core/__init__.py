"""The shared core under every wing: nothing here knows a partner's wire format.

Its modules, one line each: docs/architecture.md, "A wing per partner on a shared core" (the table)."""
