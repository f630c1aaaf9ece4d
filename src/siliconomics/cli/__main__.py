"""``python -m siliconomics.cli``: the same as the ``siliconomics`` command."""

from siliconomics.cli.main import entry

entry()
