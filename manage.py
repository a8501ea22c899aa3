#!/usr/bin/env python
"""Django's usual entry point; ``dateline`` (see dateline/cli.py) is the same with dashes."""

from dateline.cli import main

if __name__ == "__main__":
    main()
