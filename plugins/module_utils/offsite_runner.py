# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The runner of duply profiles on a backup host: one unattended run, as cron starts it.

``offsite-backup PROFILE`` (``roles/duply/files/offsite-backup.py``, a thin program
that imports this file) takes the profile's lock, tells the monitors the run starts
(``offsite_monitors``), checks its mount, runs its duply batch (or, for a split profile,
the batch of each unit, see ``duplicity_units``), appends the output with timestamps to
the profile's log, mails a report, pings the heartbeat URL on success, tells the
monitors how it ended, and records the run in the profile's state and Prometheus
textfile (``offsite_metrics``). ``offsite-backup status [PROFILE] [--json]`` reports on
the profiles (``offsite_status``). Standard library only: it runs with the host's
python3, installed by the duply role beside the modules it imports, as top-level
modules there.

Settings: ``CONFIG_DIR/PROFILE/runner.json`` (root, 0600: it may hold the heartbeat
URL and the monitors' URLs and tokens), the schema in :data:`SETTINGS`; CONFIG_DIR comes from ``offsite-backup.json``
beside this file (key ``config_dir``, default ``/etc/duply``).

Exit codes (:func:`final_code` composes them):

* 0  the backup succeeded and its report, if one was due, went to sendmail;
* 1  the backup failed: duply's batch failed (the runner passes on any code duply
  returns: 1, 255 when it cannot start, ...), ``require_mount`` was not mounted before
  the run (nothing is backed up) or after it, or a unit of a split profile failed;
* 2  usage error: no argument, more than one, no such profile or unreadable settings;
* 3  the backup succeeded, but its report could not be handed to sendmail; the log
  says "REPORT NOT SENT" and why. A failed backup keeps its code when its report is lost;
* 75 another run of the profile holds the lock (after ``lock_wait`` seconds).
"""

from __future__ import annotations

import email.policy
import fcntl
import json
import math
import os
import re
import socket
import shutil
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage

if __name__.startswith('ansible_collections.'):
    from ansible_collections.offsite.backup.plugins.module_utils import (
        duplicity_names, duplicity_units, offsite_drill, offsite_metrics, offsite_monitors, offsite_status,
        restore_estimate, restore_requests, restore_selection, s3_engine)
else:  # on the host this file is a top-level module beside the others
    import duplicity_names  # pylint: disable=import-error
    import restore_estimate  # pylint: disable=import-error
    import restore_requests  # pylint: disable=import-error
    import restore_selection  # pylint: disable=import-error
    import s3_engine  # pylint: disable=import-error
    import duplicity_units  # pylint: disable=import-error
    import offsite_drill  # pylint: disable=import-error
    import offsite_metrics  # pylint: disable=import-error
    import offsite_monitors  # pylint: disable=import-error
    import offsite_status  # pylint: disable=import-error

OK, FAILED, USAGE, REPORT_NOT_SENT, LOCKED = 0, 1, 2, 3, 75

SETTINGS_FILE = 'runner.json'
RUNNER_FILE = 'offsite-backup.json'
DEFAULT_CONFIG_DIR = '/etc/duply'

# name: (type, default); a default of None means the key is required.
SETTINGS = {
    'batch': (str, 'backup_verify_purge --force'),
    'mail': (str, 'always'),
    'mail_to': (str, 'root'),
    'lock_wait': (int, 0),
    'log_dir': (str, '/var/log/offsite-backup'),
    'lock_dir': (str, '/run/lock/offsite-backup'),
    'run_dir': (str, '/run/offsite-backup'),
    'host_label': (str, ''),
    'heartbeat_url': (str, ''),
    'require_mount': (str, ''),
    'sendmail': (str, '/usr/sbin/sendmail'),
    'split': (dict, {}),
    'monitors': (list, []),
    'monitor_timeout': (int, offsite_monitors.TIMEOUT),
    'state_dir': (str, '/var/lib/offsite-backup'),
    'archive_dir': (str, '/var/cache/duplicity'),
    'metrics_dir': (str, ''),
    'schedule': (dict, {}),
    'timer': (str, ''),
    'overdue_grace': (int, 6),
    'drill': (dict, {}),
}
SPLIT_SETTINGS = {
    'source': (str, None),
    'depth': (int, None),
    'order': (str, 'name'),
    'keep_going': (bool, True),
}
MAIL_CHOICES = ('always', 'failure', 'never')
ORDER_CHOICES = ('name', 'size')

TABLE_FORMAT = '%-32s %-12s %10s %10s %8s'
STATS_START = 'Backup Statistics'
STATS_END = re.compile(r'^[0-9: -]*-{20,}$')
STAMP = re.compile(r'^[0-9-]* [0-9:]* ')


class SettingsError(ValueError):
    """The settings file cannot be used; the message says what to fix."""


def _checked(data, schema, where):
    if not isinstance(data, dict):
        raise SettingsError('%s must be a JSON object' % where)
    unknown = sorted(set(data) - set(schema))
    if unknown:
        raise SettingsError('%s has unknown keys: %s' % (where, ', '.join(unknown)))
    out = {}
    for key, (kind, default) in schema.items():
        value = data.get(key, default)
        if value is None:
            raise SettingsError('%s needs %s' % (where, key))
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise SettingsError('%s: %s must be a %s, not %r' % (where, key, kind.__name__, value))
        out[key] = value
    return out


def parse_settings(data):
    """A profile's settings with defaults filled in; SettingsError names the bad key."""
    out = _checked(data, SETTINGS, 'the settings')
    if out['mail'] not in MAIL_CHOICES:
        raise SettingsError('the settings: mail must be one of %s, not %r' % (', '.join(MAIL_CHOICES), out['mail']))
    if out['lock_wait'] < 0:
        raise SettingsError('the settings: lock_wait must be 0 or more, not %d' % out['lock_wait'])
    if not out['batch'].split():
        raise SettingsError('the settings: batch is empty')
    problems = offsite_monitors.monitor_errors(out['monitors'], 'the settings: monitors')
    if problems:
        raise SettingsError('; '.join(problems))
    if out['monitor_timeout'] < 1:
        raise SettingsError('the settings: monitor_timeout must be 1 or more, not %d' % out['monitor_timeout'])
    if out['schedule']:
        try:
            offsite_status.Schedule(out['schedule'])
        except ValueError as exc:
            raise SettingsError('the settings: %s' % exc) from exc
    if out['split']:
        split = _checked(out['split'], SPLIT_SETTINGS, 'the settings\' split')
        if split['depth'] < 1:
            raise SettingsError('the settings: split.depth must be 1 or more, not %d' % split['depth'])
        if split['order'] not in ORDER_CHOICES:
            raise SettingsError('the settings: split.order must be name or size, not %r' % split['order'])
        out['split'] = split
    else:
        out['split'] = None
    if out['drill']:
        try:
            out['drill'] = offsite_drill.parse_settings(out['drill'])
        except ValueError as exc:
            raise SettingsError('the settings: %s' % exc) from exc
    else:
        out['drill'] = None
    return out


