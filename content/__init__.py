"""Content packs: the pydantic schema, the loader and the packs coaches write."""
