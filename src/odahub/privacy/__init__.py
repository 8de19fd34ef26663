"""Pseudonymisation: keyed tokens, key store, free-text redaction, re-identification."""