def valid_profile_name(name):
    return bool(name) and '/' not in name and name not in ('.', '..') and '\0' not in name


def iec(size):
    """Bytes as numfmt --to=iec prints them (rounded up: 1.1K, 12M, 1023)."""
    units = ['', 'K', 'M', 'G', 'T', 'P', 'E']
    value, index = float(size), 0
    while value >= 1024 and index < len(units) - 1:
        value, index = value / 1024, index + 1
    if index == 0:
        return '%d' % size
    if value < 10:
        value = math.ceil(value * 10) / 10
        if value < 10:
            return '%.1f%s' % (value, units[index])
    value = math.ceil(value)
    if value >= 1024 and index < len(units) - 1:
        return '1.0%s' % units[index + 1]
    return '%d%s' % (value, units[index])


def unit_result(code):
    return 'ok' if code == 0 else 'FAILED(%d)' % code


def table_row(name, result, size, uploaded=None, seconds=None):
    return TABLE_FORMAT % (name, result, iec(size), '-' if uploaded is None else iec(uploaded),
                           '-' if seconds is None else seconds)


def table_header():
    return TABLE_FORMAT % ('UNIT', 'RESULT', 'SIZE', 'UPLOADED', 'SECONDS')


def units_code(results):
    """The run's code from its units' codes: 1 when any failed (skipped ones are None)."""
    return FAILED if any(code not in (0, None) for code in results) else OK


def final_code(backup_code, mail_code=None, mail_missing=False, sendmail='/usr/sbin/sendmail'):
    """(exit code, REPORT NOT SENT message or None) from the backup's and sendmail's codes.

    mail_code is None when no report was due or sendmail took it.
    """
    if mail_code in (None, 0):
        return backup_code, None
    if mail_missing:
        msg = 'REPORT NOT SENT: %s is missing or not executable' % sendmail
    else:
        msg = 'REPORT NOT SENT: %s -t exited with code %d' % (sendmail, mail_code)
    if backup_code == OK:
        return REPORT_NOT_SENT, msg + '; the backup itself succeeded; exit code %d' % REPORT_NOT_SENT
    return backup_code, msg + '; the backup failed, exit code %d' % backup_code


def mail_due(mail, code):
    return mail == 'always' or (mail == 'failure' and code != OK)


def statistics(runlog):
    """duplicity's statistics blocks from the stamped lines of the run, stamps removed."""
    out, inside = [], False
    for line in runlog:
        if not inside and STATS_START in line:
            inside = True
        if inside:
            out.append(STAMP.sub('', line, count=1))
            if STATS_END.match(line):
                inside = False
    return out


def summary(profile, host, code, elapsed, what='Profile'):
    return '%s %s on %s: %s, exit code %d, %ds.' % (
        what, profile, host, 'succeeded' if code == OK else 'FAILED', code, elapsed)


