"""User-facing errors.

Every mistake a user can make (a bad id, a bad value in a file, a model that does not fit)
raises :class:`SiliconomicsError` with a message that says what, which field or file, and
what is allowed. The command line prints the message on one line and exits with code 2;
anything else escaping is a bug in siliconomics, not in the user's input.
"""

from __future__ import annotations


class SiliconomicsError(ValueError):
    """A problem with the user's input, explained in one line."""


class UnknownIdError(SiliconomicsError):
    """An id that is not in a registry or catalog."""


class CatalogError(SiliconomicsError):
    """A catalog or scenario file that is missing, malformed, or breaks a rule."""


class DoesNotFitError(SiliconomicsError):
    """A model (with its KV cache) that does not fit in the memory of the chips given."""
