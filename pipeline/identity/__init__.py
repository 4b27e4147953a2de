"""Activity identity across reporting periods: which activity of one report is which of the next."""
