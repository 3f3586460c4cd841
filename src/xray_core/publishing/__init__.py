"""Publishing: the booth's outbox of what the family portal must learn, and the portal's side."""
