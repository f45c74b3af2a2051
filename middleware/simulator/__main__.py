"""``python -m middleware.simulator`` (the lead's CLI also offers ``python -m middleware simulator``)."""

import sys

from middleware.simulator import main

sys.exit(main())
