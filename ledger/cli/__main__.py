"""``python -m ledger.cli``: the same as the ``charity-ledger`` command."""

import sys

from ledger.cli.commands import main

sys.exit(main())
