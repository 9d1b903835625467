"""All application SQL, one module per table. Repositories never commit."""
