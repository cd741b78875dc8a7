# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a backup host remembers of its runs, and the Prometheus textfile made from it.

After each run the runner folds the run into the profile's state
(``STATE_DIR/PROFILE.json``, :func:`record`) and writes, when a metrics directory is set,
``METRICS_DIR/offsite-backup-PROFILE.prom`` for node_exporter's textfile collector
(:func:`render`, written by :func:`write_atomic`: a temporary file renamed over the old
one, so the collector never reads half a file). ``offsite-backup status`` reads the
same state.

The state of a profile, and of each unit of a split profile under ``units``:

* ``start``, ``end`` (epoch seconds), ``exit_code``, ``duration`` of the last run;
* ``last_success``: the end of the last run whose backup succeeded (None: never); the
  run says so with ``backup_ok`` (default: exit code 0; the runner counts exit code 3,
  the report lost, as a backup that succeeded);
* ``uploaded_bytes`` and ``source_bytes`` of the last run (duplicity's statistics
  TotalDestinationSizeChange and SourceFileSize; None when it printed none);
* ``chains``, ``sets`` and ``last_full`` (epoch) after the last successful run, read from
  the file names in duplicity's local archive of the target (:func:`chain_info`), which
  duplicity has just brought in line with the bucket; kept from earlier runs while runs
  fail;
* profile only: ``report_sent``, whether the last report due reached sendmail.

