# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy
import random

import pytest

from ansible_collections.offsite.backup.plugins.module_utils.duply_profiles import (
    BUCKET_NEED_SCHEMA,
    bucket_need_errors,
    cron_file,
    cron_minute,
    merge,
    profile_view,
)

PUBLIC = '-----BEGIN PGP PUBLIC KEY BLOCK-----\nabc\n-----END PGP PUBLIC KEY BLOCK-----'
PRIVATE = '-----BEGIN PGP PRIVATE KEY BLOCK-----\nabc\n-----END PGP PRIVATE KEY BLOCK-----'
FPR = '0123456789abcdef0123456789ABCDEF01234567'

# The role's defaults (roles/duply/defaults/main.yml), as vars/main.yml passes them.
SETTINGS = {
    'bucket': 'family-backups', 's3_endpoint_url': '', 's3_region': '', 'aws_access_key_id': '',
    'aws_secret_access_key': '', 'gpg_mode': 'symmetric', 'gpg_passphrase': 'pw', 'gpg_key_id': '',
    'gpg_public_key': '', 'gpg_secret_key': '', 'volume_size': 50, 'max_full_age': '1M', 'max_age': '7M',
    'max_full_backups': 2, 'max_fulls_with_incrs': 1, 'extra_params': [], 'batch': '',
    'tiering': {'strategy': 'prefix', 'storage_class': 'DEEP_ARCHIVE', 'days': 30},
    'mail': 'always', 'mail_to': 'root', 'lock_wait': 0, 'heartbeat_url': '', 'require_mount': '', 'monitors': [],
    'overdue_grace': 6,
    'cron': True, 'schedule': {'minute': '', 'hour': '3', 'day': '*', 'month': '*', 'weekday': '*'},
    'logrotate': {'period': 'weekly', 'size': '', 'rotate': 8}, 'split': {},
    'archive_file_prefix': 'archive-', 'tag_key': 'glacierable', 'tag_archive_value': 'true', 'tag_sweep_days': 7,
    'duplicity_version': '3.0.4', 'upload_concurrency': 0, 'temp_dir': '',
}


def view(*profiles, **settings):
    merged = dict(copy.deepcopy(SETTINGS), **settings)
    return profile_view(list(profiles), merged, 'pi')


def one(**profile):
    profile.setdefault('name', 'docs')
    profile.setdefault('source', '/srv/docs')
    return profile


def errors_of(*profiles, **settings):
    return view(*profiles, **settings)['errors']


# --- merging ---------------------------------------------------------------------------

def test_merge_takes_defaults_and_lets_profile_keys_win():
    merged = merge([{'name': 'a', 'bucket': 'own-bucket', 'source': '/a'}], SETTINGS)[0]
    assert merged['bucket'] == 'own-bucket'
    assert merged['gpg_mode'] == 'symmetric'
    assert merged['state'] == 'present'
    assert merged['prefix'] == '' and merged['pre'] == '' and merged['tiering'] == {}
    assert merged['source'] == '/a'


def test_merge_does_not_share_defaults_between_profiles():
    merged = merge([{'name': 'a'}, {'name': 'b'}], SETTINGS)
    merged[0]['includes'].append('x')
    assert merged[1]['includes'] == []


def test_a_valid_profile_has_no_errors():
    assert errors_of(one()) == []


# --- derivations -----------------------------------------------------------------------

def test_default_prefix_is_host_and_name_and_own_prefix_wins():
    result = view(one(), one(name='b', prefix='elsewhere/b'))
    assert result['effective']['docs']['prefix'] == 'pi/docs'
    assert result['effective']['b']['prefix'] == 'elsewhere/b'


def test_prefix_strategy_rule_and_batch():
    eff = view(one())['effective']['docs']
    assert eff['batch'] == 'backup_purge --force'
    assert eff['rule'] == {'bucket': 'family-backups', 'id': 'offsite-backup/pi/docs',
                           'filter': {'prefix': 'pi/docs/archive-'},
                           'transitions': [{'days': 30, 'storage_class': 'DEEP_ARCHIVE'}]}


