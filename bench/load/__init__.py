"""``make load``: Locust against the local stack (``python -m bench.load``; see its __main__)."""
