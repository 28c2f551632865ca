"""Tests of mql_notebook.library: the index and folder, recording over HTTP, processes sharing a library."""
