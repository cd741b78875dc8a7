# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""scripts/tcp_proxy.py, the relay benchmarks/uploads models a link with: it relays the bytes
unchanged, and --rate-kbps holds each connection to its rate."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import pytest

RELAY = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'scripts', 'tcp_proxy.py')


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


@pytest.fixture
def sink():
    """A loopback server that reads an 8-byte length and that many bytes, echoes them, then closes
    (as an HTTP exchange does, without half-closing)."""
    server = socket.socket()
    server.bind(('127.0.0.1', 0))
    server.listen(4)

    def serve():
        while True:
            try:
                connection, dummy = server.accept()
            except OSError:
                return
            with connection:
                data = b''
                while len(data) < 8 or len(data) < 8 + int.from_bytes(data[:8], 'big'):
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                connection.sendall(data[8:])
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    server.close()


def relay(target, *args):
    port = free_port()
    process = subprocess.Popen([sys.executable, RELAY, '--listen', '127.0.0.1:%d' % port,
                                '--target', '127.0.0.1:%d' % target] + list(args))
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.5).close()
            return process, port
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)


def round_trip(target, payload, *args):
    """Send payload through a relay started with args and read the echo; return (echo, seconds)."""
    process, port = relay(target, *args)
    try:
        started = time.monotonic()
        with socket.create_connection(('127.0.0.1', port), timeout=30) as connection:
            connection.sendall(len(payload).to_bytes(8, 'big') + payload)
            echo = b''
            while True:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                echo += chunk
        return echo, time.monotonic() - started
    finally:
        process.kill()
        process.wait()


def test_relays_bytes_unchanged_with_delay_and_rate(sink):
    payload = os.urandom(300000)
    echo, dummy = round_trip(sink, payload, '--latency-ms', '20', '--rate-kbps', '2000')
    assert echo == payload


def test_rate_holds_a_connection_to_its_kilobytes_per_second(sink):
    # 256 KB each way at 512 KB/s cannot take less than half a second each way, whatever
    # the machine: a relay that ignored the rate would take a few milliseconds.
    payload = os.urandom(256000)
    echo, seconds = round_trip(sink, payload, '--rate-kbps', '512')
    assert echo == payload
    assert seconds >= 2 * 0.45


def test_refuses_addresses_other_than_loopback():
    result = subprocess.run([sys.executable, RELAY, '--listen', '0.0.0.0:%d' % free_port(),
                             '--target', '127.0.0.1:9'], capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode != 0
    assert 'loopback only' in result.stderr
