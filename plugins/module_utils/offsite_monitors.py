# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Monitors of a backup run: who hears that a run started, succeeded or failed.

A profile's ``monitors`` is a list of dicts (checked by :func:`monitor_errors`, which both
the duply role's profile validation and the runner use):

* ``kind``: ``healthchecks`` (the Healthchecks ping protocol, also spoken by self-hosted
  Healthchecks and push URLs of the Uptime Kuma kind: ``URL/start``, ``URL`` on success,
  ``URL/fail`` on failure, or ``URL/EXITCODE`` with ``exit_code: true``; the tail of the
  run's log is the POST body), ``ntfy`` (a topic URL; title ``[ok]``/``[ERR]``, the
  summary as the message, priority 5 on failure) or ``webhook`` (a JSON document of the
  run, :func:`document`).
* ``url`` (required, http or https) and ``token`` (optional; ntfy and webhook send it as
  ``Authorization: Bearer``). Both are secrets: nothing here ever logs them.
* ``events``: a subset of ``start``, ``success``, ``failure`` (default: all three).
* ``name``: what the log calls the monitor (default ``KIND #INDEX``).

A monitor never changes the backup's result: :func:`notify` tries each request a few
times with a short timeout, logs what happened and returns.
Standard library only: the runner imports this file on backup hosts.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

KINDS = ('healthchecks', 'ntfy', 'webhook')
EVENTS = ('start', 'success', 'failure')
KEYS = ('kind', 'url', 'token', 'events', 'name', 'exit_code')
TAIL_BYTES = 10000
ATTEMPTS = 3
TIMEOUT = 10
PAUSE = 2
_URL = re.compile(r'^https?://[^\s]+$')


def monitor_errors(monitors, at='monitors'):
    """One message per problem with a monitors list; empty when it is usable.

    Messages never quote a URL or a token: they name the monitor by its index.
    """
    if not isinstance(monitors, (list, tuple)):
        return ['%s must be a list of monitors, not %s' % (at, type(monitors).__name__)]
    errors = []
    for index, monitor in enumerate(monitors):
        where = '%s[%d]' % (at, index)
        if not isinstance(monitor, dict):
            errors.append('%s must be a dict with kind and url' % where)
            continue
        unknown = sorted(set(monitor) - set(KEYS))
        if unknown:
            errors.append('%s has unknown keys: %s' % (where, ', '.join(unknown)))
        if monitor.get('kind') not in KINDS:
            errors.append("%s.kind must be one of %s, not '%s'" % (where, ', '.join(KINDS), monitor.get('kind')))
        if not isinstance(monitor.get('url'), str) or not _URL.match(monitor.get('url')):
            errors.append('%s.url must be an http:// or https:// URL' % where)
        if not isinstance(monitor.get('token', ''), str):
            errors.append('%s.token must be a string' % where)
        if not isinstance(monitor.get('name', ''), str):
            errors.append('%s.name must be a string' % where)
        if not isinstance(monitor.get('exit_code', False), bool):
            errors.append('%s.exit_code must be true or false' % where)
        events = monitor.get('events', list(EVENTS))
        if not isinstance(events, (list, tuple)) or not events or any(event not in EVENTS for event in events):
            errors.append('%s.events must be a non-empty list of %s' % (where, ', '.join(EVENTS)))
    return errors


def label(monitor, index):
    return monitor.get('name') or '%s #%d' % (monitor['kind'], index + 1)


def wants(monitor, event):
    return event in monitor.get('events', EVENTS)


def with_path(url, suffix):
    """url with /suffix appended to its path, the query kept (push URLs carry one)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=parts.path.rstrip('/') + '/' + suffix))


def tail(lines, limit=TAIL_BYTES):
    """The last lines of the run's log that fit in limit bytes (UTF-8)."""
    out, size = [], 0
    for line in reversed(list(lines)):
        data = (line + '\n').encode('utf-8', 'replace')
        if size + len(data) > limit:
            break
        out.append(line)
        size += len(data)
    return '\n'.join(reversed(out)) + ('\n' if out else '')


def title(event, run):
    tag = {'start': 'start', 'success': 'ok', 'failure': 'ERR'}[event]
    return '[%s] %s %s/%s' % (tag, run.get('what', 'backup'), run['host'], run['profile'])


def document(event, run):
    """The webhook's JSON document: the run as the runner saw it."""
    doc = {'event': event, 'run': run.get('what', 'backup'), 'profile': run['profile'], 'host': run['host'],
           'result': {'start': 'running', 'success': 'success', 'failure': 'failure'}[event],
           'start': run['start'], 'exit_code': None, 'duration_seconds': None,
           'uploaded_bytes': None, 'units': []}
    if event != 'start':
        doc.update(exit_code=run['exit_code'], duration_seconds=run['duration'],
                   uploaded_bytes=run.get('uploaded'), units=run.get('units') or [])
    return doc


def build(monitor, event, run):
    """(url, headers, body bytes) of one monitor's request for event; always a POST.

    run: profile, host, start (epoch), and after the run exit_code, duration, summary,
    uploaded, units and log (the run's lines).
    """
    kind, url, token = monitor['kind'], monitor['url'], monitor.get('token') or ''
    headers = {'User-Agent': 'offsite-backup'}
    if kind == 'healthchecks':
        if event == 'start':
            target = with_path(url, 'start')
        elif monitor.get('exit_code'):
            target = with_path(url, str(run['exit_code']))
        else:
            target = url if event == 'success' else with_path(url, 'fail')
        body = tail(run.get('log') or [])
        headers['Content-Type'] = 'text/plain; charset=utf-8'
        return target, headers, body.encode('utf-8', 'replace')
    if kind == 'ntfy':
        headers['Title'] = title(event, run)
        headers['Priority'] = {'start': '2', 'success': '3', 'failure': '5'}[event]
        headers['Tags'] = {'start': 'hourglass', 'success': 'white_check_mark', 'failure': 'rotating_light'}[event]
        if token:
            headers['Authorization'] = 'Bearer ' + token
        message = run.get('summary') if event != 'start' else 'started on %s' % run['host']
        return url, headers, message.encode('utf-8', 'replace')
    headers['Content-Type'] = 'application/json'
    if token:
        headers['Authorization'] = 'Bearer ' + token
    return url, headers, json.dumps(document(event, run), sort_keys=True).encode('utf-8')


def send(url, headers, body, attempts=ATTEMPTS, timeout=TIMEOUT, pause=PAUSE, method='POST'):
    """Send body to url, trying up to attempts times; (attempts made, None or why it failed).

    The reason never holds the URL: only the HTTP status or the socket error.
    """
    why = None
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        try:
            # The host has no Ansible (ansible's open_url): the standard library's opener.
            with urllib.request.build_opener().open(request, timeout=timeout) as response:
                response.read(65536)
            return attempt, None
        except urllib.error.HTTPError as exc:
            why = 'HTTP %d' % exc.code
        except urllib.error.URLError as exc:
            why = str(exc.reason)
        except (http.client.HTTPException, socket.timeout, OSError, ValueError) as exc:
            why = type(exc).__name__ if isinstance(exc, ValueError) else str(exc) or type(exc).__name__
        if attempt < attempts:
            time.sleep(pause)
    return attempts, why


def notify(monitors, event, run, note, **send_args):
    """Send event to every monitor that wants it; each outcome goes to note(text). Never raises."""
    for index, monitor in enumerate(monitors):
        if not wants(monitor, event):
            continue
        name = label(monitor, index)
        try:
            url, headers, body = build(monitor, event, run)
            tries, why = send(url, headers, body, **send_args)
        except Exception as exc:  # pylint: disable=broad-except
            # A monitor must never cost the backup its result.
            tries, why = 1, 'cannot build the request (%s)' % type(exc).__name__
        if why is None:
            note('monitor %s: %s sent' % (name, event))
        else:
            note('monitor %s: %s NOT sent after %d attempt%s: %s (the backup result stands)'
                 % (name, event, tries, '' if tries == 1 else 's', why))
