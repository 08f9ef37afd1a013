"""The project's error tree; third-party errors are translated into it where they enter.

PayeeflowError
├── InputError          bad input from a user or a file: a clear message, a non-zero exit
│   └── TooLarge        a file over one of the size limits (HTTP 413)
├── RecordError         one record cannot be processed: it goes to rejects / the dead-letter topic
│   └── DecodeError     bytes on a topic are not a valid record of the expected schema
├── DeliveryError       the broker did not take a record a command produced: the command fails
├── RegistryUnavailable the schema registry did not answer: the record waits, it is not bad
├── DatabaseError       PostgreSQL refused a command's statement or could not be reached
└── StackError          the local Kafka / PostgreSQL stack cannot be installed or started
"""


class PayeeflowError(Exception):
    """Base of every error payeeflow raises on purpose."""


class RegistryUnavailable(PayeeflowError):
    """The schema registry did not answer a lookup; the record is fine and is read once it does."""


class InputError(PayeeflowError):
    """A file or argument a user gave cannot be used at all."""


class TooLarge(InputError):
    """A file larger than a limit allows (a field, its inflated size): refused, not read on."""


class RecordError(PayeeflowError):
    """One record cannot be processed; the others go on. ``reason`` is a short machine tag."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class DecodeError(RecordError):
    """Bytes that are not a record of the expected schema."""

    def __init__(self, detail: str) -> None:
        super().__init__("undecodable", detail)


class DeliveryError(PayeeflowError):
    """Kafka refused or lost a record after the producer's retries; nothing may pass for sent."""


class DatabaseError(PayeeflowError):
    """PostgreSQL refused what a command asked, or went away: the command fails in one line."""


class StackError(PayeeflowError):
    """The local stack could not be installed, started or reached."""


def first_line(exc: BaseException) -> str:
    """An error's first line, or its class's name when it says nothing: what a one-line message
    or a ``job_runs`` row shows (a server's error may span lines, with its hint and context)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
