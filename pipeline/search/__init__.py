"""Korean search over the activities: analysis into lemmas (analyse.py), the index and its queries
(index.py), `make search` (__main__.py). Pure modules: no Dagster here; the wiring is in pipeline/defs/."""
