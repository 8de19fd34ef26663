"""The benefits stage."""