def test_tags_strategy_rule():
    eff = view(one(tiering={'strategy': 'tags', 'days': '3', 'storage_class': 'GLACIER'}))['effective']['docs']
    assert eff['rule']['filter'] == {'prefix': 'pi/docs/', 'tags': {'glacierable': 'true'}}
    assert eff['rule']['transitions'] == [{'days': 3, 'storage_class': 'GLACIER'}]


@pytest.mark.parametrize('strategy, batch', [('none', 'backup_verify_purge --force'),
                                             ('storage_class', 'backup_purge --force')])
def test_no_rule_without_prefix_or_tags(strategy, batch):
    eff = view(one(tiering={'strategy': strategy}))['effective']['docs']
    assert eff['rule'] is None
    assert eff['batch'] == batch


def test_own_batch_wins():
    assert view(one(batch='backup --force'))['effective']['docs']['batch'] == 'backup --force'


def test_split_defaults_and_tags_by_default():
    eff = view(one(split={'depth': 1}))['effective']['docs']
    assert eff['split'] == {'depth': 1, 'order': 'name', 'keep_going': True}
    assert eff['tiering']['strategy'] == 'tags'


def test_split_from_role_setting_and_depth_zero_is_no_split():
    result = view(one(), one(name='flat', split={'depth': 0}), split={'depth': 2, 'order': 'size'})
    assert result['effective']['docs']['split'] == {'depth': 2, 'order': 'size', 'keep_going': True}
    assert result['effective']['flat']['split'] is None
    assert result['split_profiles'] == ['docs']


def test_split_profile_with_explicit_prefix_strategy_keeps_it_and_is_refused():
    result = view(one(split={'depth': 1}, tiering={'strategy': 'prefix'}))
    assert result['effective']['docs']['tiering']['strategy'] == 'prefix'
    assert result['errors'] == [
        "duply_profiles[0] (docs).tiering.strategy prefix cannot tier a split profile: its lifecycle rule filters "
        "on pi/docs/archive-, and the units' volumes sit under pi/docs/UNIT/. Use tags (the default for split "
        "profiles), storage_class or none"]


def test_schedule_merges_and_derives_a_stable_minute():
    result = view(one(schedule={'hour': '4'}), one(name='fixed', schedule={'minute': '7'}),
                  one(name='zero', schedule={'minute': 0}))
    schedule = result['effective']['docs']['schedule']
    assert schedule == {'minute': random.Random('pi/docs').randrange(0, 59, 1), 'hour': '4', 'day': '*',
                        'month': '*', 'weekday': '*'}
    assert schedule['minute'] == cron_minute('pi', 'docs') == view(one())['effective']['docs']['schedule']['minute']
    assert result['effective']['fixed']['schedule']['minute'] == '7'
    assert result['effective']['zero']['schedule']['minute'] == 0


def test_logrotate_merges():
    assert view(one(logrotate={'size': '10M'}))['effective']['docs']['logrotate'] == {
        'period': 'weekly', 'size': '10M', 'rotate': 8}


def test_cron_file_of_plain_names_is_unchanged_and_dots_become_underscores():
    assert cron_file('photos') == '/etc/cron.d/offsite-backup-photos'
    assert cron_file('a.b') == '/etc/cron.d/offsite-backup-a_b'
    assert view(one())['effective']['docs']['cron_file'] == '/etc/cron.d/offsite-backup-docs'


