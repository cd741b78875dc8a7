# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""``offsite-backup status [PROFILE] [--json]``: how each profile's runs are going.

One line per profile (or a JSON document): the last run, its result, the age of the last
success, the next scheduled run and the number of chains. The next run of a profile on a
systemd timer is the one systemd has planned (``systemctl list-timers``, random delay
included) where systemd runs; otherwise it comes from the profile's cron fields, in the
runner settings' ``schedule``. The exit code is 1 when any profile is overdue,
0 when none is, 2 on a usage error.

Overdue: the latest scheduled run that is more than ``overdue_grace`` hours ago (the
time a run may take) has no successful run after it. A profile that never ran counts
from when its settings were written (the mtime of its ``runner.json``), so a host whose
cron never started a run shows up too. A profile without a schedule is never overdue.
Standard library only: the runner imports this file on backup hosts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

if __name__.startswith('ansible_collections.'):
    from ansible_collections.offsite.backup.plugins.module_utils import offsite_drill, offsite_metrics
    from ansible_collections.offsite.backup.plugins.module_utils.duply_schedule import cron_values
else:  # on the host this file is a top-level module beside offsite_metrics.py
    import offsite_drill  # pylint: disable=import-error
    import offsite_metrics  # pylint: disable=import-error
    from duply_schedule import cron_values  # pylint: disable=import-error

OK, OVERDUE, USAGE = 0, 1, 2
FIELDS = ('minute', 'hour', 'day', 'month', 'weekday')
SEARCH_DAYS = 366 * 8 + 1
LINE = '%-20s %-16s %-14s %-14s %-16s %6s  %s'


class ScheduleError(ValueError):
    """A cron field cron would not take."""


def parse_field(field, text):
    """The set of values a cron field allows (weekday 7 is 0, Sunday), from duply_schedule's reading."""
    try:
        return set(cron_values(text, field))
    except ValueError as exc:
        raise ScheduleError('schedule.%s: %r %s' % (field, str(text), exc)) from None


class Schedule:
    """A cron schedule (minute hour day month weekday) in local time."""

    def __init__(self, fields):
        self.sets = dict((field, parse_field(field, fields.get(field, '*'))) for field in FIELDS)
        # cron: when both day and weekday are restricted, either one matching is enough.
        self.either = all(not str(fields.get(field, '*')).startswith('*') for field in ('day', 'weekday'))
        self.times = sorted((hour, minute) for hour in self.sets['hour'] for minute in self.sets['minute'])

    def day_matches(self, tm):
        if tm.tm_mon not in self.sets['month']:
            return False
        day = tm.tm_mday in self.sets['day']
        weekday = (tm.tm_wday + 1) % 7 in self.sets['weekday']
        return (day or weekday) if self.either else (day and weekday)

    def _at(self, tm, hour, minute):
        return time.mktime((tm.tm_year, tm.tm_mon, tm.tm_mday, hour, minute, 0, 0, 0, -1))

    def _days(self, when, direction):
        tm = time.localtime(when)
        noon = time.mktime((tm.tm_year, tm.tm_mon, tm.tm_mday, 12, 0, 0, 0, 0, -1))
        for offset in range(SEARCH_DAYS):
            day = time.localtime(noon + direction * offset * 86400)
            if self.day_matches(day):
                yield day

    def next_after(self, when):
        """The first scheduled time after when (epoch), or None."""
        for day in self._days(when, 1):
            for hour, minute in self.times:
                at = self._at(day, hour, minute)
                if at > when:
                    return at
        return None

    def previous(self, when):
        """The last scheduled time at or before when (epoch), or None."""
        for day in self._days(when, -1):
            for hour, minute in reversed(self.times):
                at = self._at(day, hour, minute)
                if at <= when:
                    return at
        return None


def overdue(state, schedule, grace_hours, since, now):
    """Whether a scheduled run more than grace_hours ago has no success after it."""
    if schedule is None:
        return False
    due = schedule.previous(now - grace_hours * 3600)
    if due is None:
        return False
    reference = (state or {}).get('last_success') or since
    return reference < due


