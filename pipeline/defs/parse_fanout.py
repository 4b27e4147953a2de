"""Parsing fanned out by a Dagster executor: the periods to parse are split into chunks, one step
each, run in parallel worker processes (`multiprocess_executor` here; the Kubernetes executor runs
each step in its own pod, see the README's "Shared deployment"). A step writes only to the
content-addressed snapshot store and parse cache; the build job's steps then find every period
parsed and write the warehouse once, in one process."""

from dagster import (
    Config,
    DynamicOut,
    DynamicOutput,
    OpExecutionContext,
    colored_console_logger,
    job,
    multiprocess_executor,
    op,
)

from pipeline import settings
from pipeline.defs.loggers import run_log
from pipeline.load import parse_cache
from pipeline.raw.discover import discover_reports
from pipeline.raw.store import save_snapshot


class FanOutConfig(Config):
    periods: list[str]  # YYYY-MM-DD: the periods to parse
    chunks: int = 4  # steps to spread them over (at most one per period)


@op(out=DynamicOut(list))
def period_chunks(context: OpExecutionContext, config: FanOutConfig):
    """Snapshots the periods' files (as `raw_report` does) and splits them into chunks."""
    found = discover_reports(settings.raw_dir())
    keys = [k for k in config.periods if k in found.reports]
    for key in keys:
        save_snapshot(key, found.reports[key])
    n = max(1, min(config.chunks, len(keys)))
    for i in range(n):
        chunk = keys[i::n]
        if chunk:
            yield DynamicOutput(chunk, mapping_key=f"chunk_{i}")
    context.log.info(f"{len(keys)} period(s) in {n} chunk(s)")


@op
def parse_chunk(context: OpExecutionContext, keys: list) -> dict:
    """Parse these periods into the cache; returns {period: refusal reason} for the ones refused."""
    refused = {}
    for key in keys:
        outcome = parse_cache.parse_checked(key)
        if isinstance(outcome, str):
            refused[key] = outcome
    context.log.info(f"parsed {len(keys) - len(refused)} period(s), {len(refused)} refused")
    return refused


@op
def parse_done(context: OpExecutionContext, refused: list) -> dict:
    merged = {k: v for part in refused for k, v in part.items()}
    context.log.info(f"fan-out parse finished: {len(merged)} period(s) refused (the build job reports them)")
    return merged


@job(
    executor_def=multiprocess_executor,
    logger_defs={"console": colored_console_logger, "run_log": run_log},
    description="Parse many periods in parallel worker processes into the "
    "parse cache (no warehouse writes); `make run` starts it before the build when many periods are uncached.",
)
def parse_reports():
    parse_done(period_chunks().map(parse_chunk).collect())
