"""Where a library keeps each video and poster, and the half-written downloads it clears."""

from __future__ import annotations

import time
from pathlib import Path

from .._constants import LIBRARY_STALE_PART_AGE
from . import files
from .index import IndexedFolder


class VideoFiles(IndexedFolder):
    """A part of ``Library``: the paths of its videos and posters (always inside the folder)."""

    def video_path(self, generation_id: str, variant: int = 0) -> Path:
        """Where variant ``variant`` of this generation is kept (inside the folder, always)."""
        self._folder()  # the folder exists from here on
        return files.inside(self.path, files.variant_stem(generation_id, variant) + ".mp4")

    def poster_path(self, generation_id: str, variant: int = 0) -> Path:
        return files.inside(self.path, files.variant_stem(generation_id, variant) + ".jpg")

    def remove_stale_parts(self, older_than: float = LIBRARY_STALE_PART_AGE) -> int:
        """Remove half-written downloads left by a crash (untouched for ``older_than`` seconds).

        A download in progress writes its ``.part`` file all the time, so an old one is dead.
        """
        self._folder()
        return files.remove_stale_parts(self.path, time.time() - older_than)
