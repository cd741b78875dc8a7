# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime
import itertools
import shutil
import subprocess

import pytest

from ansible_collections.offsite.backup.plugins.module_utils.duply_schedule import (
    cron_values,
    on_calendar,
    schedule_errors,
    scheduler,
    timer,
)

DAILY = {'minute': '17', 'hour': '3', 'day': '*', 'month': '*', 'weekday': '*'}


def cal(**fields):
    schedule = dict(DAILY)
    schedule.update(fields)
    return on_calendar(schedule)


@pytest.mark.parametrize('value, field, expected', [
    ('*', 'hour', list(range(24))),
    ('*/15', 'minute', [0, 15, 30, 45]),
    ('1-5', 'weekday', [1, 2, 3, 4, 5]),
    ('7', 'weekday', [0]),
    ('sat,sun', 'weekday', [0, 6]),
    ('jan-mar', 'month', [1, 2, 3]),
    ('1-10/3', 'day', [1, 4, 7, 10]),
    ('50/5', 'minute', [50, 55]),
    ('0,30', 'minute', [0, 30]),
    (4, 'hour', [4]),
])
def test_cron_values(value, field, expected):
    assert cron_values(value, field) == expected


@pytest.mark.parametrize('value, field, reason', [
    ('60', 'minute', '60 is outside 0-59'),
    ('0', 'day', '0 is outside 1-31'),
    ('5-1', 'hour', "'5-1' runs backwards"),
    ('*/0', 'minute', "step 0 in '*/0'"),
    ('foo', 'month', "'foo' is neither a number nor a name"),
    ('1-', 'hour', "'1-' is not a cron item (N, N-M, *, with /STEP)"),
    ('', 'hour', 'is empty'),
])
def test_bad_cron_values_say_why(value, field, reason):
    with pytest.raises(ValueError) as exc:
        cron_values(value, field)
    assert str(exc.value) == reason


@pytest.mark.parametrize('fields, expected', [
    ({}, ['*-*-* 03:17:00']),
    ({'minute': '*/15', 'hour': '*'}, ['*-*-* *:00/15:00']),
    ({'hour': '1-5', 'minute': '0'}, ['*-*-* 01..05:00:00']),
    ({'hour': '2,14'}, ['*-*-* 02,14:17:00']),
    ({'weekday': '1-5'}, ['Mon..Fri *-*-* 03:17:00']),
    ({'weekday': '6'}, ['Sat *-*-* 03:17:00']),
    ({'weekday': '0,6'}, ['Sat,Sun *-*-* 03:17:00']),
    ({'weekday': '5-7'}, ['Fri..Sun *-*-* 03:17:00']),
    ({'day': '1', 'month': 'jan,jul'}, ['*-01,07-01 03:17:00']),
    ({'day': '*/2'}, ['*-*-01/2 03:17:00']),
    # Both restricted: cron runs on the 1st OR on Mondays.
    ({'day': '1', 'weekday': '1'}, ['*-*-01 03:17:00', 'Mon *-*-* 03:17:00']),
    # A day starting with '*' makes cron AND them.
    ({'day': '*/2', 'weekday': '1'}, ['Mon *-*-01/2 03:17:00']),
])
def test_on_calendar(fields, expected):
    assert cal(**fields) == expected


def _cron_times(schedule, start, count):
    """The next count times Vixie cron fires schedule at, by its matching rule, written apart from on_calendar."""
    values = dict((f, cron_values(schedule[f], f)) for f in ('minute', 'hour', 'day', 'month', 'weekday'))
    and_days = schedule['day'].startswith('*') or schedule['weekday'].startswith('*')
    found = []
    for offset in itertools.count(0):
        date = start + datetime.timedelta(days=offset)
        day, weekday = date.day in values['day'], (date.isoweekday() % 7) in values['weekday']
        if date.month not in values['month'] or not ((day and weekday) if and_days else (day or weekday)):
            continue
        for hour in values['hour']:
            for minute in values['minute']:
                found.append(date.replace(hour=hour, minute=minute).strftime('%Y-%m-%d %H:%M:%S'))
                if len(found) == count:
                    return found
    return found


