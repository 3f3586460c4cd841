"""Adapters: the only part of the core that imports third-party libraries."""
