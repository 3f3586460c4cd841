"""msgspec bodies of the HTTP API."""
