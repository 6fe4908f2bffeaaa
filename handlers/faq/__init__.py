"""Questions in the partner's own words, answered from the pack's FAQ."""
