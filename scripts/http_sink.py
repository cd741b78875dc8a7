# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An HTTP sink on loopback for tests: it answers 200 to every request and records it
(method, path with query, headers, body) so that tests see the pings a monitoring service
would have received.

GET /_sink/requests returns the recorded requests as JSON, oldest first (the body as
text, UTF-8 with replacement); DELETE /_sink/requests forgets them. Paths under
/status/CODE answer with that status code, for tests of a monitor that fails.
"""

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONTROL = '/_sink/requests'


class Sink(BaseHTTPRequestHandler):
    records = []
    lock = threading.Lock()

    def _answer(self, code, data=b'ok\n', kind='text/plain'):
        self.send_response(code)
        self.send_header('Content-Type', kind)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        with self.lock:
            self.records.append({'time': time.time(), 'method': self.command, 'path': self.path,
                                 'headers': dict(self.headers.items()),
                                 'body': body.decode('utf-8', 'replace')})
        code = 200
        if self.path.startswith('/status/'):
            code = int(self.path.split('/')[2].split('?')[0])
        self._answer(code)

    def do_GET(self):  # noqa: N802
        if self.path == CONTROL:
            with self.lock:
                data = json.dumps(self.records).encode()
            self._answer(200, data, 'application/json')
        else:
            self._record()

    def do_DELETE(self):  # noqa: N802
        if self.path == CONTROL:
            with self.lock:
                del self.records[:]
            self._answer(200)
        else:
            self._record()

    do_POST = do_PUT = do_HEAD = _record

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--port', type=int, default=18090)
    args = parser.parse_args()
    ThreadingHTTPServer(('127.0.0.1', args.port), Sink).serve_forever()


if __name__ == '__main__':
    main()
