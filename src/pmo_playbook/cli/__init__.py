"""The `pmo` command line (Typer): thin commands over the library."""
