"""The analyse stage."""
