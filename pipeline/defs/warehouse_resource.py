"""The warehouse as a Dagster resource: it owns the database path, the build lock, the run's
working copy and the publish. Assets ask it for connections; none touches paths or locks."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import duckdb
from dagster import ConfigurableResource, InitResourceContext
from pydantic import Field, PrivateAttr

from pipeline.publish.warehouse import BuildLock, Warehouse, held_by_this_process, record_holder
from pipeline.shared import open_warehouse  # shared deployment: the DuckLake

# Run tags naming the process that executes a run, so a sweep can tell a dead run from a live one.
PID_TAG = "pledge/pid"
HOST_TAG = "pledge/host"


def process_tags() -> dict[str, str]:
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


class WarehouseResource(ConfigurableResource):
    """The published DuckDB warehouse. A run holds its lock from the start of execution to the end,
    builds in its own working copy, and publishes by an atomic replace."""

    database: str = Field(description="Path of the published DuckDB file (made absolute).")

    _warehouse: Warehouse | None = PrivateAttr(default=None)
    _lock: BuildLock | None = PrivateAttr(default=None)
    _run_id: str | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._warehouse = open_warehouse(Path(self.database))  # embedded file, or the DuckLake when shared
        if not held_by_this_process(self._warehouse.path):  # `make run` holds it from before its plan
            self._lock = self._warehouse.acquire_lock()
            record_holder(self._warehouse.path)
        self._run_id = context.run.run_id if context.run is not None else None
        if context.instance is not None and self._run_id:
            context.instance.add_run_tags(self._run_id, process_tags())
        self._warehouse.start_build(self._run_id or "ad-hoc")

    def teardown_after_execution(self, context: InitResourceContext) -> None:  # noqa: ARG002
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @property
    def warehouse(self) -> Warehouse:
        if self._warehouse is None:
            raise RuntimeError("WarehouseResource used outside a run")
        return self._warehouse

    @property
    def published_path(self) -> Path:
        return Warehouse(Path(self.database)).path

    def build_path(self) -> Path:
        return self.warehouse.build_path(self._run_id or "ad-hoc")

    def connect_build(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.build_path()))

    def publish(self) -> Path:
        path = self.warehouse.publish(self._run_id or "ad-hoc")
        if self._lock is not None:
            self._lock.release()  # readers and the next run need not wait for the exports
            self._lock = None
        return path
