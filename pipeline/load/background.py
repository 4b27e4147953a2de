"""Work done by one thread of its own beside the caller's: the workbook's block compression (zlib) and
its CSV files (DuckDB), both of which let go of the interpreter while they work."""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class Background:
    """`submit` hands a call to the thread; `close` waits for every call and raises the first that failed."""

    def __init__(self, name: str):
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._pending: list[Future] = []

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        future = self._pool.submit(fn, *args)
        self._pending.append(future)
        return future

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()
