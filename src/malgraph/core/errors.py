"""One exception tree; every message tells the user what to do next."""


class MalgraphError(Exception):
    """Root of every error malgraph raises on purpose."""


class StoreError(MalgraphError):
    """The store file cannot be opened or is from an unknown (newer) schema."""


class InputError(MalgraphError):
    """An input path cannot be read at all (not one bad record: a missing path, say)."""


class RejectedInput(MalgraphError):
    """Raised under --strict when any input was rejected; the store was left unchanged."""
