"""The command line: a thin layer over the library. Each subcommand lives in its own module."""
