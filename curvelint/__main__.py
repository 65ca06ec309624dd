from curvelint.cli import main

raise SystemExit(main())
