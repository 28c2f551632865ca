"""The emulator's shared state: settings, jobs, videos, faults and the request log.

One ``Emulator`` backs one ASGI app; :class:`~mql_notebook.local.LocalServer` and the
``mql-notebook serve`` command each own one. Settings can change while it serves.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from typing import Any

from .._constants import KEY_PREFIX
from .faults import Faults
from .jobs import DEFAULT_MAX_JOBS, DEFAULT_PACE, DEFAULT_TTL, JobStore
from .model_args import SYNTAX, parse_model_specs
from .models import Catalogue, ModelsLike
from .requestlog import RequestLog
from .storage import SignedStorage
from .videos import DEFAULT_MAX_VIDEO_BYTES, Video, VideoStore
from .vocabulary import VocabularyLike, resolve_vocabulary


class Emulator:
    def __init__(
        self,
        *,
        pace: float = DEFAULT_PACE,
        vocabulary: VocabularyLike = "api",
        api_key: str | None = None,
        faults: Faults | Mapping[str, Any] | None = None,
        ttl: float = DEFAULT_TTL,
        max_jobs: int = DEFAULT_MAX_JOBS,
        max_video_bytes: int = DEFAULT_MAX_VIDEO_BYTES,
        render_workers: int = 1,
        storage: SignedStorage | None = None,
        models: ModelsLike | None = None,
        retired_models: Iterable[str] = (),
        progress: bool = True,
    ):
        if api_key is not None and (
            not isinstance(api_key, str) or not api_key.startswith(KEY_PREFIX)
        ):
            raise ValueError(f"api_key must start with {KEY_PREFIX!r}, as Metriqual keys do")
        self.api_key = api_key
        self.catalogue = Catalogue(models, retired_models)
        self.pace = pace
        self.vocabulary = vocabulary
        # False: status objects carry no ``progress`` field (some gateways send none).
        self.progress = progress
        if isinstance(faults, Faults):
            self.faults = faults
        else:
            self.faults = Faults()
            if faults:
                self.faults.update(faults)
        self.videos = VideoStore(max_video_bytes, workers=render_workers)
        self.jobs = JobStore(self.videos, ttl=ttl, max_jobs=max_jobs)
        self.log = RequestLog()
        # Where the video bytes live: None for the API itself, else a second (storage) origin.
        self.storage = storage
        self.storage_log = RequestLog()

    @property
    def pace(self) -> float:
        """Seconds from create to completed for jobs created from now on (0: as soon as rendered)."""
        return self._pace

    @pace.setter
    def pace(self, value: float) -> None:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or value < 0
        ):
            raise ValueError(f"pace must be a number of seconds >= 0, not {value!r}")
        self._pace = float(value)

    @property
    def vocabulary(self) -> VocabularyLike:
        """The status dialect's name (or the mapping it was given); settable at runtime."""
        return self._vocabulary

    @vocabulary.setter
    def vocabulary(self, value: VocabularyLike) -> None:
        self.words = resolve_vocabulary(value)
        self._vocabulary = value

    def key_allowed(self, key: str) -> bool:
        if self.api_key is not None:
            return key == self.api_key
        return key.startswith(KEY_PREFIX) and len(key) > len(KEY_PREFIX)

    def video(self, video_id: str) -> Future[Video] | None:
        """The video of a job id or variant id (rendered again if the cache let it go), or None
        when no live job has it."""
        found = self.jobs.find_video(video_id)
        if found is None:
            return None
        job, index = found
        return self.videos.get(job.specs[index])

    def settings(self) -> dict[str, Any]:
        vocabulary = self.vocabulary if isinstance(self.vocabulary, str) else dict(self.words)
        return {
            "pace": self.pace,
            "vocabulary": vocabulary,
            "ttl": self.jobs.ttl,
            "max_jobs": self.jobs.max_jobs,
            "max_video_bytes": self.videos.max_bytes,
            "fixed_api_key": self.api_key is not None,
            "models": list(self.catalogue.models),
            "retired_models": list(self.catalogue.retired),
        }

    def update_settings(self, values: Mapping[str, Any]) -> None:
        known = {"pace", "vocabulary", "ttl", "max_jobs", "retired_models", "add_models"}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown settings {sorted(unknown)}; use {', '.join(sorted(known))}")
        if "add_models" in values:  # served from now on (an added name replaces its options)
            self.add_models(values["add_models"])
        if "retired_models" in values:
            retired = values["retired_models"]
            if isinstance(retired, str) or not isinstance(retired, list):
                raise ValueError("retired_models must be a list of model ids")
            self.retire_models(retired)
        if "vocabulary" in values:
            self.vocabulary = values["vocabulary"]
        if "pace" in values:
            self.pace = values["pace"]
        if "ttl" in values:
            ttl = values["ttl"]
            if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or ttl < 0:
                raise ValueError(f"ttl must be a number of seconds >= 0, not {ttl!r}")
            self.jobs.ttl = float(ttl)
        if "max_jobs" in values:
            cap = values["max_jobs"]
            if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
                raise ValueError(f"max_jobs must be an int >= 1, not {cap!r}")
            self.jobs.max_jobs = cap

    def add_models(self, added: str | Mapping[str, Any]) -> None:
        """Serve these too: ``{id: {durations, resolutions, ...} or None}``, or specs as
        ``MQL_LOCAL_MODELS`` takes them (``"hailuo:6,10:768P,1080P other-model"``)."""
        if isinstance(added, str):
            added = parse_model_specs(added)
        if not isinstance(added, Mapping) or not added:
            raise ValueError(f"add_models takes {{id: options}} or a string of {SYNTAX} specs")
        models = {**self.catalogue.models, **Catalogue(added).models}
        self.catalogue = Catalogue(models, self.catalogue.retired)

    def retire_models(self, models: Iterable[str]) -> None:
        """From now on these models answer ``410 model_retired`` (replaces the earlier list)."""
        self.catalogue = Catalogue(self.catalogue.models, models)

    def close(self) -> None:
        self.videos.close()
