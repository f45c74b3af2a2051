"""``python -m middleware.local.simulator`` (the lead's CLI also offers ``python -m middleware simulator``)."""

import sys

from middleware.local.simulator import main

sys.exit(main())