def build_mail(profile, settings, code, start, elapsed, runlog, table=None, what='backup'):
    """The report: subject [ok]/[ERR] backup HOST/PROFILE @ START (drill for a drill), then
    the unit or file table, the result, duplicity's statistics and the log of this run."""
    host = settings['host_label']
    body = []
    if table is not None:
        body += table + ['']
    body += [summary(profile, host, code, elapsed, 'Profile' if what == 'backup' else 'Drill of profile'), '']
    stats = statistics(runlog)
    if stats:
        body += ['Statistics:'] + stats + ['']
    body += ['Log of this run:'] + list(runlog)
    msg = EmailMessage(policy=email.policy.default)
    msg['To'] = settings['mail_to']
    msg['Subject'] = '[%s] %s %s/%s @ %s' % ('ok' if code == OK else 'ERR', what, host, profile, start)
    msg['Auto-Submitted'] = 'auto-generated'
    msg.set_content('\n'.join(body) + '\n', charset='utf-8', cte='quoted-printable')
    return msg


def is_mountpoint(path, mountinfo='/proc/self/mountinfo'):
    """Like mountpoint -q: bind mounts count (os.path.ismount misses those on one filesystem)."""
    real = os.path.realpath(path)
    try:
        with open(mountinfo, 'rb') as handle:
            points = [line.split(b' ')[4] for line in handle if line.count(b' ') >= 4]
    except OSError:
        return os.path.ismount(real)
    decoded = {re.sub(rb'\\([0-7]{3})', lambda m: bytes([int(m.group(1), 8)]), p) for p in points}
    return os.fsencode(real) in decoded


def stamp(line):
    return '%s %s' % (time.strftime('%Y-%m-%d %H:%M:%S'), line)


