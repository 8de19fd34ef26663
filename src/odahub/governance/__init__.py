"""The governance stage."""