def test_each_profile_gets_one_scheduler_chosen_from_via_and_the_service_manager():
    profiles = (one(), one(name='c', schedule={'via': 'cron'}), one(name='s', schedule={'via': 'systemd'}),
                one(name='quiet', cron=False, schedule={'via': 'systemd'}),
                one(name='gone', state='absent', schedule={'via': 'systemd'}))
    on_systemd = view(*profiles, service_mgr='systemd', archive_dir='/var/cache/duplicity', log_dir='/var/log/ob',
                      state_dir='/var/lib/offsite-backup', metrics_dir='/var/lib/prometheus/node-exporter')
    assert on_systemd['cron_profiles'] == ['c']
    assert on_systemd['systemd_profiles'] == ['docs', 's']
    assert on_systemd['systemd_units'] == ['offsite-backup-docs.service', 'offsite-backup-docs.timer',
                                           'offsite-backup-s.service', 'offsite-backup-s.timer']
    units = on_systemd['effective']['docs']['units']
    assert (units['calendar'], units['delay']) == (['*-*-* 03:00:00'], '59min')
    # The runner writes its state and the metrics file from the hardened service too.
    assert units['read_write_paths'][:4] == ['/var/cache/duplicity', '/var/log/ob', '/var/lib/offsite-backup',
                                             '/var/lib/prometheus/node-exporter']
    assert on_systemd['effective']['docs']['schedule']['minute'] == cron_minute('pi', 'docs')
    in_a_chroot = view(*profiles, service_mgr='')
    assert in_a_chroot['cron_profiles'] == ['docs', 'c']
    assert in_a_chroot['systemd_profiles'] == ['s']
    assert on_systemd['errors'] == in_a_chroot['errors'] == []


def test_schedule_that_cron_would_never_run_is_refused():
    assert errors_of(one(schedule={'hour': '24', 'via': 'bogus'})) == [
        AT + ".schedule.hour '24' is not a cron field: 24 is outside 0-23",
        AT + ".schedule.via must be cron or systemd (or empty: systemd where it is PID 1), not 'bogus'"]


def test_name_lists_and_hooks():
    result = view(one(pre='echo pre'), one(name='t', tiering={'strategy': 'tags'}, post='echo post'),
                  one(name='quiet', cron=False), one(name='old', state='absent', post='x'))
    assert result['present'] == ['docs', 't', 'quiet']
    assert result['absent'] == ['old']
    assert result['tags_profiles'] == ['t']
    assert result['cron_profiles'] == ['docs', 't', 'old']
    assert result['hooks'] == ['docs/pre', 't/post', 'old/post', 't/post']
    assert list(result['by_name']) == ['docs', 't', 'quiet', 'old']
    assert result['effective']['old']['state'] == 'absent'


def test_key_profiles_and_key_files():
    result = view(one(gpg_mode='pubkey', gpg_key_id=FPR, gpg_public_key=PUBLIC, gpg_secret_key=PRIVATE),
                  one(name='pub', gpg_mode='pubkey', gpg_key_id=FPR, gpg_public_key=PUBLIC),
                  one(name='gone', state='absent', gpg_mode='pubkey', gpg_key_id=FPR, gpg_public_key=PUBLIC))
    assert result['errors'] == []
    assert result['pubkey_profiles'] == ['docs', 'pub', 'gone']
    assert result['seckey_profiles'] == ['docs']
    upper = FPR.upper()
    assert result['key_files'] == ['docs/gpgkey.%s.pub.asc' % upper, 'docs/gpgkey.%s.sec.asc' % upper,
                                   'pub/gpgkey.%s.pub.asc' % upper]


def test_bucket_needs_list_present_profiles_and_fit_the_schema():
    result = view(one(split={'depth': 1}), one(name='old', state='absent'))
    assert result['bucket_needs'] == [{
        'profile': 'docs', 'bucket': 'family-backups', 'prefix': 'pi/docs', 'strategy': 'tags',
        'rule': result['effective']['docs']['rule'], 'split': {'depth': 1, 'order': 'name', 'keep_going': True},
        'source': '/srv/docs', 'storage_class': 'DEEP_ARCHIVE'}]
    assert set(result['bucket_needs'][0]) == set(BUCKET_NEED_SCHEMA)
    assert view(one(tiering={'strategy': 'none'}))['bucket_needs'][0]['storage_class'] is None
    assert bucket_need_errors(result['bucket_needs']) == []


