"""The ``siliconomics`` command: thin Typer wrappers over the library's functions."""
