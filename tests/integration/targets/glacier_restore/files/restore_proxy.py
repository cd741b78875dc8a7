# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Test helper for the glacier_restore, duplicity_info and duplicity_tags targets: an S3 proxy in front of moto.

    python restore_proxy.py --target http://127.0.0.1:PORT --port-file FILE [--ttl SECONDS]

moto completes a restore the moment it is asked for one, so it never shows a restore in
progress. This proxy forwards every request to moto unchanged (moto does not check
signatures), except for the keys it is told to treat otherwise:

    in_progress {key: N or null}  HeadObject answers moto's headers plus
                                  x-amz-restore: ongoing-request="true" (a restore under
                                  way), GetObject answers 403 InvalidObjectState and
                                  RestoreObject 409 RestoreAlreadyInProgress, as S3 does.
                                  After N such HeadObjects (null: never) the restore
                                  "completes": the proxy asks moto itself to restore the
                                  object and forwards from then on.
    conflict {key: N or null}     HeadObject is forwarded (archived, no restore), and the
                                  first RestoreObject answers 409 RestoreAlreadyInProgress,
                                  as when someone else asked a moment before; the key is
                                  then in_progress with N.
    deny [key]                    RestoreObject answers 403 AccessDenied.
    deny_head [key]               HeadObject answers 403.

It counts requests by method and S3 subresource ("HEAD object", "POST restore",
"GET list-type", ...) and records every RestoreObject (key, days, tier, the answer), the
ones it answers itself included. Paths are path-style (/bucket/key), as botocore sends
them to an IP address.

    POST /__proxy__/config     set the rules above (JSON body; replaces the previous rules)
    GET  /__proxy__/counts     request counts since the last reset
    GET  /__proxy__/restores   RestoreObject requests since the last reset, in order
    POST /__proxy__/reset      zero the counts and the record (the rules stay)
    POST /__proxy__/stop       stop (it also stops by itself after --ttl seconds)
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SUBRESOURCES = ('restore', 'tagging', 'list-type', 'uploads', 'versioning', 'lifecycle', 'policy', 'acl')
HOP_BY_HOP = ('connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection')


def error_body(code, message, key):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
            '<Key>%s</Key><RequestId>restore-proxy</RequestId></Error>' % (code, message, key)).encode()


class Proxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, target):
        ThreadingHTTPServer.__init__(self, address, Handler)
        self.target = urllib.parse.urlsplit(target)
        self.lock = threading.Lock()
        self.counts = {}
        self.restores = []
        self.in_progress = {}   # key -> HeadObjects left before completion (None: never)
        self.conflict = {}      # key -> N for in_progress once the 409 was answered
        self.deny = set()
        self.deny_head = set()

    def count(self, name):
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + 1

    def configure(self, config):
        with self.lock:
            self.in_progress = dict(config.get('in_progress') or {})
            self.conflict = dict(config.get('conflict') or {})
            self.deny = set(config.get('deny') or ())
            self.deny_head = set(config.get('deny_head') or ())

    def send(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection(self.target.hostname, self.target.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()


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

    def reply_json(self, value):
        self.reply(200, json.dumps(value, sort_keys=True).encode(), [('Content-Type', 'application/json')])

    def control(self, body):
        server = self.server
        if self.path == '/__proxy__/counts':
            with server.lock:
                self.reply_json(dict(server.counts))
        elif self.path == '/__proxy__/restores':
            with server.lock:
                self.reply_json(list(server.restores))
        elif self.path == '/__proxy__/reset':
            with server.lock:
                server.counts.clear()
                del server.restores[:]
            self.reply_json({})
        elif self.path == '/__proxy__/config':
            server.configure(json.loads(body or b'{}'))
            self.reply_json({})
        elif self.path == '/__proxy__/stop':
            self.reply_json({})
            threading.Thread(target=server.shutdown).start()
        else:
            self.reply(404)

    def forward(self, body):
        headers = dict((name, value) for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP)
        status, response_headers, data = self.server.send(self.command, self.path, body, headers)
        return status, [(name, value) for name, value in response_headers
                        if name.lower() not in HOP_BY_HOP + ('content-length',)], data

    def complete(self, bucket, key):
        """Let moto restore the object: the restore we pretended was under way is done.

        moto finds the account from the request's Authorization header, so the one of the
        HeadObject being answered is passed on. Returns True when moto restored it.
        """
        path = '/%s/%s?restore' % (urllib.parse.quote(bucket), urllib.parse.quote(key, safe='/'))
        body = b'<RestoreRequest><Days>1</Days></RestoreRequest>'
        headers = {'Content-Length': str(len(body))}
        if self.headers.get('Authorization'):
            headers['Authorization'] = self.headers['Authorization']
        status, dummy, dummy = self.server.send('POST', path, body, headers)
        return status in (200, 202)

    def handle_request(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else None
        if self.path.startswith('/__proxy__/'):
            self.control(body)
            return
        server = self.server
        parts = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        subresource = next((name for name in SUBRESOURCES if name in query), 'object')
        server.count('%s %s' % (self.command, subresource))
        bucket, dummy, key = parts.path.lstrip('/').partition('/')
        bucket = urllib.parse.unquote(bucket)
        key = urllib.parse.unquote(key)

        if self.command == 'POST' and subresource == 'restore':
            text = (body or b'').decode('utf-8', 'replace')
            days = re.search(r'<Days>([0-9]+)</Days>', text)
            tier = re.search(r'<Tier>([A-Za-z]+)</Tier>', text)
            record = {'key': key, 'days': int(days.group(1)) if days else None,
                      'tier': tier.group(1) if tier else None}
            with server.lock:
                server.restores.append(record)
                if key in server.deny:
                    answer = 'deny'
                elif key in server.in_progress:
                    answer = 'in_progress'
                elif key in server.conflict:
                    answer = 'in_progress'
                    server.in_progress[key] = server.conflict.pop(key)
                else:
                    answer = None
                record['answer'] = answer or 'forwarded'
            if answer == 'deny':
                self.reply(403, error_body('AccessDenied', 'Access Denied', key), [('Content-Type', 'application/xml')])
                return
            if answer == 'in_progress':
                self.reply(409, error_body('RestoreAlreadyInProgress', 'Object restore is already in progress', key),
                           [('Content-Type', 'application/xml')])
                return

        if self.command == 'HEAD' and subresource == 'object' and key:
            with server.lock:
                denied = key in server.deny_head
                pretend = key in server.in_progress
                done = False
                if pretend:
                    left = server.in_progress[key]
                    if left is not None and left <= 0:
                        del server.in_progress[key]
                        pretend = False
                        done = True
                    elif left is not None:
                        server.in_progress[key] = left - 1
            if denied:
                self.reply(403)
                return
            if done and not self.complete(bucket, key):
                self.reply(502)
                return
            status, headers, data = self.forward(body)
            if pretend and status == 200:
                headers = [(name, value) for name, value in headers if name.lower() != 'x-amz-restore']
                headers.append(('x-amz-restore', 'ongoing-request="true"'))
            self.reply(status, data, headers)
            return

        if self.command == 'GET' and subresource == 'object' and key:
            with server.lock:
                pretend = key in server.in_progress
            if pretend:
                self.reply(403, error_body('InvalidObjectState', "The operation is not valid for the object's "
                                           'storage class', key), [('Content-Type', 'application/xml')])
                return

        status, headers, data = self.forward(body)
        self.reply(status, data, headers)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_request


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
