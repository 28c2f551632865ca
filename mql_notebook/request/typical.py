"""How long a request typically takes to render, before anything is known of it (the prior).

The badge's time left is there from the create on: before any progress, and before the
library has learned how long jobs of a kind take here, it starts from this table. The
figures are rough orders of magnitude (seconds from the create to completed for a 5 s clip at
720p, one variant): our guesses, not published figures (the API page gives none), which is why
they count for little against the first progress readings and why the library's learned
durations replace them after the first job of a kind (client/timeleft.py weighs a prior from
here as a loose guess, a learned one as a firm one). The local emulator renders every model in
its ``pace`` (6 s by default): against it the prior is far too long until the first job is
learned or progress arrives.
"""

from __future__ import annotations

# Seconds for a 5 s clip at 720p, one variant.
TYPICAL_SECONDS: dict[str, float] = {
    "sora": 60.0,
    "sora-1.0-turbo": 40.0,
    "MiniMax-Hailuo-2.3": 90.0,
    "veo-3": 75.0,
    "kling-2.1": 120.0,
}
UNKNOWN_MODEL_SECONDS = 60.0  # a model not in the table
# Render time grows with the pixels, less than in proportion (the model's fixed costs).
RESOLUTION_FACTOR: dict[str, float] = {"480p": 0.75, "720p": 1.0, "768p": 1.05, "1080p": 1.6}
VARIANT_FACTOR = 0.35  # each variant after the first adds this share


def typical_duration(
    model: str | None, duration: object = None, resolution: object = None, n: object = 1
) -> float:
    """Seconds a job of this request typically takes from its create to completed (never 0)."""
    base = TYPICAL_SECONDS.get(model or "", UNKNOWN_MODEL_SECONDS)
    seconds = float(duration) if isinstance(duration, (int, float)) and duration > 0 else 5.0
    length = 0.4 + 0.6 * min(seconds, 60.0) / 5.0  # a longer clip: more frames, same set-up
    res = RESOLUTION_FACTOR.get(str(resolution).lower(), 1.0) if resolution else 1.0
    variants = n if isinstance(n, int) and not isinstance(n, bool) and n > 1 else 1
    return base * length * res * (1.0 + VARIANT_FACTOR * (variants - 1))