A split profile's own ``uploaded_bytes``, ``source_bytes``, ``chains`` and ``sets`` are
its units' sums and its ``last_full`` the oldest of theirs.
Standard library only: the runner imports this file on backup hosts.
"""

from __future__ import annotations

import json
import os
import re
import tempfile

if __name__.startswith('ansible_collections.'):
    from ansible_collections.offsite.backup.plugins.module_utils import duplicity_names
else:  # on the host this file is a top-level module beside the others
    import duplicity_names  # pylint: disable=import-error

UPLOADED = re.compile(r'TotalDestinationSizeChange (-?[0-9]+)')
SOURCE = re.compile(r'SourceFileSize ([0-9]+)')
PREFIX = 'offsite_backup_'
STATE_KEYS = ('start', 'end', 'exit_code', 'duration', 'last_success', 'uploaded_bytes', 'source_bytes',
              'chains', 'sets', 'last_full')

# (state key, metric name without the prefix, help); the unit metrics add unit_ after the prefix.
METRICS = (
    ('start', 'last_run_start_timestamp_seconds', 'Start of the last run, seconds since the epoch.'),
    ('end', 'last_run_end_timestamp_seconds', 'End of the last run, seconds since the epoch.'),
    ('last_success', 'last_success_timestamp_seconds', 'End of the last run whose backup succeeded (exit 0 or 3).'),
    ('exit_code', 'last_run_exit_code', 'Exit code of the last run: 0 ok, 1 failed, 3 report not sent.'),
    ('duration', 'last_run_duration_seconds', 'Duration of the last run.'),
    ('uploaded_bytes', 'last_run_uploaded_bytes', 'Bytes the last run added to the target.'),
    ('source_bytes', 'source_size_bytes', 'Size of the source the last run read.'),
    ('chains', 'chains', 'Backup chains under the target after the last success.'),
    ('sets', 'backup_sets', 'Backup sets in those chains.'),
    ('last_full', 'last_full_timestamp_seconds', 'Time of the newest full backup, seconds since the epoch.'),
)
REPORT_METRIC = ('report_sent', 'last_report_sent',
                 '1 when the last report due reached sendmail, 0 when it did not.')


def last_number(pattern, lines):
    found = None
    for line in lines:
        match = pattern.search(line)
        if match:
            found = int(match.group(1))
    return found


def run_numbers(lines):
    """(uploaded bytes, source bytes) from duplicity's statistics in a run's output."""
    return last_number(UPLOADED, lines), last_number(SOURCE, lines)


def local_archive(archive_dir, target):
    """duply's local archive of target (a profile name or directory), as duply picks it.

    With ARCH_DIR set, duply passes ``--name duply_NAME`` when ARCH_DIR/duply_NAME exists
    and ``--name NAME`` otherwise, NAME being the profile directory's basename.
    """
    name = os.path.basename(target.rstrip('/'))
    prefixed = os.path.join(archive_dir, 'duply_' + name)
    return prefixed if os.path.isdir(prefixed) else os.path.join(archive_dir, name)


def chain_info(names):
    """chains, sets and last_full (epoch, None when no full) from a local archive's file names.

    A set counts once its manifest is complete; partial files (an interrupted run's) and
    incrementals that extend no chain are left out, as duplicity's collection-status
    leaves them out of its chains.
    """
    parsed = [duplicity_names.parse(name) for name in names]
    grouping = duplicity_names.group_sets(
        item for item in parsed if item is not None and not item.partial and item.category == 'manifest')
    fulls = [chain.full.end_time for chain in grouping.chains]
    return {'chains': len(grouping.chains), 'sets': sum(len(chain.sets) for chain in grouping.chains),
            'last_full': int(duplicity_names.time_to_datetime(max(fulls)).timestamp()) if fulls else None}


def _fold(previous, run):
    """One entry of the state (a profile's or a unit's) after run."""
    entry = {key: (previous or {}).get(key) for key in STATE_KEYS}
    entry.update(start=run['start'], end=run['end'], exit_code=run['exit_code'],
                 duration=int(run['end'] - run['start']),
                 uploaded_bytes=run.get('uploaded_bytes'), source_bytes=run.get('source_bytes'))
    if run.get('backup_ok', run['exit_code'] == 0):
        entry['last_success'] = run['end']
    if run.get('chain'):
        entry.update(run['chain'])
    return entry


def _total(values):
    values = [value for value in values if value is not None]
    return sum(values) if values else None


def record(previous, run):
    """The state after run, from the state before it (None: none yet).

    run: profile, host, start, end, exit_code, uploaded_bytes, source_bytes, chain (dict
    from chain_info, or None), report_sent (None when no report was due), and for split
    profiles units: a list of such dicts with name, for the units that ran.
    """
    previous = previous or {}
    units = dict(previous.get('units') or {})
    for unit in run.get('units') or []:
        units[unit['name']] = _fold(units.get(unit['name']), unit)
    state = _fold(previous, run)
    state.update(profile=run['profile'], host=run['host'], units=units,
                 report_sent=previous.get('report_sent') if run.get('report_sent') is None else run['report_sent'])
    if run.get('units') is not None:
        # A split profile: its numbers are its units'.
        ran = [units[unit['name']] for unit in run['units']]
        state['uploaded_bytes'] = _total(unit.get('uploaded_bytes') for unit in ran)
        state['source_bytes'] = _total(unit.get('source_bytes') for unit in ran)
        state['chains'] = _total(unit.get('chains') for unit in units.values())
        state['sets'] = _total(unit.get('sets') for unit in units.values())
        fulls = [unit['last_full'] for unit in units.values() if unit.get('last_full') is not None]
        state['last_full'] = min(fulls) if fulls else None
    return state


def read_state(path):
    """The state in path, or None when there is none (or it cannot be read as one)."""
    try:
        with open(path, encoding='utf-8') as handle:
            state = json.load(handle)
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def escape(value):
    """A label value as the text format quotes it."""
    return str(value).replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')


def _value(value):
    if isinstance(value, bool):
        return '1' if value else '0'
    return repr(float(value)) if isinstance(value, float) else str(int(value))


def gauge(name, text, samples):
    """The lines of one gauge family: HELP, TYPE and its (labels, value) samples that are not None."""
    samples = [(labels, value) for labels, value in samples if value is not None]
    if not samples:
        return []
    return (['# HELP %s%s %s' % (PREFIX, name, text), '# TYPE %s%s gauge' % (PREFIX, name)]
            + ['%s%s{%s} %s' % (PREFIX, name, labels, _value(value)) for labels, value in samples])


def render(state):
    """The Prometheus text exposition of a profile's state."""
    profile = escape(state['profile'])
    out = []

    def family(name, text, samples):
        out.extend(gauge(name, text, samples))

    for key, name, text in METRICS:
        family(name, text, [('profile="%s"' % profile, state.get(key))])
    key, name, text = REPORT_METRIC
    family(name, text, [('profile="%s"' % profile, state.get(key))])
    units = sorted((state.get('units') or {}).items())
    for key, name, text in METRICS:
        family('unit_' + name, 'Per unit of a split profile: ' + text[0].lower() + text[1:],
               [('profile="%s",unit="%s"' % (profile, escape(unit)), entry.get(key)) for unit, entry in units])
    return '\n'.join(out) + '\n'


def write_atomic(path, text, mode=0o644):
    """Replace path with text in one rename; the temporary file is not a *.prom."""
    directory = os.path.dirname(path) or '.'
    os.makedirs(directory, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=directory, prefix='.' + os.path.basename(path) + '.', suffix='.tmp')
    try:
        with os.fdopen(handle, 'w', encoding='utf-8') as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def state_path(state_dir, profile):
    return os.path.join(state_dir, profile + '.json')


def metrics_path(metrics_dir, profile):
    return os.path.join(metrics_dir, 'offsite-backup-%s.prom' % profile)
