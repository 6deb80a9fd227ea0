"""The store's edge: what goes wrong below it leaves as one named error, `StoreUnavailable`.

Callers (the dialogue, the staff tools, the workbench) catch `StoreUnavailable` and never the
driver's own exceptions, so a second driver (PostgreSQL) changes nothing above the store.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from typing import Any, TypeVar

# DRIVER_ERRORS: what the drivers (and the file system under them) raise when the database is
# out of reach.
from bot.store.driver import DRIVER_ERRORS

# Inside a store method, the store's own code still sees the driver's errors (it decides
# whether to keep a question in memory, move a damaged file aside, …); only the outermost
# call translates.
_inside: ContextVar[bool] = ContextVar("policybot_store_inside", default=False)
_T = TypeVar("_T", bound=type)


class StoreUnavailable(Exception):
    """The question log cannot be read or written now: locked, read-only, full, damaged,
    replaced or unreachable. The driver's exception is its `__cause__`."""


def _unavailable(exc: BaseException) -> StoreUnavailable:
    return StoreUnavailable(f"问题日志现在无法读写，请稍后再试（{type(exc).__name__}: {exc}）")


def _guard(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(method)
    async def guarded(*args: Any, **kwargs: Any) -> Any:
        if _inside.get():
            return await method(*args, **kwargs)
        token = _inside.set(True)
        try:
            return await method(*args, **kwargs)
        except DRIVER_ERRORS as exc:
            raise _unavailable(exc) from exc
        finally:
            _inside.reset(token)

    return guarded


def _guard_iter(method: Callable[..., AsyncIterator[Any]]) -> Callable[..., AsyncIterator[Any]]:
    @functools.wraps(method)
    async def guarded(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        try:
            async for item in method(*args, **kwargs):
                yield item
        except DRIVER_ERRORS as exc:
            raise _unavailable(exc) from exc

    return guarded


def guarded_store(cls: _T) -> _T:
    """Make every public coroutine method of `cls` (inherited ones included) raise
    `StoreUnavailable` instead of a driver error. `open` is left alone: a database that
    cannot be opened is the caller's start-up error (corrupt, newer schema, not ours)."""
    for name in dir(cls):
        if name.startswith("_") or name == "open":
            continue
        attr = inspect.getattr_static(cls, name)
        if inspect.iscoroutinefunction(attr):
            setattr(cls, name, _guard(attr))
        elif inspect.isasyncgenfunction(attr):
            setattr(cls, name, _guard_iter(attr))
    return cls
