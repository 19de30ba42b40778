"""`python -m desktop` behaves like the `ipw` command."""

import sys

from desktop.cli import main

sys.exit(main())
