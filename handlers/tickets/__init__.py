"""Tickets: a partner reaches a human coach; coaches answer from the coaches' chat."""
