from jsnviewer.cli.main import main

raise SystemExit(main())
