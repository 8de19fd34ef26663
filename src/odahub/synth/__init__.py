"""The synth stage."""
