"""The notebooks in notebooks/, run headless in a real kernel."""