def test_bucket_need_errors():
    good = view(one())['bucket_needs'][0]
    assert bucket_need_errors('x') == ['duply_bucket_needs must be a list, not str']
    assert bucket_need_errors([1]) == ['duply_bucket_needs[0] must be a dict, not int']
    bad = dict(good, strategy='cold', extra=1, rule=dict(good['rule'], id='mine'))
    del bad['source']
    assert bucket_need_errors([bad]) == [
        'duply_bucket_needs[0].source is missing',
        'duply_bucket_needs[0] has unknown keys: extra',
        "duply_bucket_needs[0].strategy must be one of prefix, tags, storage_class, none, not 'cold'",
        "duply_bucket_needs[0].rule.id must start with 'offsite-backup/'",
    ]
    assert bucket_need_errors([dict(good, prefix=3, rule={})]) == [
        'duply_bucket_needs[0].prefix has the wrong type (int)',
        'duply_bucket_needs[0].rule.bucket is missing', 'duply_bucket_needs[0].rule.id is missing',
        'duply_bucket_needs[0].rule.filter is missing', 'duply_bucket_needs[0].rule.transitions is missing',
        "duply_bucket_needs[0].rule.id must start with 'offsite-backup/'"]


# --- validation: one message per problem, today's wording -------------------------------

AT = 'duply_profiles[0] (docs)'


