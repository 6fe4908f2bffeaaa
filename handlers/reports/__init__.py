"""Reports for coaches: the cohort report (/cohort) and the daily digest."""
