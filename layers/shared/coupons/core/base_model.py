"""The one base class of our pydantic models."""

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """A pydantic model whose validators are built on first use, not at import. A function imports
    every model of its wing but one request uses a few: building them all at import was the
    largest share of our own cold start (``python -m bench coldstart``). Subclasses' own
    ``model_config`` merges with this one."""

    model_config = ConfigDict(defer_build=True)
