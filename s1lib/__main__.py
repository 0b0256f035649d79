import sys

from s1lib.cli import main

if __name__ == "__main__":
    sys.exit(main())
