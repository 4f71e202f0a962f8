"""Entry script of the packaged program (PyInstaller runs it as __main__): the `jsnviewer` command."""

import multiprocessing
import sys

from jsnviewer.cli.main import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a frozen program on Windows must not re-run main() in worker processes
    sys.exit(main())
