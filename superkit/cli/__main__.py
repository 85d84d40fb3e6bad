"""``python -m superkit.cli``: the same as the ``superkit`` command."""
import sys

from superkit.cli import main

sys.exit(main())
