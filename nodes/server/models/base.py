"""The two kinds of model the API uses.

``Answer``: a body this API builds itself; every member is declared and no other may
appear, so the document states the whole body. ``Record``: an object the ledger or a
contract defines (a stored anchor, a product, a receipt); the members named are promised,
others it carries pass through unchanged and in their order, so the answer's bytes are
the object's own.
"""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    ValidatorFunctionWrapHandler,
    model_serializer,
    model_validator,
)


class Answer(BaseModel):
    """A body whose members are all declared."""

    model_config = ConfigDict(extra="forbid")


class Record(BaseModel):
    """An object defined by the ledger or a contract: named members promised, the rest
    kept as they are, every member in the order the object has it."""

    model_config = ConfigDict(extra="allow")
    _order: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _remember_order(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        record = handler(data)
        if isinstance(data, dict) and isinstance(record, Record):
            record._order = tuple(data)
        return record

    @model_serializer(mode="wrap")
    def _in_order(self, handler: SerializerFunctionWrapHandler):
        # no return annotation: the document then shows the model's own schema
        out: dict[str, Any] = handler(self)
        if not self._order:
            return out
        ordered = {k: out[k] for k in self._order if k in out}
        return ordered | out
