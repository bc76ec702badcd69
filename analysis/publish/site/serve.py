"""`python -m analysis serve`: the site on http://localhost, for readers who prefer a server to file://.

The pages work opened from disk too; a server is what a browser expects for some features (the
clipboard of the copy buttons) and what a newsroom would put in front of the files. Only the
loopback interface is bound: this serves a folder of a workstation, not the internet.
"""

from __future__ import annotations

import argparse
import functools
import socket
from pathlib import Path

from ...core import paths
from ...core.errors import StaleOutputError, UsageError

HOSTS = ("127.0.0.1", "localhost", "::1")


def site_dir() -> Path:
    from . import DIR

    return paths.REPORTS_DIR / DIR


def make_server(port: int, host: str = "127.0.0.1", folder: Path | None = None):
    """An HTTP server of the site folder (not yet serving); port 0 picks a free port."""
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    folder = Path(folder) if folder else site_dir()
    if not (folder / "index.html").is_file():
        raise StaleOutputError("no site yet; run `python -m analysis reproduce`", path=paths.relative_to_root(folder))
    if host not in HOSTS:
        raise UsageError(f"--host must be one of {', '.join(HOSTS)} (the site is served to this machine only), not {host!r}")
    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, not {port}")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format, *args):  # one line per request would bury the address
            pass

    class Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

    return Server((host, port), functools.partial(Quiet, directory=str(folder)))


def cmd_serve(args) -> int:
    server = make_server(args.port, args.host)
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"serving reports/site/ at http://{shown}:{port}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="serve the site (reports/site/) on this machine at http://127.0.0.1:PORT/")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1", choices=list(HOSTS), help="loopback address to bind")
    p.set_defaults(func=cmd_serve)
