"""The store's one error: a database that cannot be opened or used."""


class StoreError(Exception):
    """A database that cannot be opened or used; the message names the file."""
