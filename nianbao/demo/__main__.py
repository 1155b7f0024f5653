"""Entry point for ``python -m nianbao.demo``."""

import sys

from nianbao.demo.cli import main

sys.exit(main())
