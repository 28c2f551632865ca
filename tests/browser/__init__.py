"""The widget in a real browser: JupyterLab 4 and Notebook 7 in Debian's Chromium."""
