"""One module per console subcommand: ``add_parser(subparsers)`` and ``run(args) -> int``."""
