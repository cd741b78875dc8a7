# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""offsite-backup status (module_utils/offsite_status.py): cron times, overdue, output."""

from __future__ import annotations

import io
import json
import os
import time

import pytest

from ansible_collections.offsite.backup.plugins.module_utils import offsite_status as status


def at(text):
    return time.mktime(time.strptime(text, '%Y-%m-%d %H:%M'))


def show(epoch):
    return time.strftime('%Y-%m-%d %H:%M %a', time.localtime(epoch))


@pytest.mark.parametrize('field, text, values', [
    ('minute', '*/15', {0, 15, 30, 45}),
    ('minute', '5', {5}),
    ('hour', '1-3,22', {1, 2, 3, 22}),
    ('hour', '2/10', {2, 12, 22}),
    ('weekday', '7', {0}),
    ('weekday', 'mon-fri', {1, 2, 3, 4, 5}),
    ('month', 'jan,dec', {1, 12}),
    ('day', '1-10/5', {1, 6}),
])
def test_parse_field(field, text, values):
    assert status.parse_field(field, text) == values


@pytest.mark.parametrize('field, text', [('minute', '60'), ('hour', '5-2'), ('day', '0'), ('month', 'foo'),
                                         ('minute', '*/0'), ('weekday', 'mon--fri')])
def test_parse_field_errors(field, text):
    with pytest.raises(status.ScheduleError, match='schedule.%s' % field):
        status.parse_field(field, text)


@pytest.mark.parametrize('fields, now, next_run, previous', [
    ({'minute': 5, 'hour': '3'}, '2026-12-02 11:00', '2026-12-03 03:05 Thu', '2026-12-02 03:05 Wed'),
    ({'minute': 5, 'hour': '3'}, '2026-12-02 03:05', '2026-12-03 03:05 Thu', '2026-12-02 03:05 Wed'),
    ({'minute': '0', 'hour': '4', 'weekday': '6'}, '2026-12-02 11:00', '2026-12-05 04:00 Sat', '2026-11-28 04:00 Sat'),
    # day and weekday both restricted: either one
    ({'minute': '0', 'hour': '0', 'day': '1', 'weekday': 'fri'}, '2026-12-02 11:00', '2026-12-04 00:00 Fri',
     '2026-12-01 00:00 Tue'),
    ({'minute': '30', 'hour': '*/12'}, '2026-12-02 11:00', '2026-12-02 12:30 Wed', '2026-12-02 00:30 Wed'),
    ({'minute': '0', 'hour': '0', 'day': '29', 'month': '2'}, '2026-12-02 11:00', '2028-02-29 00:00 Tue',
     '2024-02-29 00:00 Thu'),
])
def test_schedule_next_and_previous(fields, now, next_run, previous):
    schedule = status.Schedule(fields)
    assert show(schedule.next_after(at(now))) == next_run
    assert show(schedule.previous(at(now))) == previous


def test_overdue():
    daily = status.Schedule({'minute': 5, 'hour': '3'})
    now = at('2026-12-02 11:00')
    assert not status.overdue({'last_success': at('2026-12-02 03:40')}, daily, 6, 0, now)
    # today's 03:05 is less than 9 hours ago: yesterday's run counts until then
    assert not status.overdue({'last_success': at('2026-12-01 03:40')}, daily, 9, 0, now)
    assert status.overdue({'last_success': at('2026-12-01 03:40')}, daily, 6, 0, now)
    assert status.overdue({}, daily, 6, at('2026-11-01 10:00'), now)
    assert not status.overdue({}, daily, 6, at('2026-12-02 10:00'), now)
    assert not status.overdue({}, None, 6, 0, now)


@pytest.mark.parametrize('seconds, text', [(5, '5s'), (125, '2m'), (3 * 3600 + 300, '3h05m'), (2 * 86400 + 4 * 3600, '2d04h')])
def test_age(seconds, text):
    assert status.age(seconds) == text


def fake_host(tmp_path, states):
    """A config dir with profiles and a state dir; the loader main() is given."""
    config, state_dir = tmp_path / 'etc', tmp_path / 'state'
    state_dir.mkdir()
    for name, state in states.items():
        (config / name).mkdir(parents=True)
        (config / name / 'runner.json').write_text('{}')
        os.utime(str(config / name / 'runner.json'), (at('2026-12-01 10:00'), at('2026-12-01 10:00')))
        if state:
            (state_dir / (name + '.json')).write_text(json.dumps(state))

    def load(profile, config_dir):
        return ({'state_dir': str(state_dir), 'overdue_grace': 6, 'schedule': {'minute': 5, 'hour': '3'}},
                os.path.join(config_dir, profile))
    return str(config), load


def call(config, load, *argv, next_elapse=lambda timer: None):
    out, err = io.StringIO(), io.StringIO()
    code = status.main(list(argv), config, load, out=out, err=err, now=at('2026-12-02 11:00'), next_elapse=next_elapse)
    return code, out.getvalue(), err.getvalue()


