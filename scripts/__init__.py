"""Helper programs of the project (shell scripts, and Python modules run with -m)."""
