"""Serve the review desk with waitress (a production WSGI server, pure Python, no compiler)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from gaiji.errors import GaijiError
from gaiji.review.accounts import is_loopback

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


class ServerError(GaijiError):
    """The desk could not start (port taken, waitress missing, …)."""


def make_server(app: Any, host: str, port: int, *, threads: int = 8) -> Any:
    """A waitress server bound to *host*:*port* (port 0 picks a free one)."""
    try:
        from waitress import create_server
    except ImportError as exc:
        raise ServerError("the review desk needs waitress: pip install waitress") from exc
    try:
        # poll(), not select(): no limit of 1,024 descriptors, and a socket closed while the
        # loop waits (the server shut down from another thread) is reported, not an EBADF error
        return create_server(app, host=host, port=port, threads=threads, ident="gaiji-review",
                             clear_untrusted_proxy_headers=True, asyncore_use_poll=True)
    except OSError as exc:
        raise ServerError(f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port") from exc


def server_url(server: Any, host: str) -> str:
    port = server.effective_port
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def serve(
    set_dir: str | Path,
    *,
    reference: Any,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    candidates_path: str | Path | None = None,
    on_ready: Callable[[str], None] | None = None,
    proposals_path: str | Path | None = None,
    secure_cookies: bool = False,
    signing_key: str | Path | None = None,
    witness: str | Path | None = None,
) -> None:
    """Run the desk until interrupted. *on_ready* receives the URL once it listens."""
    from gaiji.review.app import create_app

    app = create_app(set_dir, reference=reference, candidates_path=candidates_path, host=host,
                     secure_cookies=secure_cookies, signing_key=signing_key, witness=witness,
                     proposals_path=proposals_path)
    server = make_server(app, host, port)
    if on_ready is not None:
        on_ready(server_url(server, host))
    try:
        server.run()
    finally:
        server.close()


__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "ServerError", "is_loopback", "make_server", "serve", "server_url"]
