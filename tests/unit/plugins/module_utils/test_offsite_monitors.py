# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Monitors (module_utils/offsite_monitors.py): requests as built, and sent to a local server."""

from __future__ import annotations

import json
import time

import pytest

from ansible_collections.offsite.backup.plugins.module_utils import offsite_monitors as mon

RUN = {'profile': 'photos', 'host': 'pi', 'start': 1000, 'exit_code': 1, 'duration': 12, 'uploaded': 2048,
       'summary': 'Profile photos on pi: FAILED, exit code 1, 12s.', 'units': [{'name': 'a', 'exit_code': 1}],
       'log': ['line %d' % i for i in range(5)]}


@pytest.mark.parametrize('monitors, message', [
    ({}, 'must be a list'),
    (['x'], r'monitors\[0\] must be a dict'),
    ([{'kind': 'pager', 'url': 'https://x'}], "kind must be one of healthchecks, ntfy, webhook, not 'pager'"),
    ([{'kind': 'ntfy', 'url': 'ftp://secret'}], r'monitors\[0\].url must be an http'),
    ([{'kind': 'ntfy', 'url': 'https://x', 'events': ['end']}], 'events must be a non-empty list'),
    ([{'kind': 'ntfy', 'url': 'https://x', 'events': []}], 'events must be a non-empty list'),
    ([{'kind': 'ntfy', 'url': 'https://x', 'colour': 1}], 'unknown keys: colour'),
    ([{'kind': 'healthchecks', 'url': 'https://x', 'exit_code': 'yes'}], 'exit_code must be true or false'),
    ([{'kind': 'ntfy', 'url': 'https://x', 'token': 5}], 'token must be a string'),
])
def test_monitor_errors(monitors, message):
    errors = mon.monitor_errors(monitors)
    assert any(__import__('re').search(message, error) for error in errors), errors
    assert 'secret' not in ' '.join(errors)


def test_good_monitors_pass():
    assert mon.monitor_errors([{'kind': 'healthchecks', 'url': 'https://hc-ping.com/uuid', 'events': ['failure'],
                                'name': 'hc', 'exit_code': True}, {'kind': 'webhook', 'url': 'http://h/x', 'token': 't'}]) == []


def test_healthchecks_urls_and_log_tail():
    hc = {'kind': 'healthchecks', 'url': 'https://hc.example/ping/abc?rid=1'}
    assert mon.build(hc, 'start', RUN)[0] == 'https://hc.example/ping/abc/start?rid=1'
    assert mon.build(hc, 'success', RUN)[0] == 'https://hc.example/ping/abc?rid=1'
    url, headers, body = mon.build(hc, 'failure', RUN)
    assert url == 'https://hc.example/ping/abc/fail?rid=1'
    assert body == b'line 0\nline 1\nline 2\nline 3\nline 4\n' and headers['Content-Type'].startswith('text/plain')
    assert mon.build(dict(hc, exit_code=True), 'failure', RUN)[0] == 'https://hc.example/ping/abc/1?rid=1'
    assert mon.build(dict(hc, exit_code=True), 'success', dict(RUN, exit_code=0))[0] == 'https://hc.example/ping/abc/0?rid=1'


def test_tail_is_bounded_and_keeps_the_end():
    lines = ['x' * 99] * 500 + ['the end']
    text = mon.tail(lines)
    assert len(text.encode()) <= mon.TAIL_BYTES and text.endswith('the end\n')
    assert mon.tail([]) == ''


def test_ntfy_title_priority_token():
    ntfy = {'kind': 'ntfy', 'url': 'https://ntfy.sh/topic', 'token': 'tk'}
    url, headers, body = mon.build(ntfy, 'failure', RUN)
    assert url == 'https://ntfy.sh/topic' and headers['Title'] == '[ERR] backup pi/photos'
    assert headers['Priority'] == '5' and headers['Authorization'] == 'Bearer tk' and body == RUN['summary'].encode()
    _url, headers, _body = mon.build({'kind': 'ntfy', 'url': 'https://n/t'}, 'success', RUN)
    assert headers['Title'] == '[ok] backup pi/photos' and headers['Priority'] == '3' and 'Authorization' not in headers


def test_webhook_document():
    _url, headers, body = mon.build({'kind': 'webhook', 'url': 'https://h/x'}, 'failure', RUN)
    doc = json.loads(body)
    assert headers['Content-Type'] == 'application/json'
    assert doc == {'event': 'failure', 'run': 'backup', 'profile': 'photos', 'host': 'pi', 'result': 'failure', 'start': 1000,
                   'exit_code': 1, 'duration_seconds': 12, 'uploaded_bytes': 2048, 'units': RUN['units']}
    start = json.loads(mon.build({'kind': 'webhook', 'url': 'https://h/x'}, 'start', RUN)[2])
    assert start['result'] == 'running' and start['exit_code'] is None


def test_send_posts_once_on_success(sink):
    assert mon.send(sink.url + '/p', {'X-A': '1'}, b'body', pause=0) == (1, None)
    assert sink.requests == [{'path': '/p', 'headers': sink.requests[0]['headers'], 'body': b'body'}]


def test_send_retries_then_gives_up_with_the_status(make_sink):
    server = make_sink(codes=(500, 502, 200))
    assert mon.send(server.url + '/p?token=secret', {}, b'', attempts=2, pause=0) == (2, 'HTTP 502')
    assert len(server.requests) == 2


def test_send_never_hangs(make_sink):
    server = make_sink(hang=3)
    began = time.monotonic()
    tries, why = mon.send(server.url, {}, b'', attempts=2, timeout=1, pause=0)
    assert time.monotonic() - began < 3 and tries == 2 and 'timed out' in why


def test_notify_filters_events_logs_and_never_raises(sink):
    notes = []
    monitors = [{'kind': 'healthchecks', 'url': sink.url + '/hc/Token-1', 'name': 'hc'},
                {'kind': 'ntfy', 'url': sink.url + '/n/Token-2', 'token': 'Token-3', 'events': ['failure']},
                {'kind': 'webhook', 'url': 'http://127.0.0.1:9/Token-4'},
                {'kind': 'webhook', 'url': 'http://[bad/Token-5'}]
    mon.notify(monitors, 'start', RUN, notes.append, attempts=2, pause=0)
    assert [r['path'] for r in sink.requests] == ['/hc/Token-1/start']
    assert notes[0] == 'monitor hc: start sent'
    assert notes[1].startswith('monitor webhook #3: start NOT sent after 2 attempts: ')
    assert notes[1].endswith('(the backup result stands)')
    assert notes[2].startswith('monitor webhook #4: start NOT sent')
    assert 'Token' not in ' '.join(notes)
    mon.notify(monitors, 'failure', RUN, notes.append, attempts=1, pause=0)
    assert [r['path'] for r in sink.requests][1:] == ['/hc/Token-1/fail', '/n/Token-2']
