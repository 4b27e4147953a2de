from dagster import DynamicPartitionsDefinition

# One partition per reporting period, keyed by the report's header date (YYYY-MM-DD).
reporting_periods = DynamicPartitionsDefinition(name="reporting_periods")
