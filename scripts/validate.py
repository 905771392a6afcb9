"""Kept for old commands: the validation lives in `lcsim.validation`; this is `lcsim validate`.

    lcsim validate                      # every pattern; rewrites docs/validation.md and its figures
    lcsim validate --only P2 L1         # some patterns (the document is left alone)
"""

import sys

from lcsim.cli import main

if __name__ == "__main__":
    sys.exit(main(["validate", *sys.argv[1:]]))
