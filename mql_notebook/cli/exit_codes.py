"""The exit codes of every ``mql-notebook`` command, so scripts can tell failures apart."""

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_NOT_RUNNING = 1  # ``local status``/``stop``: no background emulator
EXIT_USAGE = 2  # also what argparse uses for a malformed command line
EXIT_API = 3
EXIT_CONNECTION = 4
EXIT_FAILED = 5
EXIT_NOT_ALL_COMPLETED = 5  # a batch or a resume: some job did not complete
EXIT_TIMEOUT = 6
EXIT_BUDGET = 7  # refused before sending: it would go over a budget
EXIT_INTERRUPTED = 130
