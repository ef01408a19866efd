"""``python -m hw3.bank``: the bank of mistakes and right answers (see ``hw3.bank``)."""

import sys

from hw3.commands.bank import main

sys.exit(main())
