"""``python -m bayesnq.cli``: the ``bayesnq`` command."""

from bayesnq.cli import main

raise SystemExit(main())