@pytest.mark.parametrize('profile, settings, message', [
    (one(source=''), {}, AT + '.source is missing: give the absolute path of the directory to back up'),
    (one(source='data/photos'), {}, AT + ".source must be an absolute path, not 'data/photos'"),
    (one(excludes=['cache', '/etc/foo']), {},
     AT + ".excludes[1] '/etc/foo' lies outside the source /srv/docs and can never match"),
    (one(includes='x'), {}, AT + '.includes must be a list of patterns, not str'),
    (one(), {'bucket': ''}, AT + '.bucket is missing: set it on the profile or set duply_bucket'),
    (one(bucket='Bad_Bucket'), {},
     AT + ".bucket 'Bad_Bucket' is not a valid S3 bucket name (3-63 lower-case letters, digits, '.', '-')"),
    (one(prefix='/x'), {}, AT + ".prefix must not start or end with '/': '/x'"),
    (one(prefix='x/'), {}, AT + ".prefix must not start or end with '/': 'x/'"),
    (one(volume_size=0), {}, AT + ".volume_size must be a whole number of MB, 1 or more, not '0'"),
    (one(volume_size='lots'), {}, AT + ".volume_size must be a whole number of MB, 1 or more, not 'lots'"),
    (one(max_full_backups=0), {}, AT + '.max_full_backups must be 1 or more'),
    (one(max_full_age='3x'), {}, AT + ".max_full_age must be a duplicity interval such as 14D, 1M or 1Y, not '3x'"),
    (one(max_age=''), {}, AT + ".max_age must be a duplicity interval such as 14D, 1M or 1Y, not ''"),
    (one(s3_endpoint_url='ftp://x'), {}, AT + '.s3_endpoint_url must start with http:// or https://'),
    (one(aws_access_key_id='a'), {}, AT + ': set both aws_access_key_id and aws_secret_access_key, or neither'),
    (one(aws_secret_access_key='s'), {}, AT + ': set both aws_access_key_id and aws_secret_access_key, or neither'),
    (one(extra_params=['--ok', 'a b']), {},
     AT + ": duplicity option 'a b' must be one word without quotes, spaces or shell characters"),
    (one(), {'extra_params': ['x;y']},
     AT + ": duplicity option 'x;y' must be one word without quotes, spaces or shell characters"),
    (one(mail='sometimes'), {}, AT + ".mail must be always, failure or never, not 'sometimes'"),
    (one(lock_wait=-1), {}, AT + ".lock_wait must be a number of seconds (0 or more), not '-1'"),
    (one(batch='rm -rf'), {}, AT + ".batch must be a duply command such as 'backup_verify_purge --force', not 'rm -rf'"),
    (one(tiering={'strategy': 'weird'}), {},
     AT + ".tiering.strategy must be prefix, tags, storage_class or none, not 'weird'"),
    (one(tiering={'storage_class': 'STANDARD'}), {},
     AT + ".tiering.storage_class must be GLACIER or DEEP_ARCHIVE, not 'STANDARD'"),
    (one(tiering={'days': 'x'}), {}, AT + '.tiering.days must be a whole number of days, 0 or more'),
    (one(tiering={'strategy': 'tags'}), {'tag_sweep_days': 366},
     AT + ".tiering.strategy tags: duply_tag_sweep_days must be a whole number of days from 0 to 365, not '366'"),
    (one(tiering={'strategy': 'tags'}), {'tag_sweep_days': '-1'},
     AT + ".tiering.strategy tags: duply_tag_sweep_days must be a whole number of days from 0 to 365, not '-1'"),
    (one(batch='backup_verify_purge --force'), {},
     AT + ".batch 'backup_verify_purge --force' verifies, which reads every volume back: that fails once volumes "
     "sit in DEEP_ARCHIVE; use 'backup_purge --force' or tiering.strategy none"),
    (one(tiering={'strategy': 'storage_class', 'storage_class': 'GLACIER'}), {'duplicity_version': '0.8.22'},
     AT + '.tiering.strategy storage_class needs duplicity 2.0 or later: duplicity 0.8.22 also uploads the '
     'signature files to GLACIER, which strands every later backup once the local cache is lost. Use strategy '
     'prefix or tags, or install duplicity 2.x with the duplicity role'),
    (one(tiering={'strategy': 'storage_class'}), {'duplicity_version': ''},
     AT + '.tiering.strategy storage_class needs duplicity 2.0 or later: duplicity (unknown: run the '
     'offsite.backup.duplicity role first) also uploads the signature files to DEEP_ARCHIVE, which strands every '
     'later backup once the local cache is lost. Use strategy prefix or tags, or install duplicity 2.x with the '
     'duplicity role'),
    (one(split={'depth': 'x'}, tiering={'strategy': 'none'}), {},
     AT + ".split.depth must be a whole number of directory levels, 1 or more (0: no split), not 'x'"),
    (one(split={'order': 'random'}), {}, AT + ".split.order must be name or size, not 'random'"),
    (one(split={'keep_going': 'maybe'}), {}, AT + ".split.keep_going must be true or false, not 'maybe'"),
    (one(require_mount='/mnt/usb'), {},
     AT + ".require_mount must be an absolute path that holds the source (/srv/docs), not '/mnt/usb'"),
    (one(require_mount='srv'), {}, AT + ".require_mount must be an absolute path that holds the source (/srv/docs), not 'srv'"),
    (one(require_mount='/srv/do'), {},
     AT + ".require_mount must be an absolute path that holds the source (/srv/docs), not '/srv/do'"),
    (one(heartbeat_url='http://a b'), {}, AT + '.heartbeat_url must be an http:// or https:// URL'),
    (one(schedule={'hour': '3;'}), {}, AT + ".schedule.hour is not a cron field: '3;'"),
    (one(schedule={'weekday': '$(x)'}), {}, AT + ".schedule.weekday is not a cron field: '$(x)'"),
    (one(logrotate={'period': 'hourly'}), {}, AT + '.logrotate.period must be daily, weekly, monthly or yearly'),
    (one(logrotate={'size': '10X'}), {}, AT + '.logrotate.size must look like 500k, 10M or 1G'),
    (one(logrotate={'rotate': 0}), {}, AT + '.logrotate.rotate must be 1 or more'),
    (one(gpg_passphrase=''), {},
     AT + '.gpg_passphrase is missing: symmetric encryption needs a passphrase (set duply_gpg_passphrase in a vault)'),
    (one(gpg_mode='pubkey', gpg_key_id='abc', gpg_public_key=PUBLIC), {},
     AT + ".gpg_key_id must be the key's full fingerprint (40 hex digits)"),
    (one(gpg_mode='pubkey', gpg_key_id=FPR, gpg_public_key='nope'), {},
     AT + '.gpg_public_key must hold the ASCII-armoured public key'),
    (one(gpg_mode='pubkey', gpg_key_id=FPR, gpg_public_key=PUBLIC, gpg_secret_key='nope'), {},
     AT + '.gpg_secret_key must hold an ASCII-armoured secret key, or be empty'),
    (one(upload_concurrency=-1), {}, AT + ".upload_concurrency must be a whole number from 0 to 16, not '-1'"),
    (one(upload_concurrency=17), {}, AT + ".upload_concurrency must be a whole number from 0 to 16, not '17'"),
    (one(upload_concurrency='four'), {}, AT + ".upload_concurrency must be a whole number from 0 to 16, not 'four'"),
    (one(upload_concurrency=4), {'duplicity_version': '2.2.4'},
     AT + '.upload_concurrency 4 needs duplicity 3.0 or later (its --concurrency option); this host has duplicity '
     '2.2.4. Set upload_concurrency to 0, or install duplicity 3 with the duplicity role (duplicity_install_method '
     'pip, or auto on Debian 13)'),
    (one(upload_concurrency=1), {'duplicity_version': ''},
     AT + '.upload_concurrency 1 needs duplicity 3.0 or later (its --concurrency option); this host has duplicity '
     '(unknown: run the offsite.backup.duplicity role first). Set upload_concurrency to 0, or install duplicity 3 '
     'with the duplicity role (duplicity_install_method pip, or auto on Debian 13)'),
    (one(temp_dir='tmp/dup'), {},
     AT + ".temp_dir must be an absolute path other than / without spaces, quotes or shell characters, not 'tmp/dup'"),
    (one(temp_dir='/'), {},
     AT + ".temp_dir must be an absolute path other than / without spaces, quotes or shell characters, not '/'"),
    (one(temp_dir='/mnt/usb disk'), {},
     AT + ".temp_dir must be an absolute path other than / without spaces, quotes or shell characters, "
     "not '/mnt/usb disk'"),
    (one(temp_dir='/srv/docs/.tmp'), {},
     AT + ".temp_dir '/srv/docs/.tmp' lies inside the source /srv/docs: duplicity would back up its own temporary "
     "files; choose a directory outside it"),
    (one(temp_dir='/srv/docs'), {},
     AT + ".temp_dir '/srv/docs' lies inside the source /srv/docs: duplicity would back up its own temporary "
     "files; choose a directory outside it"),
    (one(name='bad name'), {},
     "duply_profiles[0] (bad name).name may only hold letters, digits, '.', '_' and '-', starting with a letter or digit"),
])
def test_each_rule_gives_exactly_its_message(profile, settings, message):
    assert errors_of(profile, **settings) == [message]


