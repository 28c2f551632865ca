"""``python -m mql_notebook.cli``: the same as the ``mql-notebook`` console script."""

import sys

from .main import main

sys.exit(main())
