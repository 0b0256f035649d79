"""A rule every settings model shares (profiles, `Forcing`, a server request's `vllm_xargs`): a boolean is not a
number. pydantic's lax mode reads `true` as 1 for an int field and 1.0 for a float one, so `max_thinking: true`
would run with a budget of one token. Strings stay as lax as before ("64" is still 64 where pydantic allows it)."""

from __future__ import annotations

import types
import typing

from pydantic import ValidationInfo


def admits_bool(annotation) -> bool:
    """May a value of this type be a bool (`bool`, `Any`, or a union or `Literal` that includes one)?"""
    if annotation is bool or annotation is typing.Any:
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(admits_bool(a) for a in typing.get_args(annotation))
    if origin is typing.Literal:
        return any(isinstance(a, bool) for a in typing.get_args(annotation))
    if origin is typing.Annotated:
        return admits_bool(typing.get_args(annotation)[0])
    return False


def bool_where_number(annotation, value) -> bool:
    """Is there a bool in `value` (or its items) where `annotation` does not allow one?"""
    if isinstance(value, bool):
        return not admits_bool(annotation)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return all(bool_where_number(a, value) for a in args)
    if origin is dict and isinstance(value, dict) and len(args) == 2:
        return any(bool_where_number(args[1], v) for v in value.values())
    if origin in (list, tuple, set, frozenset) and isinstance(value, (list, tuple, set, frozenset)) and args:
        items = args[:1] * len(value) if origin is not tuple or args[-1] is Ellipsis else args
        return any(bool_where_number(a, v) for a, v in zip(items, value))
    return False


def refuse_bools(cls, value, info: ValidationInfo):
    """A `field_validator("*", mode="before")` for a pydantic model or dataclass."""
    field = cls.__pydantic_fields__.get(info.field_name)
    if field is not None and bool_where_number(field.annotation, value):
        raise ValueError(f"{str(value).lower()} is a boolean; this setting takes a number")
    return value
