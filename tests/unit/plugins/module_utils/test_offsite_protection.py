# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime

import pytest

from ansible_collections.offsite.backup.plugins.module_utils.offsite_protection import (
    DENIED_ACTIONS,
    RULE_ID,
    bucket_plan,
    copies_to_check,
    existing_buckets,
    host_policy,
    minimum_days,
    needs_restore,
    parse_time,
    plan_counts,
    protection_days,
    protection_errors,
    protection_rule,
    rewind_plan,
    window_error,
)
from ansible_collections.offsite.backup.plugins.module_utils.s3_lifecycle_rules import validate_rules


def need(prefix, strategy='prefix', bucket='family', storage_class='DEEP_ARCHIVE', profile=None):
    return {'profile': profile or prefix.rsplit('/', 1)[-1], 'bucket': bucket, 'prefix': prefix,
            'strategy': strategy, 'rule': None, 'split': None, 'source': '/srv', 'storage_class': storage_class}


def statements(policy, sid_start):
    return [s for s in policy['Statement'] if s['Sid'].startswith(sid_start)]


def allowed(policy, action, resource):
    """A small evaluator of the generated documents: explicit deny wins, then allow."""
    def matches(pattern, value):
        if pattern.endswith('*'):
            return value.startswith(pattern[:-1])
        return value == pattern
    verdict = False
    for statement in policy['Statement']:
        if action in statement['Action'] and any(matches(r, resource) for r in statement['Resource']):
            if statement['Effect'] == 'Deny':
                return False
            verdict = True
    return verdict


def test_policy_grants_each_prefix_and_nothing_else():
    policy = host_policy([need('pi/photos'), need('pi/docs')])
    assert policy['Version'] == '2012-10-17'
    assert [s['Sid'] for s in policy['Statement']] == ['List1', 'Objects1', 'KeepHistory1']
    listing = statements(policy, 'List')[0]
    assert listing['Resource'] == ['arn:aws:s3:::family']
    prefixes = ['pi/docs/', 'pi/docs/*', 'pi/photos/', 'pi/photos/*']
    assert listing['Condition'] == {'StringLikeIfExists': {'s3:prefix': prefixes}}
    objects = statements(policy, 'Objects')[0]
    assert objects['Resource'] == ['arn:aws:s3:::family/pi/docs/*', 'arn:aws:s3:::family/pi/photos/*']
    for action in ('s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:RestoreObject', 's3:AbortMultipartUpload'):
        assert allowed(policy, action, 'arn:aws:s3:::family/pi/docs/duplicity-full.vol1.difftar.gpg')
        assert not allowed(policy, action, 'arn:aws:s3:::family/nas/docs/duplicity-full.vol1.difftar.gpg')
        # A prefix that only starts like the host's is another prefix.
        assert not allowed(policy, action, 'arn:aws:s3:::family/pi/docs-old/x')


def test_policy_denies_what_destroys_history_even_in_own_prefix():
    policy = host_policy([need('pi/docs', strategy='tags')])
    for action in ('s3:DeleteObjectVersion', 's3:PutBucketVersioning', 's3:PutLifecycleConfiguration',
                   's3:DeleteBucketPolicy', 's3:PutBucketPolicy', 's3:PutBucketObjectLockConfiguration',
                   's3:PutObjectRetention', 's3:BypassGovernanceRetention', 's3:DeleteBucket'):
        assert action in DENIED_ACTIONS
        assert not allowed(policy, action, 'arn:aws:s3:::family')
        assert not allowed(policy, action, 'arn:aws:s3:::family/pi/docs/x')
    deny = statements(policy, 'KeepHistory')[0]
    assert deny['Effect'] == 'Deny'
    assert deny['Resource'] == ['arn:aws:s3:::family', 'arn:aws:s3:::family/*']
    # Nothing the host is granted is also denied.
    granted = {a for s in policy['Statement'] if s['Effect'] == 'Allow' for a in s['Action']}
    assert granted.isdisjoint(DENIED_ACTIONS)


