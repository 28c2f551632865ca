"""Tests of mql_notebook.client: requests, retries, polling, downloads, the sync client."""
