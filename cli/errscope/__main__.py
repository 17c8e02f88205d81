"""`python -m errscope` runs the command-line tool."""

from errscope.cli import main

import sys

sys.exit(main())
