"""X-ray generation: the request model and the port that generators implement."""
