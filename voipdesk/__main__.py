"""`python -m voipdesk`: the same as the `voipdesk` command."""

import sys

from voipdesk.cli import main

sys.exit(main())
