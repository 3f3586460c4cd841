"""Auth: the shared booth password, bearer tokens and signed image URLs."""
