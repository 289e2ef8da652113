"""One module per console-script command: ``add_parser(subparsers)`` and ``run(args) -> int``."""
