"""The tests, one folder per part of mql_notebook; shared fixtures in tests/conftest.py.

Every folder is a package, so helper modules import by package path
(``from tests.local.mp4 import probe``) and test file names may repeat across folders.
"""
