"""The ``ledgerhub`` command line (being built)."""


def main() -> None:
    """Entry point of the ``ledgerhub`` console script."""
    raise SystemExit("ledgerhub CLI is being built")