@pytest.mark.parametrize('strategy, tagged', [('prefix', False), ('tags', True), ('storage_class', False),
                                              ('none', False)])
def test_tagging_only_for_the_tags_strategy(strategy, tagged):
    policy = host_policy([need('pi/docs', strategy=strategy)])
    assert bool(statements(policy, 'Tags')) is tagged
    assert allowed(policy, 's3:PutObjectTagging', 'arn:aws:s3:::family/pi/docs/x') is tagged


def test_tags_granted_per_prefix_and_buckets_apart():
    policy = host_policy([need('pi/docs', strategy='tags'), need('pi/photos'), need('pi/mail', bucket='other')])
    assert [s['Sid'] for s in policy['Statement']] == [
        'List1', 'Objects1', 'Tags1', 'KeepHistory1', 'List2', 'Objects2', 'KeepHistory2']
    assert statements(policy, 'Tags1')[0]['Resource'] == ['arn:aws:s3:::family/pi/docs/*']
    assert not allowed(policy, 's3:PutObjectTagging', 'arn:aws:s3:::family/pi/photos/x')
    assert allowed(policy, 's3:PutObject', 'arn:aws:s3:::other/pi/mail/x')
    assert not allowed(policy, 's3:PutObject', 'arn:aws:s3:::other/pi/docs/x')


def test_policy_of_a_bucket_wide_prefix():
    policy = host_policy([need('')])
    assert statements(policy, 'Objects')[0]['Resource'] == ['arn:aws:s3:::family/*']
    assert statements(policy, 'List')[0]['Condition']['StringLikeIfExists']['s3:prefix'] == ['*']


def test_no_profiles_no_statements():
    assert host_policy([]) == {'Version': '2012-10-17', 'Statement': []}


def test_minimum_days_follow_the_classes():
    assert minimum_days([]) == 90
    assert minimum_days([need('a', storage_class=None)]) == 90
    assert minimum_days([need('a', storage_class='GLACIER')]) == 90
    assert minimum_days([need('a', storage_class='GLACIER'), need('b', storage_class='DEEP_ARCHIVE')]) == 180


def test_protection_days_warn_below_a_class_minimum():
    needs = [need('pi/docs', storage_class='DEEP_ARCHIVE', profile='docs'), need('pi/mail', storage_class='GLACIER')]
    assert protection_days(needs, 0) == (180, [])
    assert protection_days(needs, 400) == (400, [])
    days, warnings = protection_days(needs, 120)
    assert days == 120
    assert len(warnings) == 1
    assert "profile 'docs'" in warnings[0] and "DEEP_ARCHIVE's minimum storage duration of 180 days" in warnings[0]
    assert 'bucket_protect_days to 180' in warnings[0]


@pytest.mark.parametrize('protect, days, lock, expected', [
    ('always', 0, None, []),
    ('auto', 365, {'mode': 'governance', 'days': 30}, []),
    (True, 0, None, ['bucket_protect must be one of auto, always, never, not True']),
    ('always', -1, None, ['bucket_protect_days must be a whole number of days (0 for automatic), not -1']),
    ('auto', '30', None, ["bucket_protect_days must be a whole number of days (0 for automatic), not '30'"]),
    ('auto', 0, {'mode': 'strict', 'days': 0, 'years': 1}, [
        "bucket_object_lock.mode must be one of GOVERNANCE, COMPLIANCE, not 'strict'",
        'bucket_object_lock.days must be a positive whole number, not 0',
        'bucket_object_lock has unknown keys: years']),
    ('auto', 0, 'governance', ["bucket_object_lock must be a dictionary with mode and days, not 'governance'"]),
])
def test_protection_errors(protect, days, lock, expected):
    assert protection_errors(protect, days, lock) == expected


def test_protection_rule_is_a_valid_lifecycle_rule():
    rule = protection_rule(180)
    assert rule['id'] == RULE_ID
    assert rule['noncurrent_version_expiration'] == {'noncurrent_days': 180}
    assert rule['expiration'] == {'expired_object_delete_marker': True}
    assert validate_rules([rule]) == []


NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.timezone.utc)


def test_window():
    assert window_error('2026-11-01T00:00:00Z', NOW, 90) is None
    assert 'in the future' in window_error('2026-12-02', NOW, 90)
    message = window_error('2026-09-01T12:00:00+00:00', NOW, 90)
    assert 'keeps overwritten and deleted versions for 90 days' in message
    assert 'after 2026-09-02T12:00:00+00:00' in message
    assert parse_time('2026-09-01') == datetime.datetime(2026, 9, 1, tzinfo=datetime.timezone.utc)
    assert parse_time('2026-09-01T02:00:00+02:00') == datetime.datetime(2026, 9, 1, tzinfo=datetime.timezone.utc)


def v(key, vid, day, latest=False, storage_class='STANDARD', size=10):
    return {'Key': key, 'VersionId': vid, 'LastModified': datetime.datetime(2026, 11, day, tzinfo=datetime.timezone.utc),
            'IsLatest': latest, 'StorageClass': storage_class, 'Size': size, 'ETag': '"%s"' % vid,
            'DeleteMarker': False}


def m(key, vid, day, latest=False):
    return {'Key': key, 'VersionId': vid, 'LastModified': '2026-11-%02dT00:00:00Z' % day, 'IsLatest': latest,
            'DeleteMarker': True}


T = '2026-11-10T00:00:00Z'


def test_rewind_plan_covers_each_case():
    items = [
        v('kept', 'k1', 1, latest=True),
        v('deleted', 'd1', 2),
        v('deleted-twice', 'dd1', 2),
        v('overwritten', 'o1', 3, storage_class='DEEP_ARCHIVE', size=99),
        v('overwritten', 'o2', 12, latest=True),
        v('new', 'n1', 15, latest=True),
        v('redeleted', 'r1', 1),
        v('redeleted', 'r2', 11),
        v('came-and-went', 'c1', 12),
        m('deleted', 'dm1', 20, latest=True),
        m('deleted-twice', 'dm2', 11), m('deleted-twice', 'dm3', 12, latest=True),
        m('redeleted', 'rm1', 5), m('redeleted', 'rm2', 13, latest=True),
        m('came-and-went', 'cm1', 13, latest=True),
    ]
    plan = {step['key']: step for step in rewind_plan(items, T)}
    assert sorted(plan) == ['deleted', 'deleted-twice', 'kept', 'new', 'overwritten']
    assert plan['kept'] == {'key': 'kept', 'action': 'keep', 'version_id': 'k1', 'storage_class': 'STANDARD'}
    assert plan['deleted']['action'] == 'undelete' and plan['deleted']['markers'] == ['dm1']
    assert plan['deleted-twice']['markers'] == ['dm2', 'dm3']
    assert plan['overwritten'] == {'key': 'overwritten', 'action': 'copy_back', 'version_id': 'o1',
                                   'storage_class': 'DEEP_ARCHIVE', 'size': 99}
    assert plan['new'] == {'key': 'new', 'action': 'hide'}
    assert needs_restore(plan['overwritten']) and not needs_restore(plan['deleted'])
    assert plan_counts(plan.values()) == {'keep': 1, 'undelete': 2, 'copy_back': 1, 'hide': 1, 'restore': 1}


def test_a_repeated_rewind_keeps_its_copies():
    items = [v('a', 'a1', 3), v('a', 'a2', 12, size=10), v('a', 'a3', 20, latest=True, size=10),
             v('b', 'b1', 3), v('b', 'b2', 12, latest=True, size=5)]
    assert [s['action'] for s in rewind_plan(items, T)] == ['copy_back', 'copy_back']
    # Only a current version of the same size can be a copy; its metadata says which.
    assert copies_to_check(items, rewind_plan(items, T)) == ['a']
    assert rewind_plan(items, T, {'a': 'a1'})[0]['action'] == 'keep'
    assert rewind_plan(items, T, {'a': 'a0'})[0]['action'] == 'copy_back'
    # A later rewind time keeps what is current then.
    assert rewind_plan(items, '2026-11-21T00:00:00Z')[0]['action'] == 'keep'


