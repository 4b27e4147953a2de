import warnings

from dagster import BetaWarning

# The single-run backfill policy we rely on is marked beta; say so once, here.
warnings.filterwarnings("ignore", category=BetaWarning)
