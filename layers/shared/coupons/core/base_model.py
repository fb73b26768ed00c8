"""The one base class of our pydantic models."""

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict


class _Hidden:
    def __repr__(self) -> str:
        return "<hidden>"


_HIDDEN = _Hidden()


class Model(BaseModel):
    """A pydantic model whose validators are built on first use, not at import. A function imports
    every model of its wing but one request uses a few: building them all at import was the
    largest share of our own cold start (``python -m bench coldstart``). Subclasses' own
    ``model_config`` merges with this one."""

    model_config = ConfigDict(defer_build=True)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        """A model's repr and str name its fields, never their values: requests and records hold
        codes, emails and secrets, and libraries put reprs in their debug logs (Powertools logs
        every route's arguments: "Calling API Route Handler: {route_args}"). Also cheaper: that
        f-string is built on every request, debug or not."""
        given = self.__pydantic_fields_set__
        for name in type(self).model_fields:
            if name in given:
                yield name, _HIDDEN
