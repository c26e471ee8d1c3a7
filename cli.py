"""Run gaiji from a checkout: ``python cli.py …`` (same as the ``gaiji`` command)."""

from gaiji.cli import main

if __name__ == "__main__":
    main()