class Run:
    """One run of a profile: its log, the lines of this run and the units' table."""

    def __init__(self, profile, settings, profile_dir):
        self.profile = profile
        self.settings = settings
        self.profile_dir = profile_dir
        self.log_path = os.path.join(settings['log_dir'], profile + '.log')
        self.runlog = []
        self.table = None
        self.units = None
        self.result = {}

    def _append(self, lines):
        with open(self.log_path, 'ab') as handle:
            handle.write(''.join(line + '\n' for line in lines).encode('utf-8', 'replace'))

    def log(self, text):
        """A line for the log and the report."""
        line = stamp(text)
        self._append([line])
        self.runlog.append(line)

    def note(self, text):
        """A line of the runner's for the log only."""
        self._append([stamp('offsite-backup %s: %s' % (self.profile, text))])

    def say(self, text):
        self.log('offsite-backup %s: %s' % (self.profile, text))

    def duply(self, target, command=None, echo=True):
        """Run duply TARGET BATCH (or COMMAND, a list), its output stamped into the log and the
        report unless echo is false; (code, lines)."""
        argv = ['duply', target] + (command or self.settings['batch'].split())
        lines = []
        try:
            # The host runs this without Ansible: no AnsibleModule.run_command here.
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,  # pylint: disable=ansible-bad-function
                                    stderr=subprocess.STDOUT)
        except OSError as exc:
            self.log('duply: %s' % (exc.strerror or exc))
            return 127, lines
        with proc:
            for raw in proc.stdout:
                line = raw.decode('utf-8', 'replace').rstrip('\n')
                lines.append(line)
                if echo:
                    self.log(line)
        code = proc.returncode
        return (128 - code if code < 0 else code), lines

    def backup_units(self):
        split = self.settings['split']
        try:
            units = duplicity_units.prepare(self.profile_dir, self.settings['run_dir'], split['source'],
                                            split['depth'], split['order'])
        except (OSError, ValueError) as exc:
            self.say('cannot split %s into units: %s' % (split['source'], exc))
            self.table = ['(no units: the source could not be split, see the log)']
            return FAILED
        self.table = [table_header()]
        self.units = []
        codes = []
        for unit in units:
            if units_code(codes) != OK and not split['keep_going']:
                codes.append(None)
                self.table.append(table_row(unit.label, 'skipped', unit.size))
                continue
            began = time.time()
            self.say('unit %s (%s): duply %s %s' % (unit.label, unit.slug, unit.profile_dir, self.settings['batch']))
            code, lines = self.duply(unit.profile_dir)
            codes.append(code)
            done = self.outcome(unit.profile_dir, code, lines, began)
            done.update(name=unit.label, size=unit.size)
            self.units.append(done)
            self.table.append(table_row(unit.label, unit_result(code), unit.size, done['uploaded_bytes'],
                                        int(done['end'] - began)))
        return units_code(codes)

    def outcome(self, target, code, lines, began):
        """A duply run's record for the state: times, code, statistics, chains after a success."""
        uploaded, source = offsite_metrics.run_numbers(lines)
        return {'start': began, 'end': time.time(), 'exit_code': code, 'uploaded_bytes': uploaded,
                'source_bytes': source, 'chain': self.chains(target) if code == OK else None}

    def chains(self, target):
        """The chains under target after a successful run, from duplicity's local archive, or None."""
        path = offsite_metrics.local_archive(self.settings['archive_dir'], target)
        try:
            names = os.listdir(path)
        except OSError as exc:
            self.note('cannot read the local archive %s: %s: chain metrics kept from before'
                      % (path, exc.strerror or exc))
            return None
        info = offsite_metrics.chain_info(names)
        self.note('%s: %d chain(s), %d backup set(s)' % (os.path.basename(target), info['chains'], info['sets']))
        return info

    def backup(self):
        """The backup itself, with the mount checks; its exit code."""
        settings, mount = self.settings, self.settings['require_mount']
        if mount and not is_mountpoint(mount):
            # An absent mount looks like an empty source: backing it up would record every
            # file as deleted. The chain is left as it is for the next run.
            self.say('%s is not mounted: no backup this run, the chain is left as it is' % mount)
            return FAILED
        if settings['split']:
            split = settings['split']
            self.say('start on %s: %s for each unit of %s at depth %d'
                     % (settings['host_label'], settings['batch'], split['source'], split['depth']))
            code = self.backup_units()
            for row in self.table:
                self.log(row)
        else:
            self.say('start on %s: duply %s %s' % (settings['host_label'], self.profile, settings['batch']))
            began = time.time()
            code, lines = self.duply(self.profile)
            self.result = self.outcome(self.profile, code, lines, began)
        if mount and code == OK and not is_mountpoint(mount):
            # duplicity takes files that vanish under it for deleted ones and still succeeds.
            self.say('%s went away during the run: this backup misses what was not read by then; '
                     'the next run with it mounted completes it' % mount)
            code = FAILED
        return code

    def heartbeat(self):
        # The URL is a credential of sorts: send() never puts it in the reason it gives.
        _tries, why = offsite_monitors.send(self.settings['heartbeat_url'], {}, None, attempts=1, timeout=15,
                                            method='GET')
        if why is not None:
            self.note('heartbeat ping failed: %s (the backup itself succeeded)' % why)

    def send(self, msg):
        """Hand the report to sendmail -t; (sendmail's code or None when it took it, missing)."""
        sendmail = self.settings['sendmail']
        try:
            proc = subprocess.run([sendmail, '-t'], input=msg.as_bytes(),  # pylint: disable=ansible-bad-function
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
        except OSError as exc:
            self._append([stamp('%s: %s' % (sendmail, exc.strerror or exc))])
            return 127, True
        if proc.returncode == 0:
            return None, False
        output = proc.stdout.decode('utf-8', 'replace').splitlines()
        self._append([stamp(line) for line in output])
        return proc.returncode, not os.access(sendmail, os.X_OK)


def tell(text):
    """A line on stderr, for whoever started the run (cron mails it to root)."""
    sys.stderr.write(text + '\n')


def take_lock(path, wait):
    """The open lock file, locked, or None when another process holds it after wait seconds."""
    handle = open(path, 'a')  # pylint: disable=consider-using-with
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            left = deadline - time.monotonic()
            if left <= 0:
                handle.close()
                return None
            time.sleep(min(0.1, left))


def read_config_dir(lib_dir):
    path = os.path.join(lib_dir, RUNNER_FILE)
    try:
        with open(path, encoding='utf-8') as handle:
            return json.load(handle).get('config_dir', DEFAULT_CONFIG_DIR)
    except FileNotFoundError:
        return DEFAULT_CONFIG_DIR


def load(profile, config_dir):
    """(settings, profile directory) or raise SettingsError / OSError."""
    profile_dir = os.path.join(config_dir, profile)
    path = os.path.join(profile_dir, SETTINGS_FILE)
    try:
        with open(path, encoding='utf-8') as handle:
            data = json.load(handle)
    except json.JSONDecodeError as exc:
        raise SettingsError('%s is no JSON: %s' % (path, exc)) from exc
    settings = parse_settings(data)
    if not settings['host_label']:
        settings['host_label'] = socket.gethostname()
    return settings, profile_dir


def monitor_run(run, began):
    """What the monitors are told about the run so far."""
    return {'profile': run.profile, 'host': run.settings['host_label'], 'start': int(began)}


def finish(run, began, code, report_sent, lost):
    """Tell the monitors how the run ended, then record it in the state and the metrics."""
    settings, ended = run.settings, time.time()
    path = offsite_metrics.state_path(settings['state_dir'], run.profile)
    state = offsite_metrics.record(offsite_metrics.read_state(path), dict(
        run.result, profile=run.profile, host=settings['host_label'], start=began, end=ended, exit_code=code,
        backup_ok=code in (OK, REPORT_NOT_SENT), report_sent=report_sent, units=run.units))
    info = monitor_run(run, began)
    info.update(exit_code=code, duration=state['duration'], uploaded=state['uploaded_bytes'],
                units=[{'name': unit['name'], 'exit_code': unit['exit_code'], 'size': unit['size'],
                        'uploaded_bytes': unit['uploaded_bytes'], 'seconds': int(unit['end'] - unit['start'])}
                       for unit in run.units or []],
                summary=summary(run.profile, settings['host_label'], code, state['duration']) + (
                    ' ' + lost if lost else ''),
                log=run.runlog + ([stamp('offsite-backup %s: %s' % (run.profile, lost))] if lost else []))
    offsite_monitors.notify(settings['monitors'], 'success' if code == OK else 'failure', info, run.note,
                            timeout=settings['monitor_timeout'])
    try:
        offsite_metrics.write_atomic(path, json.dumps(state, indent=2, sort_keys=True) + '\n', mode=0o600)
        if settings['metrics_dir']:
            offsite_metrics.write_atomic(offsite_metrics.metrics_path(settings['metrics_dir'], run.profile),
                                         offsite_metrics.render(state))
    except OSError as exc:
        run.note('cannot record the run in %s or the metrics: %s' % (settings['state_dir'], exc))
        tell('offsite-backup %s: cannot record the run: %s' % (run.profile, exc))


AWS_VARIABLE = re.compile(r'^AWS_[A-Z0-9_]+$')


def profile_environment(profile_dir):
    """The AWS_* variables the profile's conf exports (its credentials), as duply sees them.

    bash reads the conf as duply does; the values travel through a pipe, never through
    arguments, and only AWS_* ones are kept.
    """
    conf = os.path.join(profile_dir, 'conf')
    proc = subprocess.run(['bash', '-c', 'set -a; . "$1" >/dev/null 2>&1 || exit 3; env -0', 'conf', conf],  # pylint: disable=ansible-bad-function
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    if proc.returncode != 0:
        raise OSError('cannot read %s (bash exited with %d)' % (conf, proc.returncode))
    pairs = (item.split(b'=', 1) for item in proc.stdout.split(b'\0') if b'=' in item)
    return dict((name.decode(), value.decode('utf-8', 'replace')) for name, value in pairs
                if AWS_VARIABLE.match(name.decode('ascii', 'replace')))


def s3_client(drill, environment):
    """A boto3 S3 client for the drill's bucket, with the profile's credentials."""
    import boto3  # pylint: disable=import-outside-toplevel,import-error
    from botocore.config import Config  # pylint: disable=import-outside-toplevel,import-error
    os.environ.update(environment)
    if drill['endpoint_url']:
        os.environ.setdefault('AWS_REQUEST_CHECKSUM_CALCULATION', 'when_required')
        os.environ.setdefault('AWS_RESPONSE_CHECKSUM_VALIDATION', 'when_required')
    return boto3.client('s3', endpoint_url=drill['endpoint_url'] or None, region_name=drill['region'] or None,
                        config=Config(retries={'mode': 'standard', 'max_attempts': 5}))


def drill_metrics_path(metrics_dir, profile):
    return os.path.join(metrics_dir, 'offsite-drill-%s.prom' % profile)


FETCH_ERROR = re.compile(r'Invalid data|Error|Exception|not found', re.I)


def fetch_error(lines):
    """': ' and duplicity's first error line (with the next when it ends in ':'), or ''."""
    for index, line in enumerate(lines):
        if FETCH_ERROR.search(line):
            text = line.strip()
            if text.endswith(':') and index + 1 < len(lines):
                text += ' ' + lines[index + 1].strip()
            return ': ' + text
    return ''


class DrillFailed(Exception):
    """The drill cannot go on; the message says why."""


class Drill:
    """One restore drill of a profile (offsite_drill decides, this does the I/O)."""

    def __init__(self, run, dry_run=False, rng=None):
        self.run = run
        self.settings = run.settings
        self.drill = run.settings['drill']
        self.dry_run = dry_run
        self.rng = rng or __import__('random').SystemRandom()
        self.state_path = offsite_drill.state_path(self.settings['state_dir'], run.profile)
        self.state = offsite_metrics.read_state(self.state_path) or {}
        self.table = None
        self.result = {}

    def say(self, text):
        self.run.say('drill: ' + text)

    def targets(self):
        """What the drill reads: [(id prefix, duply target, bucket folder, source)]; a split
        profile has one per unit, as the backup made them."""
        folder = restore_selection.normalise_prefix(self.drill['prefix'])
        split = self.settings['split']
        if not split:
            return [('', self.run.profile, folder, self.drill['source'])]
        try:
            units = duplicity_units.prepare(self.run.profile_dir, self.settings['run_dir'], split['source'],
                                            split['depth'], split['order'])
        except (OSError, ValueError) as exc:
            raise DrillFailed('cannot split %s into units: %s' % (split['source'], exc)) from exc
        return [(unit.label + ': ', unit.profile_dir, folder + unit.slug + '/', unit.source) for unit in units]

    def bucket_view(self, client):
        """(objects, states, inventory) of everything under the profile's prefix."""
        drill = self.drill
        folder = restore_selection.normalise_prefix(drill['prefix'])
        try:
            entries = restore_requests.list_objects(client, drill['bucket'], folder)
        except s3_engine.ListingError as exc:
            raise DrillFailed('cannot list s3://%s/%s: %s' % (drill['bucket'], folder, exc)) from exc
        inventory = restore_selection.inventory(entries)
        mine = [entry for key, entry in inventory.objects.items() if key not in inventory.other]
        states, dummy = restore_requests.classify_all(client, drill['bucket'], mine)
        return inventory.objects, states, inventory

    def manifests(self, target, chain):
        """{set key: parse_manifest() or why not} for the chain's sets, from duply's local archive."""
        archive = offsite_metrics.local_archive(self.settings['archive_dir'], target)
        local = {}
        try:
            names = os.listdir(archive)
        except OSError as exc:
            names = []
            self.say('cannot read the local archive %s: %s' % (archive, exc.strerror or exc))
        for name in names:
            parsed = duplicity_names.parse(name)
            if parsed is not None and parsed.category == 'manifest' and not parsed.partial and parsed.encoding is None:
                local[parsed.set_key] = os.path.join(archive, name)
        out = {}
        for backup_set in chain.sets:
            path = local.get(backup_set.key)
            if path is None:
                out[backup_set.key] = 'not in the local archive %s' % archive
                continue
            try:
                with open(path, 'rb') as handle:
                    out[backup_set.key] = offsite_drill.parse_manifest(handle.read())
            except (OSError, ValueError) as exc:
                out[backup_set.key] = '%s: %s' % (os.path.basename(path), exc)
        return out

    def candidates(self, inventory, states):
        """{file id: (duply target, path, source path, volume keys)} of every target's latest chain.

        Raises DrillFailed with every problem of the chains' metadata.
        """
        out, problems = {}, []
        for tag, target, folder, source in self.targets():
            grouping = inventory.groupings.get(folder)
            if grouping is None:
                problems.append('no duplicity backup under s3://%s/%s' % (self.drill['bucket'], folder))
                continue
            found = offsite_drill.check_chain(grouping, states, None, folder)
            if found:
                problems.extend(found)
                continue
            code, lines = self.run.duply(target, ['list'], echo=False)
            if code != 0:
                for line in lines[-20:]:
                    self.run.log(line)
                problems.append('duply list of %s exited with %d' % (folder, code))
                continue
            chain = offsite_drill.latest_chain(grouping)
            manifests = self.manifests(target, chain)
            found = offsite_drill.check_chain(grouping, states, manifests, folder)
            if found:
                problems.extend(found)
                continue
            sets = offsite_drill.chain_sets(chain)
            count = 0
            for path in offsite_drill.leaves(offsite_drill.listed_paths(lines)):
                full = os.path.join(source, path)
                keys = offsite_drill.needed_volumes(sets, manifests, path)
                # Empty directories prove little: leave out what is a directory in the source now.
                if keys and not (os.path.isdir(full) and not os.path.islink(full)):
                    out[tag + path] = (target, path, full, keys)
                    count += 1
            self.say('%s: chain of %s, %d set(s), metadata readable and complete; %d file(s) listed' % (
                folder, chain.full.end_time, len(sets), count))
        if problems:
            raise DrillFailed('the chain cannot be restored: ' + '; '.join(problems))
        return out

    def request(self, client, keys, states, objects):
        """RestoreObject for keys at the drill's tier; raises DrillFailed when one is refused."""
        drill = self.drill
        outcomes = restore_requests.restore_objects(
            client, drill['bucket'], [(key, states[key]['archive_tier']) for key in keys], drill['days'], drill['tier'])
        failed = sorted('%s: %s' % (key, why) for key, (outcome, why) in outcomes.items() if outcome == 'failed')
        if failed:
            raise DrillFailed('S3 refused to restore %d object(s): %s' % (len(failed), '; '.join(failed[:3])))
        self.say('requested %d archived volume(s), %s, at the %s tier for %d day(s)' % (
            len(keys), iec(sum(objects[key]['size'] for key in keys)), drill['tier'], drill['days']))

    def sample(self, client, objects, states, files):
        """The file ids to restore now, or None when the drill waits for restores."""
        drill = self.drill
        needs = dict((name, entry[3]) for name, entry in files.items())
        pending = self.state.get('pending')
        if pending:
            chosen = [name for name in pending['files'] if name in needs]
            keys = sorted(set(key for name in chosen for key in needs[name]))
            waiting = [key for key in keys if states[key]['state'] == 'restore_in_progress']
            archived = [key for key in keys if states[key]['state'] == 'archived']
            since = time.strftime('%Y-%m-%d %H:%M', time.localtime(pending['since']))
            if chosen and waiting:
                self.say('pending since %s: %d of %d volume(s) are still being restored' % (since, len(waiting), len(keys)))
                return None
            if chosen and archived and not self.dry_run:
                self.say('pending: %d volume(s) are archived again; requesting them again' % len(archived))
                self.request(client, archived, states, objects)
                return None
            if chosen:
                self.say('the %d file(s) requested on %s are readable now' % (len(chosen), since))
                self.result.update(cost_usd=pending.get('cost_usd', 0.0))
                return chosen
        choice = offsite_drill.choose(sorted(needs), needs, objects, states, drill, self.rng)
        self.say('sample: %d of %d file(s); reading %s of volumes; %d archived volume(s) (%s) to restore, '
                 'estimated $%.6f at the %s tier (budget: %d files, %s, $%.2f; prices %s, %s)' % (
                     len(choice.files), len(needs), iec(choice.read_bytes), len(choice.request),
                     iec(choice.request_bytes), choice.cost_usd, drill['tier'], drill['files'],
                     iec(drill['max_bytes']), drill['max_cost_usd'], restore_estimate.PRICES_AS_OF,
                     restore_estimate.PRICE_REGION))
        if self.dry_run:
            for name in choice.files:
                archived = [key for key in needs[name] if states[key]['state'] not in offsite_drill.READABLE]
                tell('would check %s (%s)' % (name, 'needs %d archived volume(s)' % len(archived) if archived else 'readable now'))
            for why in choice.skipped[:10]:
                tell('left out %s' % why)
            return None
        if not choice.files:
            raise DrillFailed('no file fits the budget, nothing was requested: %s' % (
                '; '.join(choice.skipped[:3]) or 'the backup lists no file'))
        if choice.request:
            self.request(client, list(choice.request), states, objects)
            self.state['pending'] = {'since': time.time(), 'files': list(choice.files), 'keys': list(choice.request),
                                     'cost_usd': choice.cost_usd}
            self.say('pending: the drill finishes on a run after the volumes are restored')
            return None
        self.result.update(cost_usd=0.0)
        return list(choice.files)

    def restore(self, files, chosen):
        """Restore each chosen file into a private directory and compare it; the failures."""
        failures = []
        self.table = ['%-8s %s' % ('RESULT', 'FILE')]
        checked = size = 0
        tmp = tempfile.mkdtemp(prefix='offsite-drill-', dir=self.settings['run_dir'])
        try:
            for index, name in enumerate(chosen):
                target, path, source, dummy = files[name]
                restored = os.path.join(tmp, str(index))
                code, lines = self.run.duply(target, ['fetch', path, restored], echo=False)
                if code != 0:
                    for line in lines[-20:]:
                        self.run.log(line)
                    verdict, detail = 'FAILED', 'duply fetch exited with %d%s' % (code, fetch_error(lines))
                else:
                    verdict, detail = offsite_drill.compare(source, restored)
                if verdict in ('ok', 'changed'):
                    checked += 1
                    try:
                        size += os.lstat(restored).st_size
                    except OSError:
                        pass
                else:
                    failures.append('%s: %s' % (name, detail))
                self.table.append('%-8s %s (%s)' % (verdict, name, detail))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self.result.update(files=checked, bytes=size)
        return failures

    def go(self):
        """The drill; its exit code (OK for a pass), or None while it waits for restores."""
        try:
            environment = profile_environment(self.run.profile_dir)
            client = s3_client(self.drill, environment)
        except ImportError:
            raise DrillFailed('boto3 is missing: install python3-boto3') from None
        objects, states, inventory = self.bucket_view(client)
        files = self.candidates(inventory, states)
        chosen = self.sample(client, objects, states, files)
        if chosen is None:
            return None
        failures = self.restore(files, chosen)
        for line in self.table:
            self.run.log(line)
        if failures:
            raise DrillFailed('%d of %d file(s) did not restore as backed up: %s' % (
                len(failures), len(chosen), '; '.join(failures[:5])))
        return OK

    def record(self, code, began):
        """The drill's state and metrics; pending stays until a drill finishes."""
        ended = time.time()
        if code is not None:
            self.state.pop('pending', None)
            self.state.update(last_end=ended, last_ok=code == OK, last_code=code, files=self.result.get('files', 0),
                              bytes=self.result.get('bytes', 0))
            if 'cost_usd' in self.result:
                self.state['cost_usd'] = self.result['cost_usd']
            if code == OK:
                self.state['last_success'] = ended
        self.state['last_start'] = began
        try:
            offsite_metrics.write_atomic(self.state_path, json.dumps(self.state, indent=2, sort_keys=True) + '\n',
                                         mode=0o600)
            if self.settings['metrics_dir']:
                offsite_metrics.write_atomic(drill_metrics_path(self.settings['metrics_dir'], self.run.profile),
                                             offsite_drill.render_metrics(self.run.profile, self.state))
        except OSError as exc:
            self.run.note('cannot record the drill: %s' % exc)


def drill(run, dry_run=False):
    """A drill of run's profile under the lock the caller holds: report, record; its exit code."""
    settings, profile = run.settings, run.profile
    start, began = time.strftime('%Y-%m-%d %H:%M'), time.time()
    run.runlog = []
    one = Drill(run, dry_run)
    one.say('start on %s%s' % (settings['host_label'], ' (dry run: nothing is requested or restored)' if dry_run else ''))
    try:
        code = one.go()
    except DrillFailed as exc:
        one.say('FAILED: %s' % exc)
        code = FAILED
    except (OSError, ValueError, RuntimeError) as exc:
        one.say('FAILED: %s: %s' % (type(exc).__name__, exc))
        code = FAILED
    if dry_run:
        return OK if code is None else code
    elapsed = int(time.time() - began)
    if code is None:
        one.record(None, began)
        tell('offsite-backup drill %s: pending, see %s' % (profile, run.log_path))
        return OK
    one.say('end, exit code %d after %ds' % (code, elapsed))
    mail_code, missing = None, False
    if mail_due(settings['mail'], code):
        mail_code, missing = run.send(build_mail(profile, settings, code, start, elapsed, run.runlog, one.table,
                                                 what='drill'))
    code, lost = final_code(code, mail_code, missing, settings['sendmail'])
    if lost:
        run.note(lost)
    if code != OK:
        info = monitor_run(run, began)
        info.update(what='drill', exit_code=code, duration=elapsed, log=run.runlog,
                    summary=summary(profile, settings['host_label'], code, elapsed, 'Drill of profile'))
        # Heartbeat checks (healthchecks) follow the backups; a drill only alerts.
        offsite_monitors.notify([m for m in settings['monitors'] if m['kind'] != 'healthchecks'], 'failure', info,
                                run.note, timeout=settings['monitor_timeout'])
    one.record(code, began)
    tell('offsite-backup drill %s: %s' % (profile, 'passed' if code == OK else 'FAILED, see %s' % run.log_path))
    return code


def main(argv, lib_dir):
    """One run of the profile argv names, or the status command; the exit code."""
    os.umask(0o077)
    if argv[:1] == ['status']:
        return offsite_status.main(argv[1:], read_config_dir(lib_dir), load)
    command, dry_run = None, False
    if argv[:1] == ['drill']:
        command, argv = 'drill', argv[1:]
        dry_run = '--dry-run' in argv
        argv = [arg for arg in argv if arg != '--dry-run']
    if len(argv) != 1 or not valid_profile_name(argv[0]):
        tell('usage: offsite-backup PROFILE | offsite-backup drill PROFILE [--dry-run] | '
             'offsite-backup status [PROFILE] [--json]')
        return USAGE
    profile = argv[0]
    try:
        settings, profile_dir = load(profile, read_config_dir(lib_dir))
    except FileNotFoundError as exc:
        tell("offsite-backup: no such profile '%s' (%s is missing)" % (profile, exc.filename))
        return USAGE
    except (OSError, ValueError) as exc:
        tell('offsite-backup: profile %s: %s' % (profile, exc))
        return USAGE
    if command == 'drill' and not settings['drill']:
        tell('offsite-backup: profile %s has no drill settings (set its drill in the duply role)' % profile)
        return USAGE
    for path in (settings['log_dir'], settings['lock_dir']):
        os.makedirs(path, exist_ok=True)
    if command == 'drill':
        os.makedirs(settings['run_dir'], exist_ok=True)
    run = Run(profile, settings, profile_dir)
    lock_path = os.path.join(settings['lock_dir'], profile + '.lock')
    lock = take_lock(lock_path, settings['lock_wait'])
    if lock is None:
        msg = 'another run of profile %s holds %s; gave up after %ds' % (profile, lock_path, settings['lock_wait'])
        run.note(msg)
        tell('offsite-backup: %s' % msg)
        return LOCKED
    with lock:
        if command == 'drill':
            return drill(run, dry_run)
        start = time.strftime('%Y-%m-%d %H:%M')
        began = time.time()
        offsite_monitors.notify(settings['monitors'], 'start', monitor_run(run, began), run.note,
                                timeout=settings['monitor_timeout'])
        code = run.backup()
        elapsed = int(time.time() - began)
        run.say('end, exit code %d after %ds' % (code, elapsed))
        if code == OK and settings['heartbeat_url']:
            run.heartbeat()
        mail_code, missing, report_sent = None, False, None
        if mail_due(settings['mail'], code):
            msg = build_mail(profile, settings, code, start, elapsed, run.runlog, run.table)
            mail_code, missing = run.send(msg)
            report_sent = mail_code is None
        code, lost = final_code(code, mail_code, missing, settings['sendmail'])
        if lost:
            run.note(lost)
            tell('offsite-backup %s: %s' % (profile, lost))
        finish(run, began, code, report_sent, lost)
        # A due drill follows a successful backup under the same lock: never during one.
        if settings['drill'] and code == OK and offsite_drill.due(
                offsite_metrics.read_state(offsite_drill.state_path(settings['state_dir'], profile)) or {},
                settings['drill']['every_days'], time.time()):
            os.makedirs(settings['run_dir'], exist_ok=True)
            drill(run)
    return code
