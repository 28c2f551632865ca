"""The status words the emulator speaks: every dialect the product must understand.

Internally a job is always pending, processing, completed or failed; a vocabulary maps
those four to the words the JSON carries, so a client can be tested against each dialect
that occurs in the wild: the API page's words, Metriqual's TypeScript and Python SDKs',
OpenAI's, and gateways that shout (the dialects below; status.py normalises them all).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ..status import COMPLETED, FAILED, PENDING, PROCESSING

STATES: tuple[str, ...] = (PENDING, PROCESSING, COMPLETED, FAILED)

# Each dialect: the job's state (status.py's word) -> the word the JSON carries. The values are
# other products' words, spelled out on purpose.
_DIALECTS: dict[str, dict[str, str]] = {
    # The API page: pending -> processing -> completed.
    "api": {state: state for state in STATES},
    # Metriqual's TypeScript SDK, and OpenAI's own video API.
    "typescript": {
        PENDING: "queued",
        PROCESSING: "in_progress",
        COMPLETED: "completed",
        FAILED: "failed",
    },
    "openai": {
        PENDING: "queued",
        PROCESSING: "in_progress",
        COMPLETED: "completed",
        FAILED: "failed",
    },
    # What Metriqual's Python SDK also accepts as done / failed.
    "python": {
        PENDING: "pending",
        PROCESSING: "processing",
        COMPLETED: "succeeded",
        FAILED: "error",
    },
    "success": {
        PENDING: "submitted",
        PROCESSING: "running",
        COMPLETED: "success",
        FAILED: "failure",
    },
    # Gateways that shout: the client must compare case-insensitively.
    "shouting": {
        PENDING: "PENDING",
        PROCESSING: "PROCESSING",
        COMPLETED: "COMPLETED",
        FAILED: "FAILED",
    },
    "shouting-typescript": {
        PENDING: "QUEUED",
        PROCESSING: "IN_PROGRESS",
        COMPLETED: "COMPLETED",
        FAILED: "FAILED",
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