def test_version_rules_wait_while_the_version_is_pending():
    # The playbook checks every role before any runs: duplicity is not installed yet, so
    # only the duply role's own check, after the duplicity role, applies these rules.
    for pending in (True, 'True', 'true'):
        assert errors_of(one(tiering={'strategy': 'storage_class'}, upload_concurrency=4),
                         duplicity_version='', duplicity_version_pending=pending) == []
    assert len(errors_of(one(tiering={'strategy': 'storage_class'}, upload_concurrency=4),
                         duplicity_version='', duplicity_version_pending='False')) == 2
    assert errors_of(one(upload_concurrency=17), duplicity_version_pending=True) == [
        AT + ".upload_concurrency must be a whole number from 0 to 16, not '17'"]


def test_valid_edge_values_pass():
    assert errors_of(one(require_mount='/srv/docs/', heartbeat_url='https://hc.example/ping/x', lock_wait='5',
                         schedule={'minute': '*/15', 'weekday': '1-5'}, logrotate={'size': '500k'},
                         max_age='1Y2M', tiering={'days': 0}, split={'depth': 0, 'keep_going': 'False'},
                         s3_endpoint_url='http://127.0.0.1:9000', aws_access_key_id='a',
                         aws_secret_access_key='s')) == []


def test_upload_concurrency_and_temp_dir_pass_on_duplicity_3():
    assert errors_of(one(upload_concurrency=4, temp_dir='/mnt/usb/duplicity-tmp'), duplicity_version='3.0.4') == []
    assert errors_of(one(upload_concurrency='16', temp_dir='/srv/docs-tmp')) == []
    assert errors_of(one(upload_concurrency=0), duplicity_version='0.8.22') == []


