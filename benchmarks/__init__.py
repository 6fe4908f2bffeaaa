"""Performance harness: each module measures against a baseline in the same run."""
