"""SYNTHETIC reports, derived by code from the one real report, for the tests and the benchmark.

Only the 2020-12-31 report is real; every other period is made here and labelled synthetic in its
file name and its text. Both tests/ and bench/ import this package; neither imports the other's code.
"""