def test_same_second_entries_follow_is_latest():
    assert rewind_plan([v('a', 'a1', 10), m('a', 'am', 10, latest=True)], T) == []
    assert rewind_plan([v('a', 'a1', 10, latest=True), m('a', 'am', 10)], T)[0]['action'] == 'keep'


def test_lock_needs_protection():
    assert protection_errors('never', 0, {'mode': 'GOVERNANCE', 'days': 7}) == [
        'bucket_object_lock needs protection: set bucket_protect to auto or always, or bucket_object_lock to {}']


def test_bucket_plan_auto_protects_new_and_previously_protected_buckets():
    needs = [need('pi/docs', bucket='new'), need('pi/mail', bucket='mine', storage_class='GLACIER'),
             need('nas/x', bucket='theirs', storage_class=None)]
    existing = {'mine': {'versioning': 'Enabled', 'rules': [RULE_ID, 'other']},
                'theirs': {'versioning': 'Enabled', 'rules': []}}
    plan = bucket_plan(needs, 'auto', 0, {'mode': 'governance', 'days': 30}, existing)
    assert plan['new'] == {'new': True, 'protect': True, 'days': 180, 'rule': protection_rule(180),
                           'lock': {'mode': 'GOVERNANCE', 'days': 30}, 'warnings': []}
    assert plan['mine']['protect'] and plan['mine']['days'] == 90 and plan['mine']['lock'] is None
    assert plan['mine']['warnings'] == [
        'bucket mine exists, and S3 Object Lock is turned on only for buckets this role makes: it stays as it is']
    # Versioning the owner turned on is not a reason to add an expiry of their versions.
    assert plan['theirs'] == {'new': False, 'protect': False, 'days': 0, 'rule': None, 'lock': None, 'warnings': []}


def test_bucket_plan_true_and_false():
    needs = [need('pi/docs', bucket='old')]
    existing = {'old': {'versioning': '', 'rules': []}}
    assert bucket_plan(needs, 'always', 200, None, existing)['old']['rule'] == protection_rule(200)
    assert bucket_plan(needs, 'never', 0, None, {})['old']['protect'] is False


def test_principal_errors():
    assert protection_errors('auto', 0, None, {'pi': {'type': 'user', 'name': 'pi-backup'},
                                               'nas': {'type': 'role', 'name': 'nas'}}) == []
    assert protection_errors('auto', 0, None, {'pi': {'type': 'group', 'name': '', 'arn': 'x'}, 'nas': 'nas'}) == [
        "bucket_iam_principals.nas must be a dictionary with type and name, not 'nas'",
        "bucket_iam_principals.pi.type must be user or role, not 'group'",
        'bucket_iam_principals.pi.name must be the name of the IAM group',
        'bucket_iam_principals.pi has unknown keys: arn']
    assert protection_errors('auto', 0, None, ['pi']) == ["bucket_iam_principals must be a dictionary of host names, not ['pi']"]


def test_existing_buckets_from_bucket_info_results():
    results = [
        {'item': 'new', 'buckets': []},
        {'item': 'mine', 'buckets': [{'name': 'mine', 'bucket_versioning': {'Status': 'Enabled'},
                                      'bucket_lifecycle_configuration': {'Rules': [{'ID': RULE_ID}, {'ID': 'x'}]}}]},
        {'item': 'bare', 'buckets': [{'name': 'bare', 'bucket_versioning': {}, 'bucket_lifecycle_configuration': None}]},
    ]
    assert existing_buckets(results) == {'mine': {'versioning': 'Enabled', 'rules': [RULE_ID, 'x']},
                                         'bare': {'versioning': '', 'rules': []}}
