"""Business rules over repositories. Services never commit: the edge owns the transaction."""
