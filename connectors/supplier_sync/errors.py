"""The sync's errors (the tree is drawn in the package's docstring)."""

from payeeflow.errors import InputError, PayeeflowError


class SourceError(PayeeflowError):
    """The supplier source could not be read: nothing after the failure is deleted."""


class TopicError(PayeeflowError):
    """The broker failed the read of the suppliers topic, or gave nothing for too long: nothing
    was sent."""


class TooManyDeletes(InputError):
    """The source lacks more of the network than one run may delete: no tombstone was sent."""
