"""``python -m middleware …``: the command line (``middleware.cli.main``)."""

import sys

from middleware.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
