"""`python -m nn.cli ...`: the `glassgrad` command without the installed script."""

import sys

from . import main

sys.exit(main())
