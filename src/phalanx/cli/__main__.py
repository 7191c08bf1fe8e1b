"""``python -m phalanx.cli`` runs the command line."""

from phalanx.cli.app import main

main()
