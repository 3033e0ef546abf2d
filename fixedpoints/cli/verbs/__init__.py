"""The verbs of the command line: one module each, with ``NAME``, ``add_parser(sub)`` and
``run(args) -> exit code``."""
