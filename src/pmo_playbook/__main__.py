"""`python -m pmo_playbook` runs the `pmo` command line."""

from pmo_playbook.cli.main import run

run()
