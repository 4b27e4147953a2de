"""The activity keys as a Dagster asset; the keying and its storage are pipeline/identity/."""

from collections import Counter

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
)

from pipeline.defs.warehouse_resource import WarehouseResource
from pipeline.identity.match import MATCH_METHODS
from pipeline.identity.store import TABLE, stored_continuity, stored_methods, unkeyed_activities, update_keys

EVENT_KEYS = AssetKey(["staging", "event_keys"])
STAGING_EVENTS = AssetKey(["staging", "events"])


@asset(
    key=EVENT_KEYS,
    deps=[STAGING_EVENTS],
    group_name="staging",
    description=(
        "활동 ID — `staging.event_keys`: the cross-period `event_key` of every activity of every report, "
        "and how it was matched to the previous report's activity (`exact`: same pledge, dates and "
        "normalised title; `title`; `dates`; `similar`; `new`). Assigned in date order; only the periods "
        "from the earliest one whose staging rows changed are matched again (`staging.event_keys_state`), "
        "and only periods whose keys changed are rewritten."
    ),
    check_specs=[
        AssetCheckSpec(
            "every_activity_has_a_key",
            asset=EVENT_KEYS,
            blocking=True,
            description="Every activity of staging.events has exactly one event_key.",
        )
    ],
)
def event_keys(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    with warehouse.connect_build() as con:
        update = update_keys(con)
        per_period = stored_methods(con)
        key_continuity = stored_continuity(con)
        n_unkeyed = unkeyed_activities(con)
    methods = Counter()
    for c in per_period.values():
        methods.update(c)
    n_keyed = sum(methods.values())
    context.log.info(
        f"{n_keyed} activities keyed over {len(per_period)} period(s): "
        + ", ".join(f"{m} {methods[m]}" for m in MATCH_METHODS)
        + f"; matched again {len(update.rekeyed)} period(s) from {update.rekeyed[0] if update.rekeyed else '-'}, "
        f"kept the stored keys of {len(update.reused)}; rewritten {[str(d) for d in update.rewritten]}"
    )
    return MaterializeResult(
        metadata={
            "dagster/row_count": n_keyed,
            "table": TABLE,
            **{f"n_{m}": methods[m] for m in MATCH_METHODS},
            "per_period": MetadataValue.json({p: dict(c) for p, c in sorted(per_period.items())}),
            "key_continuity": MetadataValue.json(key_continuity),
            "periods_rewritten": MetadataValue.json([str(d) for d in update.rewritten]),
            "periods_kept": MetadataValue.json([str(d) for d in update.kept]),
            "n_periods_rekeyed": len(update.rekeyed),
            "n_periods_reused": len(update.reused),
            "first_period_rekeyed": str(update.rekeyed[0]) if update.rekeyed else "",
        },
        check_results=[
            AssetCheckResult(
                check_name="every_activity_has_a_key",
                passed=n_unkeyed == 0,
                metadata={"n_activities_without_one_key": n_unkeyed},
            )
        ],
    )
