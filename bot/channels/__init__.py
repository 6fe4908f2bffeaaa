"""Channel adapters: the only place a messaging library is imported."""
