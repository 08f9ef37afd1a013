from payeeflow.cli import main

raise SystemExit(main())
