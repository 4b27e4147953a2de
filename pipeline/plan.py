"""What a run must do, decided in one place: `make_plan` compares the files in `raw/` and the code
fingerprints (parser, matcher, dbt project) with what the published warehouse was built from."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline.export import freshness
from pipeline.raw.discover import Discovery

# The run's change plan in a line (`plan.describe()`), as a tag of its run. The plan itself (JSON, with
# every period key) goes with the staging step's run configuration into staging.run_history: a tag is a
# row of an indexed table, which Postgres refuses above about 2,700 bytes (1,000 periods' keys are 18 KB).
PLAN_TAG = "pledge/plan"
PLAN_TAG_CHARS = 500


@dataclass
class ChangePlan:
    new: list[str] = field(default_factory=list)  # periods not in the published warehouse
    changed: list[str] = field(default_factory=list)  # file (bytes or name) or parser differs from the build
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # in the warehouse, no longer in raw/ (kept, see README)
    matcher_changed: bool = False  # activity keys must be derived again
    dbt_changed: bool = False  # the dbt project differs: full refresh of the incremental facts
    full: bool = False  # asked for (`--full`)
    retract: list[str] = field(default_factory=list)  # removed periods to take out of the warehouse (`--retract`)
    exports_behind: list[str] = field(default_factory=list)  # exports missing or made from an older publish
    accept_truncated: list[str] = field(default_factory=list)  # files loaded although cut off (--accept-truncated)

    @property
    def to_load(self) -> list[str]:
        return sorted(self.new + self.changed)

    @property
    def builds(self) -> bool:
        """The warehouse is built and published again (else at most the exports are made again)."""
        return bool(self.to_load or self.matcher_changed or self.dbt_changed or self.full or self.retract)

    @property
    def nothing_to_do(self) -> bool:
        return not (self.builds or self.exports_behind)

    def describe(self) -> str:
        if self.nothing_to_do:
            return "nothing to do: no report file, parser, matcher or dbt project changed since the last publish"
        if not self.builds:
            return (
                f"no report changed; export(s) behind the published warehouse: {', '.join(self.exports_behind)}"
                " (made again now)"
            )
        parts = [f"{len(self.new)} new", f"{len(self.changed)} changed", f"{len(self.unchanged)} unchanged"]
        kept = sorted(set(self.removed) - set(self.retract))
        if kept:
            parts.append(f"{len(kept)} removed (kept)")
        why = [
            w
            for w, on in (
                (f"retract {', '.join(self.retract)}", self.retract),
                ("--full", self.full),
                ("matcher changed", self.matcher_changed),
                ("dbt project changed: full refresh", self.dbt_changed),
            )
            if on
        ]
        return "periods: " + ", ".join(parts) + (f"; {'; '.join(why)}" if why else "")

    def tag(self) -> str:
        """The plan in a line, short enough for a tag whatever it retracts."""
        line = self.describe()
        return line if len(line) <= PLAN_TAG_CHARS else line[: PLAN_TAG_CHARS - 1] + "…"

    def as_json(self) -> str:
        return json.dumps(
            {
                "new": self.new,
                "changed": self.changed,
                "unchanged": self.unchanged,
                "removed": self.removed,
                "matcher_changed": self.matcher_changed,
                "dbt_changed": self.dbt_changed,
                "full": self.full,
                "retract": self.retract,
                "exports_behind": self.exports_behind,
                "accept_truncated": self.accept_truncated,
            },
            ensure_ascii=False,  # periods name their municipality in Hangul, read as such in the Dagster UI
        )

    @classmethod
    def from_json(cls, text: str) -> ChangePlan:
        return cls(**json.loads(text))


def _published_state(path: Path) -> tuple[dict[str, tuple[str, str]], set[str], str | None, str | None] | None:
    """(period -> (sha256, parser fingerprint), matcher fingerprints, dbt fingerprint, the build's run) of
    the published warehouse; None if there is none or it cannot be read."""
    from pipeline.load.changes import built_dbt_fingerprint
    from pipeline.load.staging import loaded_fingerprints
    from pipeline.shared import open_published  # the file, or the DuckLake

    try:
        con = open_published(path)
        if con is None:
            return None
        with con:
            periods = loaded_fingerprints(con)
            has_keys = con.execute(
                "select count(*) from information_schema.tables where table_schema = 'staging' "
                "and table_name = 'event_keys_state'"
            ).fetchone()[0]
            matchers = (
                {
                    r[0]
                    for r in con.execute("select distinct matcher_fingerprint from staging.event_keys_state").fetchall()
                }
                if has_keys
                else set()
            )
            return periods, matchers, built_dbt_fingerprint(con), freshness.published_build(con)
    except duckdb.Error:
        return None


class PlanError(ValueError):
    """What was asked cannot be planned (the message says why)."""


def _period_of(key: str, held: dict[str, tuple]) -> str:
    """A period to retract as asked: `전주시/2020-12-31`, or the date alone when one municipality holds it."""
    if "/" in key:
        return key
    matching = [k for k in held if k.endswith(f"/{key}")]
    if len(matching) > 1:
        raise PlanError(f"period {key} is held by {len(matching)} municipalities: name one ({', '.join(matching)})")
    return matching[0] if matching else key


PREPARED = "prepared"  # make_plan's default: the dbt project as `make manifest` prepared it


def make_plan(
    found: Discovery,
    published: Path,
    *,
    full: bool = False,
    dbt_fingerprint: str | None = PREPARED,
    retract: list[str] = (),
    accept_truncated: list[str] = (),
) -> ChangePlan:
    """What a run must do to make the warehouse at `published` hold the reports `found` (see ChangePlan).
    `dbt_fingerprint`: the dbt project to build with (default: as prepared; None: leave dbt out)."""
    from pipeline.dbt_state import prepared_project_fingerprint
    from pipeline.identity.match import matcher_fingerprint
    from pipeline.parse.fingerprint import parser_fingerprint

    if dbt_fingerprint == PREPARED:
        dbt_fingerprint = prepared_project_fingerprint()
    state = _published_state(published)
    plan = ChangePlan(full=full, accept_truncated=sorted(set(accept_truncated)))
    held, matchers, built_with, build = state if state else ({}, set(), None, None)
    parser = parser_fingerprint()
    for key, report in sorted(found.reports.items()):
        if key not in held:
            plan.new.append(key)
        elif full or held[key] != (report.sha256, parser, report.file_name):
            plan.changed.append(key)
        else:
            plan.unchanged.append(key)
    plan.removed = sorted(set(held) - set(found.reports))
    retract = [_period_of(key, held) for key in retract]
    for key in retract:
        if key in found.reports:
            raise PlanError(
                f"period {key} cannot be retracted while its file {found.reports[key].file_name} is in "
                "raw/: remove the file first, or the next run would load it again"
            )
        if key not in held:
            raise PlanError(f"period {key} is not in the published warehouse: nothing to retract")
    plan.retract = sorted(set(retract))
    if state is not None and held:
        plan.matcher_changed = matchers != {matcher_fingerprint()}
        plan.dbt_changed = dbt_fingerprint is not None and built_with != dbt_fingerprint
    if state is not None and not plan.builds:
        plan.exports_behind = freshness.behind(build)
    return plan
