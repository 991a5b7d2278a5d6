"""A local webhook receiver for the benchmarks: an organisation's server that checks every signature.

``python -m benchmarks.webhook_receiver --port 8401 --secrets secrets.json --log received.log`` listens on
127.0.0.1 (HTTP/1.1, keep-alive, a thread per connection). ``secrets.json`` maps each path (``/hooks/3``) to
its endpoint's secret. Every POST is checked with the ``standardwebhooks`` library, as the README tells
organisations to: a good one is answered 204 and written to the log as ``<path>\\t<webhook-id>\\t<cursor>``
(flushed at once, so a benchmark counts lines and checks the order per endpoint); a forged, stale or unknown one
is answered 400 and written to ``<log>.refused``.
"""

import argparse
import json
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512


def handler_for(*, secrets: dict[str, str], log: TextIO, refused: TextIO) -> type[BaseHTTPRequestHandler]:
    """Return the request handler class of a receiver with these endpoints' secrets."""
    verifiers = {path: Webhook(secret) for path, secret in secrets.items()}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: a sender that reuses its connection can

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            verifier = verifiers.get(self.path)
            try:
                if verifier is None:
                    raise WebhookVerificationError("unknown path")
                payload = verifier.verify(body, dict(self.headers.items()))
            except WebhookVerificationError as error:
                with lock:
                    refused.write(f"{self.path}\t{self.headers.get('webhook-id', '-')}\t{error}\n")
                    refused.flush()
                self._answer(400)
                return
            with lock:
                log.write(f"{self.path}\t{self.headers['webhook-id']}\t{payload['data']['cursor']}\n")
                log.flush()
            self._answer(204)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secrets", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    with open(args.secrets, encoding="utf-8") as file:
        secrets = json.load(file)
    with open(args.log, "a", encoding="utf-8") as log, open(args.log + ".refused", "a", encoding="utf-8") as refused:
        server = _Server((args.host, args.port), handler_for(secrets=secrets, log=log, refused=refused))

        def stop(signum: int, frame: object) -> None:
            threading.Thread(target=server.shutdown).start()

        signal.signal(signal.SIGTERM, stop)
        print(f"webhook receiver listening on {args.host}:{args.port}", flush=True)
        server.serve_forever()
        server.server_close()


if __name__ == "__main__":
    main()
