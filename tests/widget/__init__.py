"""Tests of mql_notebook.widget: the VideoWidget, its frontend files and its static fallback."""
