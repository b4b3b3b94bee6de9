"""Fake targets and helpers for the core tests."""
