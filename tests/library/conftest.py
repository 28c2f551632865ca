"""Fixtures of the library tests: a real FUSE mount (fuse_support.py)."""

from tests.library.fuse_support import fuse, read_only_fuse

__all__ = ["fuse", "read_only_fuse"]
