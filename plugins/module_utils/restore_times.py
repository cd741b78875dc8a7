# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""duplicity's restore times, resolved to one absolute moment.

parse_time() reads every form ``duplicity --time`` takes; an interval (3D, 2M) is taken
relative to a "now" and an ISO time without offset as UTC, so the moment it returns is
the one to give duplicity as epoch seconds (duplicity_time()): the host's time zone and
clock then no longer change which sets a restore reads."""

from __future__ import annotations

import datetime
import math
import re

if __name__.startswith('ansible_collections.'):
    from ansible_collections.offsite.backup.plugins.module_utils.duplicity_names import TIME_FORMAT
else:  # imported as top-level modules beside each other (host helpers, benchmarks)
    from duplicity_names import TIME_FORMAT  # pylint: disable=import-error


TIME_FORMS = (
    "'now' (the latest backup), an ISO 8601 date or date and time (2026-11-22, "
    "2026-11-22T01:02:03, 2026-11-22T01:02:03Z, 2026-11-22T03:02:03+02:00; no offset means "
    "UTC), YYYY/MM/DD or MM/DD/YYYY, duplicity's own 20261122T010203Z, seconds since the "
    "epoch, or an interval meaning that long ago: a sequence of numbers with units s, m, h, "
    "D, W, M, Y (seconds, minutes, hours, days, weeks, 30-day months, 365-day years), "
    "for example 3D, 2W, 1M, 1Y or 1h30m"
)

_UTC = datetime.timezone.utc
_INTERVAL = re.compile(r'(?:[0-9]+[smhDWMY])+')
_INTERVAL_PART = re.compile(r'([0-9]+)([smhDWMY])')
_INTERVAL_SECONDS = {'s': 1, 'm': 60, 'h': 3600, 'D': 86400, 'W': 7 * 86400, 'M': 30 * 86400, 'Y': 365 * 86400}
_ISO = re.compile(
    r'(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})'
    r'(?:[T ](?P<h>[0-9]{2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?:\.(?P<frac>[0-9]{1,6})[0-9]*)?)?)?'
    r'(?P<tz>Z|[+-][0-9]{2}:?[0-9]{2})?'
)
_SLASH_YMD = re.compile(r'(?P<y>[0-9]{4})/(?P<mo>[0-9]{1,2})/(?P<d>[0-9]{1,2})')
_SLASH_MDY = re.compile(r'(?P<mo>[0-9]{1,2})/(?P<d>[0-9]{1,2})/(?P<y>[0-9]{4})')
_COMPACT = re.compile(r'[0-9]{8}T[0-9]{6}Z')


def now_utc():
    """The current time, aware, in UTC."""
    return datetime.datetime.now(_UTC)


def parse_time(value, now=None):
    """Parse a restore time in one of duplicity's formats; return an aware UTC datetime.

    None, '' and 'now' (or 'latest') return None, meaning the latest backup. ``now`` is
    the reference for intervals (default: the current time). Raises ValueError naming
    the accepted forms.
    """
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError('time must be a string, got %r' % (value,))
    text = str(value).strip()
    if text.lower() in ('', 'now', 'latest'):
        return None
    if now is None:
        now = now_utc()
    try:
        if text.isdigit():
            return datetime.datetime.fromtimestamp(int(text), _UTC)
        if _COMPACT.fullmatch(text):
            return datetime.datetime.strptime(text, TIME_FORMAT).replace(tzinfo=_UTC)
        match = _ISO.fullmatch(text)
        if match:
            return _from_iso(match)
        match = _SLASH_YMD.fullmatch(text) or _SLASH_MDY.fullmatch(text)
        if match:
            return datetime.datetime(int(match.group('y')), int(match.group('mo')), int(match.group('d')),
                                     tzinfo=_UTC)
        if _INTERVAL.fullmatch(text):
            seconds = sum(int(number) * _INTERVAL_SECONDS[unit] for number, unit in _INTERVAL_PART.findall(text))
            return now - datetime.timedelta(seconds=seconds)
    except (ValueError, OverflowError, OSError) as exc:
        raise ValueError('time %r is not a valid time (%s); use %s' % (text, exc, TIME_FORMS))
    raise ValueError('time %r is not in a format duplicity understands; use %s' % (text, TIME_FORMS))


def _from_iso(match):
    parts = match.groupdict()
    frac = parts['frac'] or ''
    moment = datetime.datetime(
        int(parts['y']), int(parts['mo']), int(parts['d']),
        int(parts['h'] or 0), int(parts['mi'] or 0), int(parts['s'] or 0),
        int(frac.ljust(6, '0')) if frac else 0)
    zone = parts['tz']
    if zone in (None, 'Z'):
        return moment.replace(tzinfo=_UTC)
    sign = 1 if zone[0] == '+' else -1
    digits = zone[1:].replace(':', '')
    offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    if offset >= datetime.timedelta(hours=24):
        raise ValueError('offset %s out of range' % zone)
    return moment.replace(tzinfo=datetime.timezone(sign * offset)).astimezone(_UTC)


def time_key(moment):
    """An aware datetime as a duplicity time string (20261122T010203Z), comparable with set times."""
    return moment.astimezone(_UTC).strftime(TIME_FORMAT)


def iso(value):
    """A duplicity time string or an aware datetime as ISO 8601 UTC (2026-11-22T01:02:03Z); None stays None."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.astimezone(_UTC).strftime('%Y-%m-%dT%H:%M:%SZ')
    return datetime.datetime.strptime(value, TIME_FORMAT).strftime('%Y-%m-%dT%H:%M:%SZ')


def duplicity_time(moment):
    """An aware datetime as the value of duplicity's --time: whole seconds since the epoch.

    duplicity reads epoch seconds the same way in every time zone, whatever its clock
    says. The fraction is dropped, as time_key() drops it when select() compares set
    times, so duplicity and select() choose the same sets.
    """
    return str(int(math.floor(moment.astimezone(_UTC).timestamp())))
