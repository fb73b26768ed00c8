"""The two rules that keep our share of a cold start small (docs/architecture.md, "Cold start"):
every handler turns the garbage collector off for its init and back on at its end
(coupons.core.init_phase; one that forgot would serve every request without a collector), and every
pydantic model of ours builds its validators on first use (coupons.core.base_model)."""

import gc
import importlib
import pkgutil

import pytest
from pydantic import BaseModel

import coupons
from coupons.core.base_model import Model
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


def test_every_model_of_ours_builds_its_validators_on_first_use():
    for info in pkgutil.walk_packages(coupons.__path__, "coupons."):
        importlib.import_module(info.name)
    ours = [cls for cls in _subclasses(BaseModel) if cls.__module__.startswith("coupons.")]
    assert len(ours) > 20, "the walk found too few models: nothing checked"
    eager = sorted(f"{cls.__module__}.{cls.__qualname__}" for cls in ours
                   if not issubclass(cls, Model) or not cls.model_config.get("defer_build"))
    assert eager == []


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found
