"""`python -m errscope` runs the command-line tool."""

import sys

from errscope.cli import main

sys.exit(main())
