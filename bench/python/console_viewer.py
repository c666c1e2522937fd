"""Keeps the broker's web console open in headless Chromium (it polls the JSON API once a
second) until killed: the "console open and refreshing" side of bench/console_bench.sh.

    python3 bench/python/console_viewer.py URL PROFILE_DIR
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "integration"))
from headless_chromium import Browser  # noqa: E402

url, profile = sys.argv[1], sys.argv[2]
with Browser(profile) as browser:
    jobs = browser.open(url + "/#/")
    workers = browser.open(url + "/#/workers")
    jobs.wait_for("document.querySelector('#live').innerText.startsWith('Updated')")
    print("console open", flush=True)
    polls = 0
    while True:  # until killed; count the page's refreshes as a check that it polls
        time.sleep(5)
        polls += 1
        print(jobs.eval("document.querySelector('#live').innerText"), flush=True)