@pytest.mark.skipif(not shutil.which('systemd-analyze'), reason='systemd-analyze is not installed')
@pytest.mark.parametrize('fields', [
    {}, {'minute': '*/20', 'hour': '*/6'}, {'weekday': '1-5', 'hour': '22'}, {'day': '1,15', 'weekday': 'sun'},
    {'day': '*/10', 'weekday': '3', 'month': '2-4'}, {'month': '*/5', 'day': '31'},
])
def test_systemd_fires_when_cron_would(fields):
    """systemd-analyze's next 40 elapses are exactly the next 40 minutes cron would fire at."""
    schedule = dict(DAILY)
    schedule.update(fields)
    want = _cron_times(schedule, datetime.datetime(2030, 1, 1), 40)
    got = set()
    for line in on_calendar(schedule):
        out = subprocess.run(['systemd-analyze', 'calendar', '--iterations=40', '--base-time=2029-12-31 23:59:30 UTC',
                              line], env={'TZ': 'UTC', 'LC_ALL': 'C'}, capture_output=True, text=True, check=True)
        for row in out.stdout.splitlines():
            if 'Next elapse:' in row or 'Iter. #' in row:
                got.add(' '.join(row.split(':', 1)[1].split()[1:3]))
    assert sorted(got)[:40] == want


def test_scheduler_choice():
    assert scheduler(True, '', 'systemd') == 'systemd'
    assert scheduler(True, '', 'sysvinit') == 'cron'
    assert scheduler(True, '', '') == 'cron'
    assert scheduler(True, 'cron', 'systemd') == 'cron'
    assert scheduler(True, 'systemd', 'sysvinit') == 'systemd'
    assert scheduler(False, 'systemd', 'systemd') == ''


def test_timer_of_a_profile_with_an_auto_minute():
    out = timer('docs', dict(DAILY, via='systemd'), True, 'sysvinit', True, ['/var/cache/duplicity', '/var/log/ob'])
    assert out == {
        'via': 'systemd', 'service': 'offsite-backup-docs.service', 'timer': 'offsite-backup-docs.timer',
        'calendar': ['*-*-* 03:00:00'], 'delay': '59min', 'nice': 19,
        'read_write_paths': ['/var/cache/duplicity', '/var/log/ob', '/run/lock', '-/root/.gnupg', '-/run/user/0'],
    }


def test_timer_with_a_fixed_minute_has_no_delay_and_extra_paths():
    out = timer('a.b', dict(DAILY, read_write_paths=['/srv/dumps', '/run/lock'], nice=5), True, 'systemd', False, [])
    assert (out['via'], out['timer'], out['calendar'], out['delay'], out['nice']) == (
        'systemd', 'offsite-backup-a.b.timer', ['*-*-* 03:17:00'], '0', 5)
    assert out['read_write_paths'] == ['/run/lock', '-/root/.gnupg', '-/run/user/0', '/srv/dumps']


def test_cron_profile_gets_no_calendar():
    out = timer('docs', DAILY, True, 'sysvinit', False, ['/x'])
    assert (out['via'], out['calendar'], out['read_write_paths']) == ('cron', [], [])


@pytest.mark.parametrize('fields, message', [
    ({'via': 'anacron'}, "P.schedule.via must be cron or systemd (or empty: systemd where it is PID 1), not 'anacron'"),
    ({'nice': 20}, "P.schedule.nice must be a number from -20 to 19, not '20'"),
    ({'nice': 'x'}, "P.schedule.nice must be a number from -20 to 19, not 'x'"),
    ({'read_write_paths': 'srv'}, 'P.schedule.read_write_paths must be a list of absolute paths'),
    ({'read_write_paths': ['srv']}, "P.schedule.read_write_paths: 'srv' is not an absolute path without spaces"),
    ({'hour': '25'}, "P.schedule.hour '25' is not a cron field: 25 is outside 0-23"),
])
def test_schedule_errors(fields, message):
    assert schedule_errors('P', dict(DAILY, **fields)) == [message]


def test_good_schedule_has_no_errors():
    assert schedule_errors('P', dict(DAILY, via='systemd', nice=-5, read_write_paths=['-/srv/x'])) == []
