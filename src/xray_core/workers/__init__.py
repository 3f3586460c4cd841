"""The worker registry: which workers poll, what they hold, how fast and how well they work."""
