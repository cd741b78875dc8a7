# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How a duply profile is scheduled: by cron, or by a systemd timer.

``timer(name, schedule, service_mgr, auto_minute, writable)`` derives what the duply
role's unit templates hold: which scheduler runs the profile, the unit names, the
``OnCalendar=`` lines equivalent to the profile's five cron fields, the random delay
and the paths the hardened service may write. ``schedule_errors`` checks the schedule
keys. Nothing here is secret: the runner reads the profile's secrets from its own
0600 files.
"""

from __future__ import annotations

import os
import re

VIA = ('', 'cron', 'systemd')
UNIT_PREFIX = 'offsite-backup-'
UNIT_DIR = '/etc/systemd/system'
# A minute left empty: cron gets a minute spread by host and profile; a timer fires at
# minute 0 plus a delay systemd derives from the machine and the unit (FixedRandomDelay),
# spread over the same hour and the same on every run.
AUTO_DELAY = '59min'
LOCK_PARENT = '/run/lock'
# gpg's home and its agent's socket directory (under /run/user/0 when root has a session).
GPG_PATHS = ('-/root/.gnupg', '-/run/user/0')

# Cron field: (lowest, highest, names). Weekday 7 is Sunday, as 0 is.
FIELDS = {
    'minute': (0, 59, ()),
    'hour': (0, 23, ()),
    'day': (1, 31, ()),
    'month': (1, 12, ('jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec')),
    'weekday': (0, 7, ('sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat')),
}
WEEKDAYS = ('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')
_ITEM = re.compile(r'^(?:(\*)|([0-9a-z]+)(?:-([0-9a-z]+))?)(?:/([0-9]+))?$')


def _value(text, field):
    names = FIELDS[field][2]
    if text.isdigit():
        return int(text)
    if text in names:
        return names.index(text) + (1 if field == 'month' else 0)
    raise ValueError("'%s' is neither a number nor a name" % text)


def cron_values(value, field):
    """The sorted values a cron field matches (weekday 7 becomes 0); ValueError says why not."""
    low, high, _names = FIELDS[field]
    text = str(value).strip().lower()
    if text == '':
        raise ValueError('is empty')
    found = set()
    for item in text.split(','):
        match = _ITEM.match(item)
        if not match:
            raise ValueError("'%s' is not a cron item (N, N-M, *, with /STEP)" % item)
        star, first, last, step = match.groups()
        if star:
            start, end = low, high
        else:
            start = _value(first, field)
            # N/STEP runs from N to the field's end, as cronie reads it.
            end = _value(last, field) if last else (high if step else start)
        step = int(step) if step else 1
        if step < 1:
            raise ValueError("step 0 in '%s'" % item)
        for number in (start, end):
            if not low <= number <= high:
                raise ValueError('%d is outside %d-%d' % (number, low, high))
        if start > end:
            raise ValueError("'%s' runs backwards" % item)
        found.update(range(start, end + 1, step))
    if field == 'weekday' and 7 in found:
        found.discard(7)
        found.add(0)
    return sorted(found)


def _ranges(values, show):
    """values (sorted) as a list with A..B for runs of three or more, each shown by show."""
    runs = []
    for number in values:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    parts = []
    for run in runs:
        parts.extend(['%s..%s' % (show(run[0]), show(run[-1]))] if len(run) > 2 else [show(n) for n in run])
    return ','.join(parts)


def _component(values, low, high, width=1):
    """A calendar component: *, START/STEP, or a list with A..B runs."""
    if values == list(range(low, high + 1)):
        return '*'
    if len(values) > 2:
        step = values[1] - values[0]
        if step > 1 and values == list(range(values[0], high + 1, step)):
            return '%0*d/%d' % (width, values[0], step)
    return _ranges(values, lambda n: '%0*d' % (width, n))


def _weekdays(values):
    """Weekday names in Monday-first order, with Mon..Fri runs; '' for every day."""
    days = sorted(7 if v == 0 else v for v in values)
    if days == list(range(1, 8)):
        return ''
    return _ranges(days, lambda day: WEEKDAYS[day - 1])


def on_calendar(schedule):
    """The OnCalendar= values that fire when cron would run the five fields of schedule.

    cron runs a job when the day OR the weekday matches if both are restricted (neither
    starts with '*'); one timer line ANDs them, so that case takes two lines.
    """
    values = dict((field, cron_values(schedule.get(field, '*'), field)) for field in FIELDS)
    clock = '%s:%s:00' % (_component(values['hour'], 0, 23, 2), _component(values['minute'], 0, 59, 2))
    month = _component(values['month'], 1, 12, 2)
    day = _component(values['day'], 1, 31, 2)
    weekdays = _weekdays(values['weekday'])
    starred = [str(schedule.get(field, '*')).strip().startswith('*') for field in ('day', 'weekday')]
    if any(starred):
        return [('%s *-%s-%s %s' % (weekdays, month, day, clock)).strip()]
    return ['*-%s-%s %s' % (month, day, clock), '%s *-%s-* %s' % (weekdays, month, clock)]


def unit_base(name):
    return UNIT_PREFIX + name


def scheduler(enabled, via, service_mgr):
    """cron, systemd, or '' (not scheduled). Without a choice: systemd where it is PID 1."""
    if not enabled:
        return ''
    if via:
        return via
    return 'systemd' if service_mgr == 'systemd' else 'cron'


def timer(name, schedule, enabled, service_mgr, auto_minute, writable):
    """What the duply role needs to schedule profile name (see the module's docstring).

    schedule: the profile's merged schedule; enabled: its ``cron`` key; auto_minute:
    whether its minute was left empty; writable: the paths its runs write (archive and
    log directories) before the schedule's own ``read_write_paths``.
    """
    base = unit_base(name)
    via = scheduler(enabled, str(schedule.get('via') or ''), service_mgr)
    out = {'via': via, 'service': base + '.service', 'timer': base + '.timer', 'calendar': [],
           'delay': AUTO_DELAY if auto_minute else '0', 'nice': schedule.get('nice', 19),
           'read_write_paths': []}
    if via != 'systemd':
        return out
    calendar = dict(schedule)
    if auto_minute:
        calendar['minute'] = '0'
    try:
        out['calendar'] = on_calendar(calendar)
    except ValueError:
        pass  # schedule_errors names the field
    paths = list(writable) + [LOCK_PARENT] + list(GPG_PATHS) + list(schedule.get('read_write_paths') or [])
    out['read_write_paths'] = list(dict.fromkeys(paths))
    return out


def schedule_errors(at, schedule):
    """One message per bad schedule key of a present profile."""
    errors = []
    for field in FIELDS:
        try:
            cron_values(schedule.get(field, '*'), field)
        except ValueError as exc:
            errors.append("%s.schedule.%s '%s' is not a cron field: %s" % (at, field, schedule.get(field, ''), exc))
    via = str(schedule.get('via') or '')
    if via not in VIA:
        errors.append("%s.schedule.via must be cron or systemd (or empty: systemd where it is PID 1), not '%s'"
                      % (at, via))
    nice = schedule.get('nice', 19)
    if isinstance(nice, bool) or not re.match(r'^-?[0-9]+$', str(nice)) or not -20 <= int(nice) <= 19:
        errors.append("%s.schedule.nice must be a number from -20 to 19, not '%s'" % (at, nice))
    paths = schedule.get('read_write_paths') or []
    if not isinstance(paths, (list, tuple)):
        errors.append('%s.schedule.read_write_paths must be a list of absolute paths' % at)
    else:
        for path in paths:
            text = str(path)
            if not os.path.isabs(text.lstrip('-')) or re.search(r'\s', text):
                errors.append("%s.schedule.read_write_paths: '%s' is not an absolute path without spaces"
                              % (at, text))
    return errors
