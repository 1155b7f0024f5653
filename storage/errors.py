"""The archive's exceptions, in a leaf module so that both the engine layer and the archive API can raise them."""


class ArchiveError(Exception):
    """A request the archive cannot satisfy, worded for the command line."""


class DatabaseError(ArchiveError):
    """The archive's database cannot be used at all (bad URL, missing driver, no server, no archive yet).

    Its message is one line saying what is wrong and how to fix it; the CLI exits 2 on it.
    """
