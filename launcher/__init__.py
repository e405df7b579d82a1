"""Helpers for tests and benchmarks: running the assistant's servers on loopback."""
