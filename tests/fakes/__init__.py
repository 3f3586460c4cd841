"""Test doubles with inspectable state (no mocks)."""
