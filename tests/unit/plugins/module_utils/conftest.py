# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the module_utils tests share: a local HTTP server that records the monitors' pings."""

from __future__ import annotations

import http.server
import threading
import time

import pytest


class Sink:
    """A local HTTP server recording requests; answers with codes in turn, or hangs."""

    def __init__(self, codes=(200,), hang=0):
        self.requests = []
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
                sink.requests.append({'path': self.path, 'headers': dict(self.headers.items()), 'body': body})
                time.sleep(hang)
                code = codes[min(len(sink.requests), len(codes)) - 1]
                self.send_response(code)
                self.send_header('Content-Length', '0')
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = 'http://127.0.0.1:%d' % self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sink():
    server = Sink()
    yield server
    server.close()


@pytest.fixture
def make_sink():
    """Sink(codes, hang) on a free port, shut down after the test."""
    made = []

    def make(**kwargs):
        made.append(Sink(**kwargs))
        return made[-1]
    yield make
    for server in made:
        server.close()


@pytest.fixture
def sink(make_sink):
    return make_sink()
