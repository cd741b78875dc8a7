# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.offsite.backup.plugins.module_utils import s3_prices
from ansible_collections.offsite.backup.plugins.module_utils.offsite_costs import (
    batch_purges,
    early_deletion_problem,
    interval_days,
    monthly_estimate,
    retention_days,
    volume_overhead,
    volume_size_warning,
)
from ansible_collections.offsite.backup.plugins.module_utils.restore_estimate import PRICES, estimate

CHAIN = {'max_age': '7M', 'max_full_age': '1M', 'max_full_backups': 2, 'max_fulls_with_incrs': 1}
DEEP = {'strategy': 'prefix', 'storage_class': 'DEEP_ARCHIVE', 'days': 30}


@pytest.mark.parametrize('text, days', [
    ('6M', 180), ('1Y', 365), ('14D', 14), ('2W', 14), ('1Y6M', 545), ('36h', 1.5), ('90D', 90),
    ('', None), (None, None), ('2026-01-01', None), ('6 months', None), ('M', None),
])
def test_interval_days_reads_duplicity_units(text, days):
    assert interval_days(text) == days


@pytest.mark.parametrize('batch, purges', [
    ('backup_purge --force', ['purge']),
    ('backup_verify_purge --force', ['purge']),
    ('pre+bkp+purgeFull+purgeIncr --force', ['purgeFull', 'purgeIncr']),
    ('backup', []), ('', []), (None, []),
])
def test_batch_purges(batch, purges):
    assert batch_purges(batch) == purges


def test_retention_is_the_shortest_purge():
    assert retention_days('backup_purge --force', **_chain()) == (210, 'purge (max_age 7M)')
    # purgeFull with 2 fulls a month apart: the older chain's last set is at least a month old.
    days, reason = retention_days('backup_purge_purgeFull --force', **_chain())
    assert (days, reason.split()[0]) == (30, 'purgeFull')
    # purgeIncr with 1: the incrementals go as soon as the next full exists.
    assert retention_days('backup_purgeIncr', **_chain())[0] == 0
    assert retention_days('backup', **_chain()) == (None, None)
    assert retention_days('backup_purge', '2026-01-01', '1M', 2, 1) == (None, None)


def _chain(**changes):
    chain = dict(CHAIN)
    chain.update(changes)
    return chain


def test_the_old_defaults_purge_deep_archive_early():
    problem = early_deletion_problem(DEEP, 'backup_purge --force', _chain(max_age='6M'))
    assert 'DEEP_ARCHIVE after 30 days' in problem
    assert '150 days in DEEP_ARCHIVE' in problem and '180-day minimum' in problem
    assert 'at least 210 days' in problem and 'accept_early_deletion' in problem


def test_long_enough_retention_passes():
    assert early_deletion_problem(DEEP, 'backup_purge --force', CHAIN) is None
    glacier = dict(DEEP, storage_class='GLACIER', days=0)
    assert early_deletion_problem(glacier, 'backup_purge --force', _chain(max_age='3M')) is None
    assert early_deletion_problem(glacier, 'backup_purge --force', _chain(max_age='89D')) is not None


def test_direct_uploads_count_from_day_one():
    direct = {'strategy': 'storage_class', 'storage_class': 'DEEP_ARCHIVE', 'days': 30}
    assert early_deletion_problem(direct, 'backup_purge', _chain(max_age='6M')) is None
    problem = early_deletion_problem(direct, 'backup_purge', _chain(max_age='5M'))
    assert 'uploaded to DEEP_ARCHIVE' in problem and '150 days in DEEP_ARCHIVE' in problem


def test_purge_full_is_checked_too():
    problem = early_deletion_problem(DEEP, 'backup_purgeFull --force', CHAIN)
    assert problem.startswith('volumes move to DEEP_ARCHIVE') and 'purgeFull' in problem
    assert '0 days in DEEP_ARCHIVE' in problem


def test_moving_later_than_the_purge_is_not_a_way_out():
    # Sets live at least max_age, some longer: those that live to move are deleted early.
    problem = early_deletion_problem(dict(DEEP, days=400), 'backup_purge', _chain(max_age='6M'))
    assert '0 days in DEEP_ARCHIVE' in problem and 'at least 580 days' in problem


@pytest.mark.parametrize('tiering, batch', [
    (dict(DEEP, accept_early_deletion=True), 'backup_purge'),
    (dict(DEEP, strategy='none'), 'backup_purge'),
    (DEEP, 'backup'),                              # never purges
])
def test_no_problem_when_nothing_is_deleted_early(tiering, batch):
    assert early_deletion_problem(tiering, batch, _chain(max_age='6M')) is None


def test_small_volumes_warn_with_a_size_that_would_not():
    warning = volume_size_warning(DEEP, 1, 210)
    assert warning.startswith('volume_size 1 MB: each volume in DEEP_ARCHIVE costs a transition request')
    enough = int(warning.split('set volume_size to ')[1].split()[0])
    assert volume_size_warning(DEEP, enough, 210) is None
    assert volume_size_warning(DEEP, enough - 2, 210) is not None
    assert volume_size_warning(DEEP, 50, 210) is None


def test_volume_overhead_arithmetic():
    # A 1 MiB volume six months in DEEP_ARCHIVE: one transition, 40 KB of metadata.
    fixed, storage = volume_overhead('DEEP_ARCHIVE', 1 << 20, 6, True)
    metadata = (8192 * 0.023 + 32768 * 0.00099) / (1 << 30)
    assert fixed == pytest.approx(0.05 / 1000 + metadata * 6)
    assert storage == pytest.approx(0.00099 / 1024 * 6)
    fixed_put = volume_overhead('GLACIER', 1 << 20, 3, False)[0]
    assert fixed_put == pytest.approx(0.03 / 1000 + (8192 * 0.023 + 32768 * 0.0036) / (1 << 30) * 3)


@pytest.mark.parametrize('tiering', [{'strategy': 'none'}, dict(DEEP, storage_class='STANDARD_IA')])
def test_no_volume_warning_without_an_archive_class(tiering):
    assert volume_size_warning(tiering, 1, 210) is None


def test_monthly_estimate_by_class():
    gib = 1 << 30
    result = monthly_estimate([('STANDARD', gib), ('DEEP_ARCHIVE', 10 * gib), ('DEEP_ARCHIVE', 0), (None, gib)])
    assert result['by_class']['STANDARD'] == {'objects': 2, 'bytes': 2 * gib, 'usd': 0.046}
    deep = result['by_class']['DEEP_ARCHIVE']
    assert (deep['objects'], deep['bytes']) == (2, 10 * gib)
    assert deep['usd'] == pytest.approx(0.0099 + 2 * (8192 * 0.023 + 32768 * 0.00099) / gib, abs=1e-6)
    assert result['total_usd'] == pytest.approx(0.046 + deep['usd'], abs=1e-6)
    assert result['prices'] == {'as_of': s3_prices.AS_OF, 'region': 'us-east-1',
                                'source': 'https://aws.amazon.com/s3/pricing/', 'currency': 'USD'}


def test_the_restore_estimate_reads_the_same_table():
    assert PRICES is s3_prices.RETRIEVAL
    bulk = estimate([('DEEP_ARCHIVE', 1 << 30)])['Bulk']
    assert bulk['total_usd'] == pytest.approx(0.0025 + 0.025 / 1000, abs=1e-4)
