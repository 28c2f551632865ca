"""Reliability tests: soak, secrets, bad input, kernel restarts (see RELIABILITY.md)."""
