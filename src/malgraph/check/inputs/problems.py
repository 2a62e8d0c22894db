"""The one error a project-file parser raises: the whole file cannot be read, and why."""

from malgraph.core.errors import MalgraphError


class UnreadableInput(MalgraphError):
    """A project file malgraph cannot read; the message is the reason, without the path."""