def test_the_temp_dir_is_writable_for_the_systemd_unit():
    result = view(one(temp_dir='/mnt/usb/tmp', schedule={'via': 'systemd'}), service_mgr='systemd')
    assert '/mnt/usb/tmp' in result['effective']['docs']['units']['read_write_paths']


def test_storage_class_with_duplicity_2_passes():
    assert errors_of(one(tiering={'strategy': 'storage_class'}), duplicity_version='2.1.0') == []


def test_purging_archived_volumes_early_is_refused_unless_accepted():
    message, = errors_of(one(max_age='6M'))
    assert message.startswith(AT + ': volumes move to DEEP_ARCHIVE after 30 days and purge (max_age 6M) can '
                              'delete them after 180 days, 150 days in DEEP_ARCHIVE')
    assert 'at least 210 days' in message
    assert errors_of(one(max_age='6M', tiering={'accept_early_deletion': True})) == []
    assert errors_of(one(max_age='6M', tiering={'storage_class': 'GLACIER'})) == []
    assert errors_of(one(max_age='6M', batch='backup')) == []
    assert errors_of(one(tiering={'accept_early_deletion': 'yes'})) == [
        AT + '.tiering.accept_early_deletion must be true or false']


def test_small_archived_volumes_warn_and_large_ones_do_not():
    warning, = view(one(volume_size=1))['warnings']
    assert warning.startswith(AT + '.volume_size 1 MB: each volume in DEEP_ARCHIVE costs a transition request')
    assert view(one())['warnings'] == []
    assert view(one(volume_size=1, tiering={'strategy': 'none'}))['warnings'] == []
    # A profile with errors gets them, not advice on top.
    assert view(one(volume_size=1, source=''))['warnings'] == []


def test_no_tiering_checks_with_strategy_none():
    assert errors_of(one(tiering={'strategy': 'none', 'storage_class': 'STANDARD', 'days': 'x'},
                         batch='backup_verify_purge --force')) == []


def test_duplicate_names_are_reported_on_each():
    assert errors_of(one(), one(source='/srv/other')) == [
        'duply_profiles[0] (docs).name is used by more than one profile',
        'duply_profiles[1] (docs).name is used by more than one profile']


def test_names_giving_the_same_cron_file_are_refused():
    # cron ignores files with dots, so a.b is scheduled as offsite-backup-a_b, like a_b.
    errors = errors_of(one(name='a.b'), one(name='a_b', state='absent'))
    assert errors == [
        'duply_profiles[0] (a.b).name gives the same cron file (/etc/cron.d/offsite-backup-a_b) as profile a_b, '
        'since cron ignores file names with dots: rename one of them',
        'duply_profiles[1] (a_b).name gives the same cron file (/etc/cron.d/offsite-backup-a_b) as profile a.b, '
        'since cron ignores file names with dots: rename one of them']


def test_status_is_the_runners_command_not_a_profile_name():
    assert errors_of(one(name='status')) == [
        "duply_profiles[0] (status).name 'status' is the runner's command (offsite-backup status): choose another"]


