"""A screenshot of an advice page (or any lcsim page) as a program officer sees it: Chromium at 1280 px wide,
the whole page, plus its measured width (no horizontal scrolling means scrollWidth <= 1280).

    python scripts/advice_screenshot.py out/advise-fragile/advice.html docs/img/advice-fragile.png
"""

from __future__ import annotations

import sys
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"  # Debian's package (docs: ../shared/STACK.md); never `playwright install`


def main(page_path: str, image: str, width: int = 1280) -> int:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(Path(page_path).resolve().as_uri())
            scroll = page.evaluate("document.documentElement.scrollWidth")
            page.screenshot(path=image, full_page=True)
        finally:
            browser.close()
    print(f"{image}: page {scroll} px wide at a {width} px window ({'fits' if scroll <= width else 'SCROLLS'})")
    return 0 if scroll <= width else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
