"""Exports of the published warehouse for the tools analysts and city staff already use: the Excel
workbook, CSV and Parquet files (the HTML report is `pipeline/report/`). Each is a Dagster asset of its own."""
