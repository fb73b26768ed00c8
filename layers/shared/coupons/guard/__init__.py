"""Leak guard (issue 23): notice a partner's code leaking to coupon sites from the checkout's own
sale events, and flag or pause it (docs/guard.md).

- ``signals``: counts per code and day, and the pure verdict on them;
- ``policy``: mode (off, flag, pause) and thresholds per partner account, overridable per code;
- ``items``: the guard's DynamoDB items (``GUARD#...``): counters, policies, flag/pause records;
- ``pausing``: pause and unpause a code, conditional writes that touch only ``paused_at``/``paused_by``;
- ``detector``: the step the sender runs for each sale event (off the request path).
"""
