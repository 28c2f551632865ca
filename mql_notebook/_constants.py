"""Every default and fixed name of the client, in one place (the client, the widget and the
emulator read them from here; ``client/settings.py`` resolves them against arguments and the
environment).

The request's fields (models, durations, seed, ...) and their defaults are declared once in
``request/fields.py``;
the emulator's own knobs (pace, job expiry) are in ``local/``.
"""

from __future__ import annotations

# ---- where and who ----
DEFAULT_BASE_URL = "https://api.metriqual.com"
LOCAL_BASE_URL = "local"  # the value that starts (or reuses) the in-process emulator
ENV_API_KEY = "MQL_API_KEY"
ENV_BASE_URL = "MQL_BASE_URL"
ENV_MODEL = "MQL_MODEL"  # the model of a create that names none (else request.DEFAULT_MODEL)
KEY_PREFIX = "mql_"  # every Metriqual key starts with it; the emulator checks it too
LOCAL_API_KEY = KEY_PREFIX + "local_emulator"  # what the emulator accepts when no key is set
LOOPBACK_PLACEHOLDER_KEY = KEY_PREFIX + "local"  # sent to `mql-notebook serve` on loopback, no key

# ---- how long and how often ----
DEFAULT_TIMEOUT = 60.0  # seconds for one HTTP request (connect, read, write)
DEFAULT_MAX_RETRIES = 4  # retries of one request (status, content; a create only when safe)
DEFAULT_RETRY_BASE_DELAY = 0.5  # seconds; the backoff ceiling doubles from here per attempt
DEFAULT_RETRY_MAX_DELAY = 8.0  # the backoff ceiling never grows past this
DEFAULT_MAX_RETRY_AFTER = 120.0  # a server asking to wait longer than this is not waited for
DEFAULT_WAIT_TIMEOUT = 900.0  # seconds a wait polls before raising WaitTimeoutError
# In a wait, the look after a failed one (an outage) comes this soon, growing by the backoff
# per failed look up to the max: the server's return is noticed within it. The jitter is the
# share of each delay drawn away at random, so that clients come back spread out.
DEFAULT_OUTAGE_FIRST_DELAY = 0.5
DEFAULT_OUTAGE_BACKOFF = 2.0
DEFAULT_OUTAGE_MAX_DELAY = 3.0
DEFAULT_OUTAGE_JITTER = 0.25
# A download rides out an outage of its content endpoint or storage (refused connections,
# 5xx pages, 408/429) this many seconds from the first failure with no byte arriving since,
# then resumes with Range: a deploy's or an overload's 5-60 s costs the outage, not the video.
DEFAULT_DOWNLOAD_OUTAGE_BUDGET = 120.0
DEFAULT_MAX_DOWNLOAD_BYTES = 4 * 1024**3
# An image given as a first or last frame (MiniMax: under 20 MB); max_image_bytes= on the client.
DEFAULT_MAX_IMAGE_BYTES = 20_000_000
# Content answering 404 right after a completed status (storage not caught up yet) is asked
# again for this many seconds from the first 404, then the download fails keeping the id.
DEFAULT_CONTENT_LAG_GRACE = 30.0

# ---- waiting for a free slot (client/slots.py) ----
# A create answered 429 (a busy gateway, a rate limit) or 503 made nothing: it goes again,
# with the same Idempotency-Key, until the slot wait's deadline (``slot_timeout``; None: the
# client's wait_timeout). Without a Retry-After the tries come this soon, growing by the
# backoff up to the max ("a few seconds"), less up to the jitter's share of each.
DEFAULT_SLOT_FIRST_DELAY = 0.5
DEFAULT_SLOT_BACKOFF = 2.0
DEFAULT_SLOT_MAX_DELAY = 3.0
DEFAULT_SLOT_JITTER = 0.2

# ---- when a wait looks at a job (client/poller.py: PollTiming, PollPlanner) ----
DEFAULT_POLL_FIRST_DELAY = 0.25  # the first look comes soon: short jobs, instant failures show
DEFAULT_POLL_MIN_INTERVAL = 0.25
DEFAULT_POLL_MAX_INTERVAL = 5.0  # without progress to go by, a finished job is noticed within it
DEFAULT_POLL_BACKOFF = 3.5  # growth of the interval while nothing changes
DEFAULT_POLL_ELAPSED_FRACTION = 2.5  # ... and at most this many times the time already spent
DEFAULT_POLL_AIM_PAST_ESTIMATE = 0.12  # look this long (s) after the predicted completion
DEFAULT_POLL_NEAR = 3.0  # within this many seconds of the predicted completion, go straight to it
# After the first progress, the next look comes this many times the elapsed time later.
DEFAULT_POLL_FIRST_PROGRESS_SPAN = 3.0
DEFAULT_POLL_TRUSTED_ERROR = 0.12  # a prediction this precise (s) is acted on at once, however far

# ---- the library (mql_notebook/library) ----
ENV_LIBRARY = "MQL_LIBRARY"  # a folder, or "off"
LIBRARY_OFF = "off"
DEFAULT_LIBRARY_FOLDER = "mql-videos"  # relative to the working directory (a notebook's folder)
LIBRARY_INDEX_NAME = "library.sqlite3"
LIBRARY_LOCK_PATIENCE = 120.0  # seconds another process may hold the index before LibraryError
LIBRARY_STALE_PART_AGE = 3600.0  # seconds untouched before a crash's .part file is removed
LEARNED_DURATION_SAMPLES = 5  # expected_duration: the median of this many latest jobs
RESUME_CONCURRENCY = 8  # jobs resume_pending waits for at once
RESUME_PROBE_TIMEOUT = 3.0  # seconds to learn whether an emulator of another process still runs

# ---- money (mql_notebook/money) ----
# A price table (JSON, or the path of a JSON file); none by default (costs unknown).
ENV_PRICES = "MQL_PRICES"
# A batch on a terminal asks before starting when its estimate is above this amount (in the
# price table's currency), or, when its cost is unknown, when it makes more than this many videos.
BATCH_CONFIRM_AMOUNT = 10.0
BATCH_CONFIRM_VIDEOS = 20

# How the library marks an entry that moderation refused (library/entry.py, client/refusals.py).
CONTENT_REFUSED_PREFIX = "refused by moderation"
