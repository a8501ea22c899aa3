"""The benchmark: ``bash bench/run.sh`` (see ``bench/__main__.py``)."""
