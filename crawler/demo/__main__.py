"""Entry point for ``python -m crawler.demo``."""

import sys

from crawler.demo.cli import main

sys.exit(main())
