"""Where a library keeps each video and poster, and the half-written downloads it clears.

Posters are made when first shown, not at each download: a download only writes the video
(its poster would cost a decode of its first frame on every generation, shown or not). The
gallery, the export page and anything else that shows one asks ``poster(entry)``, which makes
it then, writes it atomically beside the video and records it, so it is made once. A process
killed between the file and its row leaves a whole poster that the next ask records.
"""

from __future__ import annotations

import time
from pathlib import Path

from .._constants import LIBRARY_STALE_PART_AGE
from .._files import write_atomically
from ..errors import LibraryError
from . import files
from .entry import Entry
from .index import IndexedFolder
from .posters import poster_jpeg_from_file


class VideoFiles(IndexedFolder):
    """A part of ``Library``: the paths of its videos and posters (always inside the folder)."""

    def video_path(self, generation_id: str, variant: int = 0) -> Path:
        """Where variant ``variant`` of this generation is kept (inside the folder, always)."""
        self._folder()  # the folder exists from here on
        return files.inside(self.path, files.variant_stem(generation_id, variant) + ".mp4")

    def poster_path(self, generation_id: str, variant: int = 0) -> Path:
        return files.inside(self.path, files.variant_stem(generation_id, variant) + ".jpg")

    def poster(self, entry: Entry, variant: int = 0) -> Path | None:
        """The poster frame (a JPEG) of video ``variant`` of ``entry``: the one kept, else made
        now from the video (blocking: it decodes a frame), kept beside it and recorded.

        None when the video is not here, or PyAV/Pillow are missing, or it does not decode."""
        kept = entry.posters[variant] if variant < len(entry.posters) else None
        if kept is not None and kept.is_file():
            return kept
        video = entry.files[variant] if variant < len(entry.files) else None
        if video is None or not video.is_file():
            return None
        try:
            path = files.inside(self.path, video.stem + ".jpg")
            if not path.is_file():  # else made by a process killed before recording it
                data = poster_jpeg_from_file(video)
                if data is None:
                    return None
                write_atomically(path, data)
        except (OSError, LibraryError):
            return None
        self._write(
            "recording a poster",
            lambda c: c.execute(
                "UPDATE files SET poster = ? WHERE entry_key = ? AND variant = ?",
                (path.name, entry.key, variant),
            ),
        )
        return path

    def remove_stale_parts(self, older_than: float = LIBRARY_STALE_PART_AGE) -> int:
        """Remove half-written downloads left by a crash (untouched for ``older_than`` seconds).

        A download in progress writes its ``.part`` file all the time, so an old one is dead.
        """
        self._folder()
        return files.remove_stale_parts(self.path, time.time() - older_than)
