"""The booth's web pages: they only render; their data comes through the API."""
