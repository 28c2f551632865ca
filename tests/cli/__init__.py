"""Tests of mql_notebook.cli: the command line as a real process."""
