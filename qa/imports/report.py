"""What an import tells its user: per-file errors, warnings and the counts of its summary line."""
from dataclasses import dataclass, field


class ImportInputError(Exception):
    """Input the import cannot start with (a missing path, an unreadable subjects file)."""


@dataclass
class FileError:
    path: str
    reason: str

    def __str__(self):
        return f"{self.path}: {self.reason}"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unpublished: int = 0
    failed: int = 0
    redirects: int = 0
    seconds: float = 0.0
    errors: list[FileError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def fail(self, path, reason):
        self.failed += 1
        # One line per bad file, whatever it holds: a YAML or database message may span
        # lines, and a file name may contain a newline or bytes that are not UTF-8.
        shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(path))
        self.errors.append(FileError(shown, " ".join(str(reason).split())))

    def summary(self):
        return (
            f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
            f"unpublished {self.unpublished}, failed {self.failed}, {self.seconds:.1f} s"
        )
