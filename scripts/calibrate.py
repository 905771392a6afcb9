"""Kept for old commands: calibration lives in `lcsim.calibration`; this is `lcsim calibrate`.

    lcsim calibrate                     # OAT and Morris; rewrites docs/calibration.md and its figures
    lcsim calibrate --seeds 30 --no-doc # a quick look
"""

import sys

from lcsim.cli import main

if __name__ == "__main__":
    sys.exit(main(["calibrate", *sys.argv[1:]]))
