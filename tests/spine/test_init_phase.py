"""Every handler turns the garbage collector off for its init and back on at the end of it
(coupons.core.init_phase): a handler that forgot would run every request without a collector."""

import gc

import pytest

from localrun import template
from localrun.gateway import load_module


@pytest.mark.parametrize("function", template.functions(), ids=lambda f: f.name)
def test_a_handler_leaves_the_collector_on_after_its_init(function: template.Function):
    source = (function.code_dir / "app.py").read_text()
    assert "gc.disable()" in source, "no gc.disable() before the imports: init pays the collector's passes"
    gc.enable()
    load_module(function.code_dir, function.handler, f"init_phase_{function.name}")
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0  # init's objects were moved out of the collector's way
    gc.unfreeze()
