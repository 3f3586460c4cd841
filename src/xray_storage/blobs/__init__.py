"""Blob stores on disk."""
