"""Platform-neutral conversation features: each takes an Inbound and returns Replies."""
