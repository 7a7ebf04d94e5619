"""Shared by every test directory: this file's directory (``tests/``) is on ``sys.path`` while
pytest runs (its rootdir conftest), so helpers such as ``sample_apps`` import by name."""
