import sys

from livekr.cli import main

sys.exit(main())
