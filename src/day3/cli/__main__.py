"""`python -m day3.cli VERB ...`: the same as `day3 VERB ...`."""

import sys

from day3.cli.main import main

sys.exit(main())
