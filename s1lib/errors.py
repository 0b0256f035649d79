"""The one base class of every error a user can cause (a bad params file, a missing dataset, a model that does not
load, a run folder made with other settings). The command line prints such an error as one line and exits 2;
anything else is a bug and keeps its traceback."""


class UserError(Exception):
    """Something the user can fix; the message names the file, row, field or flag and what was expected."""
