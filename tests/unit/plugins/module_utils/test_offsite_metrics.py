# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The state of runs and the Prometheus textfile (module_utils/offsite_metrics.py)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.offsite.backup.plugins.module_utils import offsite_metrics as metrics

parser = pytest.importorskip('prometheus_client.parser')

# duply's local archive after a full and an incremental, an older chain and what an
# interrupted run left: only complete manifests make sets.
ARCHIVE = [
    'duplicity-full.20261102T030500Z.manifest',
    'duplicity-full-signatures.20261102T030500Z.sigtar.gz',
    'duplicity-full.20261202T030501Z.manifest',
    'duplicity-full-signatures.20261202T030501Z.sigtar.gz',
    'duplicity-inc.20261202T030501Z.to.20261203T030512Z.manifest',
    'duplicity-new-signatures.20261202T030501Z.to.20261203T030512Z.sigtar.gz',
    'duplicity-inc.20261203T030512Z.to.20261204T030500Z.manifest.part',
    'duplicity-inc.20261203T030512Z.to.20261204T030500Z.vol1.difftar.gpg.part',
    'lockfile',
]


def test_chain_info_counts_chains_sets_and_the_newest_full():
    info = metrics.chain_info(ARCHIVE)
    assert info == {'chains': 2, 'sets': 3, 'last_full': 1796180701}
    assert metrics.chain_info(['lockfile']) == {'chains': 0, 'sets': 0, 'last_full': None}


def test_local_archive_follows_duply(tmp_path):
    assert metrics.local_archive(str(tmp_path), '/etc/duply/photos') == str(tmp_path / 'photos')
    (tmp_path / 'duply_photos').mkdir()
    assert metrics.local_archive(str(tmp_path), 'photos') == str(tmp_path / 'duply_photos')
    assert metrics.local_archive(str(tmp_path), '/run/offsite-backup/photos/') == str(tmp_path / 'duply_photos')


def test_run_numbers():
    lines = ['SourceFileSize 400 (400 B)', 'TotalDestinationSizeChange 5 (5 b)', 'TotalDestinationSizeChange 7 (7 b)']
    assert metrics.run_numbers(lines) == (7, 400)
    assert metrics.run_numbers(['nothing']) == (None, None)


def run(start, code, **extra):
    data = {'profile': 'photos', 'host': 'pi', 'start': start, 'end': start + 10, 'exit_code': code,
            'uploaded_bytes': 50, 'source_bytes': 900, 'chain': None, 'report_sent': True}
    data.update(extra)
    return data


def test_record_success_then_failure_keeps_the_success_and_chains():
    first = metrics.record(None, run(100, 0, chain={'chains': 1, 'sets': 1, 'last_full': 100}))
    assert first['last_success'] == 110 and first['chains'] == 1 and first['duration'] == 10
    second = metrics.record(first, run(200, 1, uploaded_bytes=None, report_sent=None))
    assert second['exit_code'] == 1 and second['last_success'] == 110 and second['start'] == 200
    assert second['chains'] == 1 and second['last_full'] == 100 and second['uploaded_bytes'] is None
    assert second['report_sent'] is True
    lost = metrics.record(second, run(300, 3, backup_ok=True, report_sent=False))
    assert lost['last_success'] == 310 and lost['report_sent'] is False


def test_record_split_sums_units():
    units = [dict(run(100, 0, chain={'chains': 1, 'sets': 2, 'last_full': 50}), name='a'),
             dict(run(111, 1, uploaded_bytes=None, source_bytes=5), name='b')]
    state = metrics.record(None, run(100, 1, units=units, uploaded_bytes=None, source_bytes=None))
    assert state['units']['a']['last_success'] == 110 and state['units']['b']['last_success'] is None
    assert state['uploaded_bytes'] == 50 and state['source_bytes'] == 905
    assert state['chains'] == 1 and state['sets'] == 2 and state['last_full'] == 50
    unit_b = dict(run(200, 0, chain={'chains': 1, 'sets': 1, 'last_full': 200}), name='b')
    again = metrics.record(state, run(200, 0, units=[unit_b]))
    assert again['units']['a']['start'] == 100 and again['chains'] == 2 and again['sets'] == 3 and again['last_full'] == 50


def test_render_parses_with_prometheus_client():
    units = [dict(run(100, 0, chain={'chains': 1, 'sets': 2, 'last_full': 50}), name='a "q"\\b')]
    state = metrics.record(None, run(100, 0, units=units, report_sent=False))
    families = {f.name: f for f in parser.text_string_to_metric_families(metrics.render(state))}
    assert all(f.type == 'gauge' for f in families.values())
    value = dict((s.name, s.value) for f in families.values() for s in f.samples if 'unit' not in s.labels)
    assert value['offsite_backup_last_run_exit_code'] == 0
    assert value['offsite_backup_last_success_timestamp_seconds'] == 110
    assert value['offsite_backup_last_run_uploaded_bytes'] == 50
    assert value['offsite_backup_last_report_sent'] == 0
    unit = families['offsite_backup_unit_backup_sets'].samples[0]
    assert unit.labels == {'profile': 'photos', 'unit': 'a "q"\\b'} and unit.value == 2
    assert 'offsite_backup_unit_last_report_sent' not in families


def test_never_known_values_are_left_out():
    state = metrics.record(None, run(100, 1, uploaded_bytes=None, source_bytes=None, report_sent=None))
    text = metrics.render(state)
    assert 'last_success' not in text and 'chains' not in text and 'report_sent' not in text
    assert 'offsite_backup_last_run_exit_code{profile="photos"} 1' in text


def test_write_atomic(tmp_path):
    path = str(tmp_path / 'm' / 'x.prom')
    old = os.umask(0o077)
    try:
        metrics.write_atomic(path, 'a\n')
        metrics.write_atomic(path, 'b\n')
    finally:
        os.umask(old)
    assert open(path).read() == 'b\n' and os.stat(path).st_mode & 0o777 == 0o644
    assert os.listdir(str(tmp_path / 'm')) == ['x.prom']