def test_monitors_fall_back_to_the_default_and_are_checked_without_quoting_urls():
    hc = {'kind': 'healthchecks', 'url': 'https://hc-ping.com/Secret-1'}
    result = view(one(), one(name='music', monitors=[]), monitors=[hc])
    assert result['errors'] == []
    assert result['by_name']['docs']['monitors'] == [hc] and result['by_name']['music']['monitors'] == []
    errors = errors_of(one(monitors=[{'kind': 'pager', 'url': 'ftp://Secret-2', 'events': ['end']}]))
    assert errors == [
        "duply_profiles[0] (docs).monitors[0].kind must be one of healthchecks, ntfy, webhook, not 'pager'",
        'duply_profiles[0] (docs).monitors[0].url must be an http:// or https:// URL',
        'duply_profiles[0] (docs).monitors[0].events must be a non-empty list of start, success, failure']


def test_schedule_and_overdue_grace_are_checked():
    assert errors_of(one(schedule={'hour': '25'}, overdue_grace='soon')) == [
        "duply_profiles[0] (docs).schedule.hour '25' is not a cron field: 25 is outside 0-23",
        "duply_profiles[0] (docs).overdue_grace must be a whole number of hours, not 'soon'"]
    assert errors_of(one(schedule={'hour': '*/6', 'weekday': 'mon-fri'})) == []


def test_absent_profiles_are_not_checked_beyond_their_name():
    assert errors_of(one(state='absent', source='', bucket='BAD', volume_size=0)) == []


def test_one_message_per_problem_in_field_order():
    errors = errors_of(one(source='rel', volume_size=0, mail='x', logrotate={'rotate': 0}))
    assert errors == [
        AT + ".source must be an absolute path, not 'rel'",
        AT + ".volume_size must be a whole number of MB, 1 or more, not '0'",
        AT + ".mail must be always, failure or never, not 'x'",
        AT + '.logrotate.rotate must be 1 or more']


def test_bucket_need_errors_by_host():
    good = view(one())['bucket_needs']
    assert bucket_need_errors({'pi': good, 'nas': 'x'}) == ['nas: duply_bucket_needs must be a list, not str']


# --- drills ----------------------------------------------------------------------------


def test_drills_are_off_unless_enabled_and_merge_over_the_role_setting():
    got = view(one(), one(name='photos', source='/srv/photos', drill={'files': 5}),
               one(name='music', source='/srv/music', drill={'enabled': False}), drill={'enabled': True, 'files': 9})
    assert got['errors'] == []
    assert got['effective']['docs']['drill'] == {'files': 9, 'bucket': 'family-backups', 'prefix': 'pi/docs',
                                                 'endpoint_url': '', 'region': '', 'source': '/srv/docs'}
    assert got['effective']['photos']['drill']['files'] == 5
    assert got['effective']['music']['drill'] is None
    assert got['drill_profiles'] == ['docs', 'photos']
    assert view(one())['effective']['docs']['drill'] is None


def test_templated_numbers_are_taken_as_numbers():
    got = view(one(drill={'enabled': True, 'every_days': '7', 'max_cost_usd': '0.5'}))
    assert got['errors'] == [] and got['effective']['docs']['drill']['every_days'] == 7
    assert got['effective']['docs']['drill']['max_cost_usd'] == 0.5


@pytest.mark.parametrize('drill, message', [
    ({'enabled': True, 'tier': 'Slow'}, "duply_profiles[0] (docs).drill: tier must be one of Bulk, Standard, Expedited, not 'Slow'"),
    ({'enabled': True, 'files': 0}, 'duply_profiles[0] (docs).drill: files must be 1 or more'),
    ({'enabled': True, 'colour': 'red'}, 'duply_profiles[0] (docs).drill has an unknown key colour'),
    ({'enabled': 'yes'}, 'duply_profiles[0] (docs).drill.enabled must be true or false'),
])
def test_bad_drills_say_what_to_fix(drill, message):
    assert errors_of(one(drill=drill)) == [message]


def test_drill_is_the_runners_command_not_a_profile_name():
    assert errors_of(one(name='drill')) == [
        "duply_profiles[0] (drill).name 'drill' is the runner's command (offsite-backup drill): choose another"]
