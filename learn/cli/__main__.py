"""``python -m learn.cli``: the same as the ``learn`` command."""

from learn.cli import main

main()
