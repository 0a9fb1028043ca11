"""Run the OpenMetadata API emulator (a test stand-in) as a process.

    python -m openmetadata_emulator --port 0 [--host 127.0.0.1] [--token JWT] [--state FILE] [--max-request-bytes N]

Prints exactly one line ``openmetadata-emulator listening on http://HOST:PORT/api`` to
stdout (flushed) once it accepts connections; SIGTERM/SIGINT stop it, saving the state
file first when ``--state`` is given.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m openmetadata_emulator",
        description="OpenMetadata API emulator (test stand-in, never used by production code).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, required=True, help="TCP port; 0 picks a free one")
    parser.add_argument("--token", default=None, help="require 'Authorization: Bearer TOKEN' on every request")
    parser.add_argument("--max-request-bytes", type=int, default=None,
                        help="answer 413 to a larger request body (default: the emulator's, see README)")
    parser.add_argument("--state", default=None, help="JSON state file: loaded at start, saved on change and exit")
    parser.add_argument("--log-level", default="WARNING", help="logging level for stderr (default WARNING)")
    args = parser.parse_args(argv)

    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    from .server import Emulator  # imports the SDK lazily (~10 s)

    limits = {} if args.max_request_bytes is None else {"max_request_bytes": args.max_request_bytes}
    emulator = Emulator(host=args.host, port=args.port, token=args.token, state_path=args.state, **limits)
    stop = threading.Event()

    def _on_signal(signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    emulator.start()
    print(f"openmetadata-emulator listening on {emulator.url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
