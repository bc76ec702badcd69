"""Typed errors for expected failures.

Each class carries its own exit code so the CLI can turn any of them into one line on stderr
and a distinct, documented non-zero exit status instead of a traceback.
"""

from __future__ import annotations


class AnalysisError(Exception):
    """Base class of every expected failure; ``str(err)`` is the one-line message."""

    exit_code = 1

    def __init__(self, message: str, *, path: str | None = None):
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)

    def shown(self, project) -> str:
        """The one line, its path relative to ``project`` when it names a file inside it (code that
        has no project at hand, e.g. an atomic write, names the file by its absolute path)."""
        import os

        if not self.path or not os.path.isabs(self.path):
            return str(self)
        return f"{project.shown(self.path)}: {self.message}"


class UsageError(AnalysisError):
    """The command line asked for something impossible (bad date, unknown unit)."""

    exit_code = 2


class DataIntegrityError(AnalysisError):
    """A raw file is missing, or its bytes are not the registered ones."""

    exit_code = 3


class SheetError(AnalysisError):
    """An ICE workbook cannot be read into the tidy table."""

    exit_code = 4


class NotAWorkbookError(SheetError):
    """The file is not an xlsx (not a zip, corrupt, or truncated)."""

    exit_code = 5


class EmptySheetError(SheetError):
    """The workbook has no worksheet, no header, or (where rows are required) no data rows."""

    exit_code = 6


class UnknownLayoutError(SheetError):
    """The header matches none of the layouts in LAYOUTS.md."""

    exit_code = 7


class MissingColumnError(SheetError):
    """A column the layout needs is absent."""

    exit_code = 8


class KindMismatchError(SheetError):
    """The registry says participating but the content is pending (or the reverse)."""

    exit_code = 9


class QAError(AnalysisError):
    """A QA invariant failed after a build; outputs were not replaced."""

    exit_code = 10


class StaleOutputError(AnalysisError):
    """Processed tables are older than their inputs or the code that made them."""

    exit_code = 11


class NotebookError(AnalysisError):
    """A notebook failed while being executed."""

    exit_code = 12


class DuplicateSheetError(AnalysisError):
    """A sheet being added is already registered."""

    exit_code = 13


class BusyError(AnalysisError):
    """Another command holds the project's write lock (it names the pid); nothing was written."""

    exit_code = 14


class LimitError(SheetError):
    """A sheet is beyond a stated size limit (unpacked member bytes or data rows); refused before parsing."""

    exit_code = 15


class DuplicateRowsError(SheetError):
    """A sheet repeats whole rows beyond what real ICE sheets carry."""

    exit_code = 16


class OutputError(AnalysisError):
    """An output path cannot be written (exists, not writable, disk full); nothing was half written."""

    exit_code = 17
