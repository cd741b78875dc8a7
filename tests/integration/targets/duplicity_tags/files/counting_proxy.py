# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Test helper for the duplicity_tags target: an HTTP proxy that counts S3 requests.

    python counting_proxy.py --target http://127.0.0.1:PORT --port-file FILE [--ttl SECONDS]

Listens on a free port of 127.0.0.1 (written to FILE once it listens) and forwards every
request to the target unchanged (moto does not check signatures). Requests are counted
by method and S3 subresource, for example "GET tagging", "PUT tagging", "GET list-type".
    GET  /__proxy__/counts   the counts since the last reset, as JSON
    POST /__proxy__/reset    zero them
    POST /__proxy__/stop     stop the proxy (it also stops by itself after --ttl seconds)
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SUBRESOURCES = ('tagging', 'list-type', 'uploads', 'versioning', 'lifecycle', 'policy', 'acl')
HOP_BY_HOP = ('connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection')


class Proxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, target):
        ThreadingHTTPServer.__init__(self, address, Handler)
        self.target = urllib.parse.urlsplit(target)
        self.lock = threading.Lock()
        self.counts = {}

    def count(self, name):
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass

    def reply(self, status, body=b'', headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def control(self):
        server = self.server
        if self.path == '/__proxy__/counts':
            with server.lock:
                body = json.dumps(server.counts, sort_keys=True).encode()
            self.reply(200, body, [('Content-Type', 'application/json')])
        elif self.path == '/__proxy__/reset':
            with server.lock:
                server.counts.clear()
            self.reply(200, b'{}', [('Content-Type', 'application/json')])
        elif self.path == '/__proxy__/stop':
            self.reply(200, b'{}', [('Content-Type', 'application/json')])
            threading.Thread(target=server.shutdown).start()
        else:
            self.reply(404)

    def forward(self):
        if self.path.startswith('/__proxy__/'):
            self.control()
            return
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query, keep_blank_values=True)
        subresource = next((name for name in SUBRESOURCES if name in query), 'object')
        self.server.count('%s %s' % (self.command, subresource))

        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else None
        headers = dict((name, value) for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP)
        target = self.server.target
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            self.reply(response.status, data,
                       [(name, value) for name, value in response.getheaders()
                        if name.lower() not in HOP_BY_HOP + ('content-length',)])
        finally:
            connection.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = forward


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--target', required=True)
    parser.add_argument('--port-file', required=True)
    parser.add_argument('--ttl', type=float, default=900)
    args = parser.parse_args()

    server = Proxy(('127.0.0.1', 0), args.target)
    timer = threading.Timer(args.ttl, server.shutdown)
    timer.daemon = True
    timer.start()
    temporary = args.port_file + '.tmp'
    with open(temporary, 'w', encoding='utf-8') as handle:
        handle.write('%d\n' % server.server_address[1])
    os.rename(temporary, args.port_file)
    server.serve_forever()
    server.server_close()


if __name__ == '__main__':
    main()
