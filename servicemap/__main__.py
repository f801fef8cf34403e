"""Run the command line as ``python -m servicemap``."""

from servicemap.cli import app

app(prog_name="servicemap")
