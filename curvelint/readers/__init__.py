"""Log readers: one module per format, each registered through the `curvelint_readers` hook."""

from curvelint.readers.base import NotALog, Reader, ReadError, Source

__all__ = ["NotALog", "Reader", "ReadError", "Source"]
