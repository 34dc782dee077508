"""The one exception type for mistakes a user can make (layer 0: imports nothing of nnctl).

The library raises `NnctlError` for bad configs, missing files, unknown names and the like; the
CLI turns it into one line, `error: <message>`, and exit code 2. The backprop core (`nnctl.nn`)
never raises it: it takes arrays and numbers, and its errors are programming errors.
"""


class NnctlError(Exception):
    """A user error: the message names the problem and, where there is one, the fix."""
