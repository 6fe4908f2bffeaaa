"""What every feature shares: the context a handler receives, where a partner is, and the
coaches' chat. Not a feature itself: it registers nothing."""
