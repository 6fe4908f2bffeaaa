"""Audiences for coaches' messages: segments resolved in SQL, and the guided coach flows'
shared pieces (drafts, the segment chooser). Used by webinars and broadcasts; not a feature
of its own."""
