"""A FastAPI classifier like the seed's (a pydantic model `website, content`), for the canary
tests (tests/integration/canary_test.py). Run with uvicorn:

    python3 fastapi_site_app.py PORT_FILE [--require-key KEY] [--unavailable-for S]
                                          [--revoke-after N]

- POST /classify: {"label": ...} for a body with `website` and `content` (pydantic answers 422
  "field required" otherwise). With --require-key, a request without `Authorization: Bearer
  KEY` gets 401. With --unavailable-for S, every request in the first S seconds gets 503.
- The key can be revoked (every /classify then gets 401 "API key revoked"): POST /revoke, or
  --revoke-after N (revoked once N requests were answered with a label); POST /restore brings
  it back.
- GET /count: {"classify": N, "refused": R, "labelled": L}: the POST requests received so far,
  on any path but /revoke and /restore, whatever the answer; the 401s for a revoked key; the
  answers with a label.
- The app listens on 127.0.0.1 on a free port and writes it into PORT_FILE.
"""

import socket
import sys
import threading
import time

import uvicorn
from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel

WORDS = {"news": "news", "football": "sports", "bank": "finance", "shop": "shopping"}


class Site(BaseModel):
    website: str
    content: str


def make_app(require_key, unavailable_for, revoke_after):
    app = FastAPI()
    started = time.monotonic()
    lock = threading.Lock()
    count = {"classify": 0, "refused": 0, "labelled": 0}
    key = {"revoked": False}
    control = ("/revoke", "/restore")

    def counted():
        with lock:
            count["classify"] += 1

    @app.middleware("http")
    async def count_requests(request, call_next):
        # Every path but the test's controls: a wrong one (404) is counted too.
        if request.method == "POST" and request.url.path not in control:
            counted()
        return await call_next(request)

    def label_of(site):
        for word, label in WORDS.items():
            if word in site.content:
                return label
        return "other"

    @app.post("/classify")
    def classify(site: Site, authorization: str | None = Header(default=None)):
        if time.monotonic() - started < unavailable_for:
            raise HTTPException(status_code=503, detail="warming up")
        if require_key and authorization != f"Bearer {require_key}":
            raise HTTPException(status_code=401, detail="invalid or missing API key")
        with lock:
            if key["revoked"]:
                count["refused"] += 1
                raise HTTPException(status_code=401, detail="API key revoked")
            count["labelled"] += 1
            if revoke_after and count["labelled"] == revoke_after:  # once: /restore holds
                key["revoked"] = True  # this answer still has its label; the next one not
        return {"label": label_of(site)}

    @app.post("/revoke")
    def revoke():
        with lock:
            key["revoked"] = True
        return {"revoked": True}

    @app.post("/restore")
    def restore():
        with lock:
            key["revoked"] = False
        return {"revoked": False}

    @app.get("/count")
    def get_count():
        with lock:
            return dict(count)

    return app


def main():
    port_file = sys.argv[1]
    require_key = None
    unavailable_for = 0.0
    revoke_after = 0
    args = sys.argv[2:]
    while args:
        flag = args.pop(0)
        if flag == "--require-key":
            require_key = args.pop(0)
        elif flag == "--unavailable-for":
            unavailable_for = float(args.pop(0))
        elif flag == "--revoke-after":
            revoke_after = int(args.pop(0))
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    app = make_app(require_key, unavailable_for, revoke_after)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(port))
    import os
    os.rename(port_file + ".tmp", port_file)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
