"""Allow `python -m bot`, the same program as `policybot`."""

import sys

from bot.cli import main

sys.exit(main())