def age(seconds):
    """A duration as 45s, 12m, 3h05m or 2d04h."""
    seconds = int(max(0, seconds))
    if seconds < 60:
        return '%ds' % seconds
    if seconds < 3600:
        return '%dm' % (seconds // 60)
    if seconds < 86400:
        return '%dh%02dm' % (seconds // 3600, seconds % 3600 // 60)
    return '%dd%02dh' % (seconds // 86400, seconds % 86400 // 3600)


def result(state):
    if not state or state.get('exit_code') is None:
        return 'never run'
    return 'ok' if state['exit_code'] == 0 else 'failed (exit %d)' % state['exit_code']


def systemd_next_elapse(timer_unit, systemd_dir='/run/systemd/system'):
    """When systemd will next start timer_unit (epoch), or None where systemd is not running it.

    From ``systemctl list-timers --output=json`` (systemd 250 and later), whose ``next``
    is in microseconds and includes the timer's random delay.
    """
    if not timer_unit or not os.path.isdir(systemd_dir):
        return None
    try:
        proc = subprocess.run(['systemctl', 'list-timers', '--all', '--output=json', timer_unit],  # pylint: disable=ansible-bad-function
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
        timers = json.loads(proc.stdout.decode('utf-8', 'replace')) if proc.returncode == 0 else []
    except (OSError, ValueError):
        return None
    for item in timers if isinstance(timers, list) else []:
        if isinstance(item, dict) and item.get('unit') == timer_unit and isinstance(item.get('next'), int):
            return item['next'] // 1000000
    return None


def row(profile, settings, state, since, now, next_elapse=None, drill_state=None):
    """A profile's status as data (the JSON of one profile); next_elapse: systemd's next start."""
    fields = settings.get('schedule') or {}
    schedule = Schedule(fields) if fields else None
    state = state or {}
    success = state.get('last_success')
    next_run = next_elapse or (schedule.next_after(now) if schedule else None)
    return {
        'profile': profile,
        'result': result(state),
        'exit_code': state.get('exit_code'),
        'last_run_start': state.get('start'),
        'last_run_end': state.get('end'),
        'last_success': success,
        'last_success_age_seconds': int(now - success) if success else None,
        'next_run': int(next_run) if next_run else None,
        'next_run_from': ('systemd' if next_elapse else 'schedule') if next_run else None,
        'schedule': ' '.join(str(fields.get(field, '*')) for field in FIELDS) if fields else None,
        'chains': state.get('chains'),
        'sets': state.get('sets'),
        'last_report_sent': state.get('report_sent'),
        'overdue': overdue(state, schedule, settings.get('overdue_grace', 0), since, now),
        'drill': offsite_drill.status(settings.get('drill'), drill_state or {}, now),
    }


def _when(epoch):
    return time.strftime('%Y-%m-%d %H:%M', time.localtime(epoch)) if epoch else '-'


def table(rows, now):
    lines = [(LINE % ('PROFILE', 'LAST RUN', 'RESULT', 'LAST SUCCESS', 'NEXT RUN', 'CHAINS', '')).rstrip()]
    for item in rows:
        success = ('%s ago' % age(now - item['last_success'])) if item['last_success'] else 'never'
        lines.append((LINE % (item['profile'], _when(item['last_run_start']), item['result'], success,
                              _when(item['next_run']), '-' if item['chains'] is None else item['chains'],
                              ' '.join(flags(item)))).rstrip())
    return lines


def flags(item):
    """The last column: OVERDUE, DRILL PENDING, DRILL FAILED."""
    out = ['OVERDUE'] if item['overdue'] else []
    drill = item.get('drill') or {}
    if drill.get('pending'):
        out.append('DRILL PENDING')
    elif drill.get('last_ok') is False:
        out.append('DRILL FAILED')
    return out


def profiles_in(config_dir):
    try:
        names = sorted(os.listdir(config_dir))
    except OSError:
        return []
    return [name for name in names if os.path.isfile(os.path.join(config_dir, name, 'runner.json'))]


def main(argv, config_dir, load, out=sys.stdout, err=sys.stderr, now=None, next_elapse=systemd_next_elapse):
    """offsite-backup status [PROFILE] [--json]; load(profile, config_dir) gives (settings, dir).

    next_elapse(timer unit) gives systemd's next start of a timer, or None.
    """
    as_json = '--json' in argv
    names = [arg for arg in argv if arg != '--json']
    if len(names) > 1 or any(name.startswith('-') for name in names):
        err.write('usage: offsite-backup status [PROFILE] [--json]\n')
        return USAGE
    known = profiles_in(config_dir)
    if names and names[0] not in known:
        err.write("offsite-backup status: no such profile '%s' (profiles: %s)\n"
                  % (names[0], ', '.join(known) or 'none'))
        return USAGE
    now = time.time() if now is None else now
    rows = []
    for profile in names or known:
        try:
            settings, profile_dir = load(profile, config_dir)
            since = os.stat(os.path.join(profile_dir, 'runner.json')).st_mtime
            state = offsite_metrics.read_state(offsite_metrics.state_path(settings['state_dir'], profile))
            drill_state = offsite_metrics.read_state(offsite_drill.state_path(settings['state_dir'], profile))
            rows.append(row(profile, settings, state, since, now, next_elapse(settings.get('timer')), drill_state))
        except (OSError, ValueError) as exc:
            err.write('offsite-backup status: profile %s: %s\n' % (profile, exc))
            return USAGE
    if as_json:
        out.write(json.dumps({'profiles': rows, 'overdue': [item['profile'] for item in rows if item['overdue']]},
                             indent=2, sort_keys=True) + '\n')
    else:
        out.write('\n'.join(table(rows, now)) + '\n')
    return OVERDUE if any(item['overdue'] for item in rows) else OK
