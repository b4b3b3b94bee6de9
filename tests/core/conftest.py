"""Core tests use the shared fixtures of tests/conftest.py and the builders in tests.fakes."""