def test_main_table_json_and_exit_codes(tmp_path):
    ok = {'start': at('2026-12-02 03:05'), 'end': at('2026-12-02 03:20'), 'exit_code': 0,
          'last_success': at('2026-12-02 03:20'), 'chains': 1, 'sets': 4}
    failed = dict(ok, exit_code=1, last_success=at('2026-11-28 03:20'))
    config, load = fake_host(tmp_path, {'docs': ok, 'music': failed, 'new': None})
    code, out, _err = call(config, load)
    lines = out.splitlines()
    assert code == 1
    assert lines[0].split() == ['PROFILE', 'LAST', 'RUN', 'RESULT', 'LAST', 'SUCCESS', 'NEXT', 'RUN', 'CHAINS']
    assert lines[1].split() == ['docs', '2026-12-02', '03:05', 'ok', '7h40m', 'ago', '2026-12-03', '03:05', '1']
    assert lines[2].split()[-1] == 'OVERDUE' and 'failed (exit 1)' in lines[2]
    assert lines[3].split()[:4] == ['new', '-', 'never', 'run'] and lines[3].endswith('OVERDUE')
    assert call(config, load, 'docs')[0] == 0
    code, out, _err = call(config, load, 'music', '--json')
    doc = json.loads(out)
    assert code == 1 and doc['overdue'] == ['music']
    assert doc['profiles'][0]['result'] == 'failed (exit 1)' and doc['profiles'][0]['schedule'] == '5 3 * * *'
    assert doc['profiles'][0]['next_run'] == at('2026-12-03 03:05')


def test_main_usage(tmp_path):
    config, load = fake_host(tmp_path, {'docs': None})
    assert call(config, load, 'nope')[0] == 2 and 'no such profile' in call(config, load, 'nope')[2]
    assert call(config, load, 'a', 'b')[0] == 2
    assert call(config, load, '--yaml')[0] == 2


def test_next_run_of_a_timer_comes_from_systemd(tmp_path):
    config, load = fake_host(tmp_path, {'docs': None})
    asked = []

    def next_elapse(timer):
        asked.append(timer)
        return at('2026-12-03 02:41')

    def timer_load(profile, config_dir):
        settings, directory = load(profile, config_dir)
        return dict(settings, timer='offsite-backup-%s.timer' % profile), directory
    doc = json.loads(call(config, timer_load, '--json', next_elapse=next_elapse)[1])['profiles'][0]
    assert asked == ['offsite-backup-docs.timer']
    assert doc['next_run'] == at('2026-12-03 02:41') and doc['next_run_from'] == 'systemd'
    doc = json.loads(call(config, load, '--json')[1])['profiles'][0]
    assert doc['next_run'] == at('2026-12-03 03:05') and doc['next_run_from'] == 'schedule'


def test_systemd_next_elapse_asks_systemctl(tmp_path, monkeypatch):
    (tmp_path / 'bin').mkdir()
    systemctl = tmp_path / 'bin' / 'systemctl'
    listing = [{'next': 1796180701123456, 'left': 5, 'last': None, 'passed': None,
                'unit': 'offsite-backup-docs.timer', 'activates': 'offsite-backup-docs.service'}]
    systemctl.write_text("#!/bin/sh\necho \"$*\" > '%s'\necho '%s'\n" % (tmp_path / 'argv', json.dumps(listing)))
    systemctl.chmod(0o755)
    monkeypatch.setenv('PATH', '%s:%s' % (tmp_path / 'bin', os.environ['PATH']))
    (tmp_path / 'systemd').mkdir()
    assert status.systemd_next_elapse('offsite-backup-docs.timer', str(tmp_path / 'systemd')) == 1796180701
    assert (tmp_path / 'argv').read_text().split() == ['list-timers', '--all', '--output=json', 'offsite-backup-docs.timer']
    assert status.systemd_next_elapse('offsite-backup-docs.timer', str(tmp_path / 'no-systemd')) is None
    assert status.systemd_next_elapse('', str(tmp_path / 'systemd')) is None
    assert status.systemd_next_elapse('offsite-backup-other.timer', str(tmp_path / 'systemd')) is None
    # a timer whose service is running has no next elapse yet; an old systemctl has no JSON
    listing[0]['next'] = None
    systemctl.write_text("#!/bin/sh\necho '%s'\n" % json.dumps(listing))
    assert status.systemd_next_elapse('offsite-backup-docs.timer', str(tmp_path / 'systemd')) is None
    systemctl.write_text('#!/bin/sh\necho "Unknown output \'json\'." >&2\nexit 1\n')
    assert status.systemd_next_elapse('offsite-backup-docs.timer', str(tmp_path / 'systemd')) is None
