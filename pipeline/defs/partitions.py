from dagster import AssetExecutionContext, DynamicPartitionsDefinition

# One partition per reporting period, keyed by the report's header date (YYYY-MM-DD).
reporting_periods = DynamicPartitionsDefinition(name="reporting_periods")

# Dagster's documented run tags for a run over a range of partitions (what a single-run backfill
# sets), and for a run of one partition.
ASSET_PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
ASSET_PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
PARTITION_TAG = "dagster/partition"


def periods_of_run(context: AssetExecutionContext) -> list[str]:
    """The periods a run covers, for an asset that is not partitioned but works period by period:
    the run's partition range (what `make run`, the sensor, the schedule and a backfill set), in
    the order the periods were registered, as Dagster reads a range; or the run's one partition;
    or, in a run of no partition (the asset materialized on its own), every registered period."""
    tags = context.run.tags
    registered = context.instance.get_dynamic_partitions(reporting_periods.name)
    start, end = tags.get(ASSET_PARTITION_RANGE_START_TAG), tags.get(ASSET_PARTITION_RANGE_END_TAG)
    if start and end:
        return registered[registered.index(start) : registered.index(end) + 1]
    if tags.get(PARTITION_TAG):
        return [tags[PARTITION_TAG]]
    return registered
