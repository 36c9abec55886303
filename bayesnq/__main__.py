"""``python -m bayesnq``: the ``bayesnq`` command."""

from bayesnq.cli import main

raise SystemExit(main())
