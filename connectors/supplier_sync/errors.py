"""The sync's errors (the tree is drawn in the package's docstring)."""

from payeeflow.errors import InputError, PayeeflowError


class SourceError(PayeeflowError):
    """The supplier source could not be read: nothing after the failure is deleted."""


class TooManyDeletes(InputError):
    """The source lacks more of the network than one run may delete: no tombstone was sent."""
