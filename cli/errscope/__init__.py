"""errscope: re-run an LLM error-classification registry over stored error rows.

The package is a library first; the `errscope` command (errscope.cli) is a thin layer over it.
"""

from errscope.errors import ErrscopeError, ExitStatus

__version__ = "0.1.0"

__all__ = ["ErrscopeError", "ExitStatus", "__version__"]
