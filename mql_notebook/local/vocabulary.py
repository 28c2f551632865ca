"""The status words the emulator speaks: every dialect the product must understand.

Internally a job is always pending, processing, completed or failed; a vocabulary maps
those four to the words the JSON carries, so a client can be tested against each dialect
that occurs in the wild: the API page's words, Metriqual's TypeScript and Python SDKs',
OpenAI's, and gateways that shout (the dialects below; status.py normalises them all).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

STATES: tuple[str, ...] = ("pending", "processing", "completed", "failed")

_DIALECTS: dict[str, dict[str, str]] = {
    # The API page: pending -> processing -> completed.
    "api": {
        "pending": "pending",
        "processing": "processing",
        "completed": "completed",
        "failed": "failed",
    },
    # Metriqual's TypeScript SDK, and OpenAI's own video API.
    "typescript": {
        "pending": "queued",
        "processing": "in_progress",
        "completed": "completed",
        "failed": "failed",
    },
    "openai": {
        "pending": "queued",
        "processing": "in_progress",
        "completed": "completed",
        "failed": "failed",
    },
    # What Metriqual's Python SDK also accepts as done / failed.
    "python": {
        "pending": "pending",
        "processing": "processing",
        "completed": "succeeded",
        "failed": "error",
    },
    "success": {
        "pending": "submitted",
        "processing": "running",
        "completed": "success",
        "failed": "failure",
    },
    # Gateways that shout: the client must compare case-insensitively.
    "shouting": {
        "pending": "PENDING",
        "processing": "PROCESSING",
        "completed": "COMPLETED",
        "failed": "FAILED",
    },
    "shouting-typescript": {
        "pending": "QUEUED",
        "processing": "IN_PROGRESS",
        "completed": "COMPLETED",
        "failed": "FAILED",
    },
}

VOCABULARIES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {name: MappingProxyType(words) for name, words in _DIALECTS.items()}
)

VocabularyLike = str | Mapping[str, str]


def resolve_vocabulary(vocabulary: VocabularyLike) -> dict[str, str]:
    """A dialect's name, or a mapping of the four states to words (missing states keep their own name)."""
    if isinstance(vocabulary, str):
        try:
            return dict(VOCABULARIES[vocabulary])
        except KeyError:
            raise ValueError(
                f"unknown vocabulary {vocabulary!r}; use one of {', '.join(VOCABULARIES)} or a mapping of "
                f"{', '.join(STATES)} to words"
            ) from None
    if not isinstance(vocabulary, Mapping):
        raise TypeError(f"vocabulary must be a name or a mapping, not {type(vocabulary).__name__}")
    unknown = set(vocabulary) - set(STATES)
    if unknown:
        raise ValueError(
            f"vocabulary maps unknown states {sorted(unknown)}; the states are {', '.join(STATES)}"
        )
    words = {state: state for state in STATES}
    for state, word in vocabulary.items():
        if not isinstance(word, str) or not word:
            raise ValueError(
                f"vocabulary word for {state!r} must be a non-empty string, not {word!r}"
            )
        words[state] = word
    return words
