# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The duply role's profile logic: merge, derive, validate, publish.

``profile_view(profiles, settings, host)`` is the one entry point. It merges every entry
of ``duply_profiles`` over the role's ``duply_*`` defaults (``settings`` holds them
without the ``duply_`` prefix), derives what follows from each profile and returns one
validation message per problem, naming the profile and the field. The role calls it
once per converge through the filter ``offsite.backup.duply_profile_view``.

The contract ``duply_bucket_needs``
-----------------------------------
The duply role publishes, as the host fact ``duply_bucket_needs``, one entry per profile
with ``state: present``, in the order of ``duply_profiles``. The bucket role (which
buckets to secure, which lifecycle rules to apply, the IAM policies) and the restore
playbook (where a profile's backups are, whether it is split) read it from hostvars.
``BUCKET_NEED_SCHEMA`` below is that schema; ``bucket_need_errors`` checks a list
against it. Each entry holds:

- ``profile`` (str): the profile's name.
- ``bucket`` (str): the bucket the profile writes to.
- ``prefix`` (str): the key prefix of its backups, without a leading or trailing '/'.
- ``strategy`` (str): the tiering strategy, one of prefix, tags, storage_class, none.
- ``rule`` (dict or None): the lifecycle rule the strategy needs (prefix and tags),
  with ``bucket``, ``id`` (``offsite-backup/PREFIX``; the collection owns the ids that
  start with ``offsite-backup/``), ``filter`` (``prefix``, and ``tags`` for the tags
  strategy) and ``transitions`` (a list of ``days`` and ``storage_class``).
- ``split`` (dict or None): ``depth``, ``order`` and ``keep_going`` of a split profile;
  None when the profile is not split.
- ``source`` (str): the absolute path the profile backs up.
- ``storage_class`` (str or None): the class the profile's volumes end up in (the
  transition's or, for the storage_class strategy, the upload's); None for strategy none.

Nothing in an entry is secret: no credentials, passphrases or keys.
"""

from __future__ import annotations

import copy
import random
import re

from ansible_collections.offsite.backup.plugins.module_utils.duplicity_install import version_at_least
from ansible_collections.offsite.backup.plugins.module_utils.duplicity_tagging import MAX_SWEEP_DAYS
from ansible_collections.offsite.backup.plugins.module_utils.duply_globs import walk
from ansible_collections.offsite.backup.plugins.module_utils.duply_schedule import schedule_errors, timer
from ansible_collections.offsite.backup.plugins.module_utils.offsite_costs import (
    early_deletion_problem,
    retention_days,
    volume_size_warning,
)
from ansible_collections.offsite.backup.plugins.module_utils.offsite_drill import settings_errors
from ansible_collections.offsite.backup.plugins.module_utils.offsite_monitors import monitor_errors

RULE_ID_PREFIX = 'offsite-backup/'
STRATEGIES = ('prefix', 'tags', 'storage_class', 'none')
ARCHIVE_CLASSES = ('GLACIER', 'DEEP_ARCHIVE')
MAIL_MODES = ('always', 'failure', 'never')
SPLIT_DEFAULTS = {'depth': 0, 'order': 'name', 'keep_going': True}
SCHEDULE_FIELDS = ('minute', 'hour', 'day', 'month', 'weekday')
LOGROTATE_PERIODS = ('daily', 'weekly', 'monthly', 'yearly')
CRON_DIR = '/etc/cron.d'
# duplicity's --concurrency (0: upload each volume before making the next). Its own advice
# is 1 to 4; beyond 16 a Pi only holds more volumes in temp_dir.
MAX_UPLOAD_CONCURRENCY = 16

# Profile keys and the setting (duply_KEY) each one defaults to; None: no such setting.
PROFILE_DEFAULTS = (
    ('state', 'present'), ('prefix', ''), ('excludes', []), ('includes', []),
    ('bucket', None), ('s3_endpoint_url', None), ('s3_region', None),
    ('aws_access_key_id', None), ('aws_secret_access_key', None),
    ('gpg_mode', None), ('gpg_passphrase', None), ('gpg_key_id', None),
    ('gpg_public_key', None), ('gpg_secret_key', None),
    ('volume_size', None), ('max_full_age', None), ('max_age', None),
    ('max_full_backups', None), ('max_fulls_with_incrs', None),
    ('extra_params', []), ('batch', None), ('tiering', {}),
    ('mail', None), ('mail_to', None), ('lock_wait', None), ('heartbeat_url', None),
    ('require_mount', None), ('cron', None), ('schedule', {}), ('logrotate', {}),
    ('pre', ''), ('post', ''), ('split', {}), ('monitors', None), ('overdue_grace', None),
    ('drill', {}), ('upload_concurrency', None), ('temp_dir', None),
)
# Words the runner takes as a command, not a profile name: offsite-backup status, drill.
RESERVED_NAMES = ('status', 'drill')

BUCKET_NEED_SCHEMA = {
    'profile': str,
    'bucket': str,
    'prefix': str,
    'strategy': str,
    'rule': (dict, type(None)),
    'split': (dict, type(None)),
    'source': str,
    'storage_class': (str, type(None)),
}

_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]*$')
_BUCKET = re.compile(r'^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$')
_INTERVAL = re.compile(r'^([0-9]+[smhDWMY])+$')
_HTTP = re.compile(r'^https?://')
_URL = re.compile(r'^https?://[^\s]+$')
_SHELLY = re.compile(r'.*[\s\'"`$;&|]')
_DIGITS = re.compile(r'^[0-9]+$')
_BATCH = re.compile(r'^[A-Za-z_+]+( --[a-z-]+)*$')
_CRON_FIELD = re.compile(r'^[0-9A-Za-z*/,-]+$')
_SIZE = re.compile(r'^[0-9]+[kMG]?$')
_FINGERPRINT = re.compile(r'^[0-9A-Fa-f]{40}$')
PUBLIC_BLOCK = '-----BEGIN PGP PUBLIC KEY BLOCK-----'
PRIVATE_BLOCK = '-----BEGIN PGP PRIVATE KEY BLOCK-----'


def _int(value, default=0):
    """Jinja's int filter: a number, or default when value is none."""
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return default


def _str(value):
    return '' if value is None else str(value)


def _within(path, parent):
    """Whether path is parent or lies under it (trailing slashes aside)."""
    return (path.rstrip('/') + '/').startswith(parent.rstrip('/') + '/')


def merge(profiles, settings):
    """Each profile over the role's defaults; a profile's own keys win (a shallow merge)."""
    base = {}
    for key, fixed in PROFILE_DEFAULTS:
        base[key] = settings.get(key, '') if fixed is None else fixed
    merged = []
    for profile in profiles or []:
        entry = copy.deepcopy(base)
        entry.update(profile)
        entry.setdefault('name', '')
        merged.append(entry)
    return merged


def effective_split(profile, settings):
    """The split settings of a profile, with defaults; checked by validate()."""
    split = dict(SPLIT_DEFAULTS)
    split.update(settings.get('split') or {})
    split.update(profile.get('split') or {})
    return split


def effective_tiering(profile, settings, split):
    tiering = dict(settings.get('tiering') or {})
    own = profile.get('tiering') or {}
    tiering.update(own)
    # A split profile's volumes sit under PREFIX/UNIT/, where no fixed prefix rule reaches
    # them: the default prefix strategy becomes tags, whose rule filters on PREFIX/.
    if split and tiering.get('strategy') == 'prefix' and 'strategy' not in own:
        tiering['strategy'] = 'tags'
    return tiering


def cron_minute(host, name):
    """The minute of a profile whose schedule leaves it empty: spread, and stable.

    The same as Ansible's ``59 | random(seed=HOST ~ '/' ~ NAME)``, so hosts keep their minute.
    """
    return random.Random('%s/%s' % (host, name)).randrange(0, 59, 1)


def cron_file(name):
    """The /etc/cron.d file of a profile: cron ignores files whose names contain a dot."""
    return '%s/offsite-backup-%s' % (CRON_DIR, name.replace('.', '_'))


def derive(profile, settings, host):
    """What follows from one merged profile's settings."""
    name = _str(profile.get('name'))
    split = effective_split(profile, settings)
    split = split if str(split.get('depth')) not in ('0', '') else None
    tiering = effective_tiering(profile, settings, split)
    strategy = tiering.get('strategy')
    prefix = profile.get('prefix') or '%s/%s' % (host, name)
    batch = profile.get('batch') or (
        'backup_purge --force' if strategy in ('prefix', 'tags', 'storage_class') else 'backup_verify_purge --force')
    rule = None
    if strategy in ('prefix', 'tags'):
        if strategy == 'prefix':
            rule_filter = {'prefix': prefix + '/' + _str(settings.get('archive_file_prefix'))}
        else:
            rule_filter = {'prefix': prefix + '/', 'tags': {settings.get('tag_key'): settings.get('tag_archive_value')}}
        rule = {'bucket': profile.get('bucket'), 'id': RULE_ID_PREFIX + prefix, 'filter': rule_filter,
                'transitions': [{'days': _int(tiering.get('days')), 'storage_class': tiering.get('storage_class')}]}
    schedule = {'day': '*', 'month': '*', 'weekday': '*'}
    schedule.update(settings.get('schedule') or {})
    schedule.update(profile.get('schedule') or {})
    auto_minute = schedule.get('minute') is None or str(schedule.get('minute')) == ''
    if auto_minute:
        schedule['minute'] = cron_minute(host, name)
    writable = [_str(settings.get(key)) for key in ('archive_dir', 'log_dir', 'state_dir', 'metrics_dir') if settings.get(key)]
    if profile.get('temp_dir'):
        writable.append(_str(profile.get('temp_dir')))
    units = timer(name, schedule, profile.get('cron'), _str(settings.get('service_mgr')), auto_minute, writable)
    logrotate = dict(settings.get('logrotate') or {})
    logrotate.update(profile.get('logrotate') or {})
    key_files = []
    if profile.get('gpg_mode') == 'pubkey':
        key_id = _str(profile.get('gpg_key_id')).upper()
        key_files.append('gpgkey.%s.pub.asc' % key_id)
        if profile.get('gpg_secret_key'):
            key_files.append('gpgkey.%s.sec.asc' % key_id)
    return {
        'prefix': prefix, 'tiering': tiering, 'batch': batch, 'rule': rule, 'state': profile.get('state'),
        'split': split, 'schedule': schedule, 'logrotate': logrotate, 'cron_file': cron_file(name),
        'key_files': key_files, 'units': units, 'drill': effective_drill(profile, settings, prefix),
    }


def effective_drill(profile, settings, prefix):
    """The runner's drill settings of a profile (offsite_drill.SETTINGS), or None when it has no drills.

    duply_drill under the profile's drill (a shallow merge); ``enabled`` turns drills on.
    """
    drill = dict(settings.get('drill') or {})
    drill.update(profile.get('drill') or {})
    if drill.pop('enabled', False) is not True:
        return None
    for key, value in list(drill.items()):
        if isinstance(value, str) and re.match(r'^[0-9]+([.][0-9]+)?$', value):
            drill[key] = float(value) if '.' in value else int(value)  # a templated number
    drill.update(bucket=_str(profile.get('bucket')), prefix=prefix, endpoint_url=_str(profile.get('s3_endpoint_url')),
                 region=_str(profile.get('s3_region')), source=_str(profile.get('source')))
    return drill


def _filelist_problems(source, includes, excludes):
    try:
        return [problem for _lines, problem in walk(source, includes, excludes) if problem]
    except ValueError as exc:
        return [str(exc)]


def _source_errors(at, profile):
    source = profile.get('source')
    if not source:
        return ['%s.source is missing: give the absolute path of the directory to back up' % at]
    if not _str(source).startswith('/'):
        return ["%s.source must be an absolute path, not '%s'" % (at, source)]
    return ['%s.%s' % (at, problem)
            for problem in _filelist_problems(source, profile.get('includes'), profile.get('excludes'))]


def _target_errors(at, profile, settings):
    errors = []
    bucket = profile.get('bucket')
    if not bucket:
        errors.append('%s.bucket is missing: set it on the profile or set duply_bucket' % at)
    elif not _BUCKET.match(_str(bucket)):
        errors.append("%s.bucket '%s' is not a valid S3 bucket name (3-63 lower-case letters, digits, '.', '-')"
                      % (at, bucket))
    prefix = _str(profile.get('prefix'))
    if prefix.startswith('/') or prefix.endswith('/'):
        errors.append("%s.prefix must not start or end with '/': '%s'" % (at, prefix))
    if _int(profile.get('volume_size')) < 1:
        errors.append("%s.volume_size must be a whole number of MB, 1 or more, not '%s'"
                      % (at, _str(profile.get('volume_size'))))
    if _int(profile.get('max_full_backups')) < 1:
        errors.append('%s.max_full_backups must be 1 or more' % at)
    for field in ('max_full_age', 'max_age'):
        if not _INTERVAL.match(str(profile.get(field))):
            errors.append("%s.%s must be a duplicity interval such as 14D, 1M or 1Y, not '%s'"
                          % (at, field, profile.get(field)))
    if profile.get('s3_endpoint_url') and not _HTTP.match(_str(profile.get('s3_endpoint_url'))):
        errors.append('%s.s3_endpoint_url must start with http:// or https://' % at)
    if bool(profile.get('aws_access_key_id')) != bool(profile.get('aws_secret_access_key')):
        errors.append('%s: set both aws_access_key_id and aws_secret_access_key, or neither' % at)
    for param in list(settings.get('extra_params') or []) + list(profile.get('extra_params') or []):
        if _SHELLY.match(_str(param)):
            errors.append("%s: duplicity option '%s' must be one word without quotes, spaces or shell characters"
                          % (at, param))
    return errors


def _runner_errors(at, profile, eff):
    errors = []
    if profile.get('mail') not in MAIL_MODES:
        errors.append("%s.mail must be always, failure or never, not '%s'" % (at, _str(profile.get('mail'))))
    if not _DIGITS.match(str(profile.get('lock_wait'))):
        errors.append("%s.lock_wait must be a number of seconds (0 or more), not '%s'"
                      % (at, _str(profile.get('lock_wait'))))
    if not _BATCH.match(_str(eff['batch'])):
        errors.append("%s.batch must be a duply command such as 'backup_verify_purge --force', not '%s'"
                      % (at, _str(profile.get('batch'))))
    return errors


def _version_pending(settings):
    """True before the duplicity role has run in this play (the playbook's early check):
    the rules that depend on the installed version wait for the duply role's own check."""
    return _str(settings.get('duplicity_version_pending')).lower() in ('true', 'yes', '1')


def _tiering_errors(at, eff, settings):
    tiering = eff['tiering']
    strategy = tiering.get('strategy')
    storage_class = _str(tiering.get('storage_class'))
    if strategy not in STRATEGIES:
        return ["%s.tiering.strategy must be prefix, tags, storage_class or none, not '%s'" % (at, _str(strategy))]
    if strategy == 'none':
        return []
    errors = []
    sweep_days = settings.get('tag_sweep_days', 0)
    if strategy == 'tags' and (not _DIGITS.match(str(sweep_days)) or int(sweep_days) > MAX_SWEEP_DAYS):
        errors.append('%s.tiering.strategy tags: duply_tag_sweep_days must be a whole number of days from 0 to %d, '
                      "not '%s'" % (at, MAX_SWEEP_DAYS, _str(sweep_days)))
    if storage_class not in ARCHIVE_CLASSES:
        errors.append("%s.tiering.storage_class must be GLACIER or DEEP_ARCHIVE, not '%s'" % (at, storage_class))
    if not _DIGITS.match(str(tiering.get('days'))):
        errors.append('%s.tiering.days must be a whole number of days, 0 or more' % at)
    if tiering.get('accept_early_deletion', False) not in (True, False):
        errors.append('%s.tiering.accept_early_deletion must be true or false' % at)
    if 'verify' in _str(eff['batch']):
        errors.append("%s.batch '%s' verifies, which reads every volume back: that fails once volumes sit in %s; "
                      "use 'backup_purge --force' or tiering.strategy none" % (at, eff['batch'], storage_class))
    version = _str(settings.get('duplicity_version'))
    if strategy == 'storage_class' and not _version_pending(settings) and not version_at_least(version or '0', '2.0'):
        errors.append(
            '%s.tiering.strategy storage_class needs duplicity 2.0 or later: duplicity %s also uploads the '
            'signature files to %s, which strands every later backup once the local cache is lost. Use strategy '
            'prefix or tags, or install duplicity 2.x with the duplicity role'
            % (at, version or '(unknown: run the offsite.backup.duplicity role first)', storage_class))
    return errors


def _upload_errors(at, profile, settings):
    """upload_concurrency (duplicity's --concurrency, 3.0 and later) and temp_dir."""
    errors = []
    concurrency = profile.get('upload_concurrency')
    if not _DIGITS.match(str(concurrency)) or int(concurrency) > MAX_UPLOAD_CONCURRENCY:
        errors.append("%s.upload_concurrency must be a whole number from 0 to %d, not '%s'"
                      % (at, MAX_UPLOAD_CONCURRENCY, _str(concurrency)))
    elif int(concurrency) > 0 and not _version_pending(settings):
        version = _str(settings.get('duplicity_version'))
        if not version_at_least(version or '0', '3.0'):
            errors.append(
                '%s.upload_concurrency %s needs duplicity 3.0 or later (its --concurrency option); this host has '
                'duplicity %s. Set upload_concurrency to 0, or install duplicity 3 with the duplicity role '
                '(duplicity_install_method pip, or auto on Debian 13)'
                % (at, concurrency, version or '(unknown: run the offsite.backup.duplicity role first)'))
    temp_dir = _str(profile.get('temp_dir'))
    if temp_dir:
        source = _str(profile.get('source'))
        if not temp_dir.startswith('/') or temp_dir.rstrip('/') == '' or _SHELLY.match(temp_dir):
            errors.append("%s.temp_dir must be an absolute path other than / without spaces, quotes or shell "
                          "characters, not '%s'" % (at, temp_dir))
        elif source and _within(temp_dir, source):
            errors.append("%s.temp_dir '%s' lies inside the source %s: duplicity would back up its own temporary "
                          "files; choose a directory outside it" % (at, temp_dir, source))
    return errors


def _cost_errors(at, profile, eff):
    """Purges that delete archived volumes before the class's minimum storage duration."""
    tiering = eff['tiering']
    if tiering.get('storage_class') not in ARCHIVE_CLASSES or not _DIGITS.match(str(tiering.get('days'))):
        return []  # _tiering_errors names these
    problem = early_deletion_problem(tiering, eff['batch'], profile)
    return ['%s: %s' % (at, problem)] if problem else []


def _drill_errors(at, profile, eff, settings):
    drill = dict(settings.get('drill') or {})
    drill.update(profile.get('drill') or {})
    if drill.get('enabled', False) not in (True, False):
        return ['%s.drill.enabled must be true or false' % at]
    if eff['drill'] is None:
        return []
    return ['%s.%s' % (at, problem) for problem in settings_errors(eff['drill'])]


def _split_errors(at, profile, eff, settings):
    errors = []
    split = effective_split(profile, settings)
    if not _DIGITS.match(str(split.get('depth'))):
        errors.append("%s.split.depth must be a whole number of directory levels, 1 or more (0: no split), not '%s'"
                      % (at, _str(split.get('depth'))))
    if split.get('order') not in ('name', 'size'):
        errors.append("%s.split.order must be name or size, not '%s'" % (at, _str(split.get('order'))))
    if str(split.get('keep_going')).lower() not in ('true', 'false'):
        errors.append("%s.split.keep_going must be true or false, not '%s'" % (at, _str(split.get('keep_going'))))
    if eff['split'] and eff['tiering'].get('strategy') == 'prefix':
        errors.append(
            '%s.tiering.strategy prefix cannot tier a split profile: its lifecycle rule filters on %s/%s, and the '
            "units' volumes sit under %s/UNIT/. Use tags (the default for split profiles), storage_class or none"
            % (at, eff['prefix'], _str(settings.get('archive_file_prefix')), eff['prefix']))
    return errors


def _host_errors(at, profile, eff):
    errors = []
    mount = _str(profile.get('require_mount'))
    source = _str(profile.get('source'))
    if mount and not (mount.startswith('/') and _within(source, mount)):
        errors.append("%s.require_mount must be an absolute path that holds the source (%s), not '%s'"
                      % (at, source, mount))
    if profile.get('heartbeat_url') and not _URL.match(_str(profile.get('heartbeat_url'))):
        errors.append('%s.heartbeat_url must be an http:// or https:// URL' % at)
    unsafe = [field for field in SCHEDULE_FIELDS if not _CRON_FIELD.match(str(eff['schedule'].get(field, '')))]
    errors.extend("%s.schedule.%s is not a cron field: '%s'" % (at, field, eff['schedule'].get(field, ''))
                  for field in unsafe)
    errors.extend(error for error in schedule_errors(at, eff['schedule'])
                  if not any(error.startswith('%s.schedule.%s ' % (at, field)) for field in unsafe))
    errors.extend('%s.%s' % (at, problem) for problem in monitor_errors(profile.get('monitors') or [], 'monitors'))
    if not _DIGITS.match(str(profile.get('overdue_grace'))):
        errors.append("%s.overdue_grace must be a whole number of hours, not '%s'"
                      % (at, _str(profile.get('overdue_grace'))))
    rotate = eff['logrotate']
    if rotate.get('period') not in LOGROTATE_PERIODS:
        errors.append('%s.logrotate.period must be daily, weekly, monthly or yearly' % at)
    if rotate.get('size') and not _SIZE.match(str(rotate.get('size'))):
        errors.append('%s.logrotate.size must look like 500k, 10M or 1G' % at)
    if _int(rotate.get('rotate')) < 1:
        errors.append('%s.logrotate.rotate must be 1 or more' % at)
    return errors


def _gpg_errors(at, profile):
    errors = []
    mode = profile.get('gpg_mode')
    if mode == 'symmetric' and not profile.get('gpg_passphrase'):
        errors.append('%s.gpg_passphrase is missing: symmetric encryption needs a passphrase '
                      '(set duply_gpg_passphrase in a vault)' % at)
    if mode == 'pubkey':
        if not _FINGERPRINT.match(_str(profile.get('gpg_key_id'))):
            errors.append("%s.gpg_key_id must be the key's full fingerprint (40 hex digits)" % at)
        if PUBLIC_BLOCK not in _str(profile.get('gpg_public_key')):
            errors.append('%s.gpg_public_key must hold the ASCII-armoured public key' % at)
        if profile.get('gpg_secret_key') and PRIVATE_BLOCK not in _str(profile.get('gpg_secret_key')):
            errors.append('%s.gpg_secret_key must hold an ASCII-armoured secret key, or be empty' % at)
    return errors


def _name_errors(profiles):
    """Per profile index: the problems with its name (shape, duplicates, cron file clashes)."""
    names = [_str(profile.get('name')) for profile in profiles]
    errors = {}
    for index, name in enumerate(names):
        found = []
        if not _NAME.match(name):
            found.append("name may only hold letters, digits, '.', '_' and '-', starting with a letter or digit")
        if names.count(name) > 1:
            found.append('name is used by more than one profile')
        if name in RESERVED_NAMES:
            found.append("name '%s' is the runner's command (offsite-backup %s): choose another" % (name, name))
        clashes = [other for other in names if other != name and cron_file(other) == cron_file(name)]
        if clashes:
            found.append("name gives the same cron file (%s) as profile %s, since cron ignores file names with dots: "
                         "rename one of them" % (cron_file(name), ', '.join(sorted(set(clashes)))))
        errors[index] = found
    return errors


def validate(profiles, effective, settings):
    """One message per problem, naming the profile and the field; empty when all is well."""
    errors = []
    name_errors = _name_errors(profiles)
    for index, profile in enumerate(profiles):
        name = _str(profile.get('name'))
        at = 'duply_profiles[%d] (%s)' % (index, name)
        errors.extend('%s.%s' % (at, problem) for problem in name_errors[index])
        if profile.get('state') != 'present':
            continue
        eff = effective[name]
        errors.extend(_source_errors(at, profile))
        errors.extend(_target_errors(at, profile, settings))
        errors.extend(_runner_errors(at, profile, eff))
        errors.extend(_tiering_errors(at, eff, settings))
        errors.extend(_cost_errors(at, profile, eff))
        errors.extend(_upload_errors(at, profile, settings))
        errors.extend(_split_errors(at, profile, eff, settings))
        errors.extend(_drill_errors(at, profile, eff, settings))
        errors.extend(_host_errors(at, profile, eff))
        errors.extend(_gpg_errors(at, profile))
    return errors


def warnings(profiles, effective):
    """Settings that work but cost more than they need to; one message each."""
    found = []
    for index, profile in enumerate(profiles):
        name = _str(profile.get('name'))
        if profile.get('state') != 'present' or name not in effective:
            continue
        eff = effective[name]
        tiering = eff['tiering']
        if tiering.get('storage_class') not in ARCHIVE_CLASSES or not _DIGITS.match(str(tiering.get('days'))):
            continue
        retention = retention_days(eff['batch'], profile.get('max_age'), profile.get('max_full_age'),
                                   profile.get('max_full_backups'), profile.get('max_fulls_with_incrs'))[0]
        warning = volume_size_warning(tiering, profile.get('volume_size'), retention)
        if warning:
            found.append('duply_profiles[%d] (%s).%s' % (index, name, warning))
    return found


def bucket_needs(profiles, effective):
    """The ``duply_bucket_needs`` of the profiles (see the module's docstring)."""
    needs = []
    for profile in profiles:
        if profile.get('state') != 'present':
            continue
        eff = effective[profile['name']]
        needs.append({'profile': profile['name'], 'bucket': profile.get('bucket'), 'prefix': eff['prefix'],
                      'strategy': eff['tiering'].get('strategy'), 'rule': eff['rule'], 'split': eff['split'],
                      'source': profile.get('source'),
                      'storage_class': eff['tiering'].get('storage_class') if eff['tiering'].get('strategy') != 'none' else None})
    return needs


def bucket_need_errors(needs, label='duply_bucket_needs'):
    """Where a ``duply_bucket_needs`` list breaks BUCKET_NEED_SCHEMA; empty when it fits.

    needs may also be a dict of host name to that host's list; messages then start with
    the host's name.
    """
    if isinstance(needs, dict):
        errors = []
        for host, host_needs in needs.items():
            errors.extend(bucket_need_errors(host_needs, '%s: duply_bucket_needs' % host))
        return errors
    if not isinstance(needs, (list, tuple)):
        return ['%s must be a list, not %s' % (label, type(needs).__name__)]
    errors = []
    for index, need in enumerate(needs):
        at = '%s[%d]' % (label, index)
        if not isinstance(need, dict):
            errors.append('%s must be a dict, not %s' % (at, type(need).__name__))
            continue
        for key, kind in BUCKET_NEED_SCHEMA.items():
            if key not in need:
                errors.append('%s.%s is missing' % (at, key))
            elif not isinstance(need[key], kind):
                errors.append('%s.%s has the wrong type (%s)' % (at, key, type(need[key]).__name__))
        extra = sorted(set(need) - set(BUCKET_NEED_SCHEMA))
        if extra:
            errors.append('%s has unknown keys: %s' % (at, ', '.join(extra)))
        if isinstance(need.get('strategy'), str) and need['strategy'] not in STRATEGIES:
            errors.append("%s.strategy must be one of %s, not '%s'" % (at, ', '.join(STRATEGIES), need['strategy']))
        rule = need.get('rule')
        if isinstance(rule, dict):
            for key in ('bucket', 'id', 'filter', 'transitions'):
                if key not in rule:
                    errors.append('%s.rule.%s is missing' % (at, key))
            if not _str(rule.get('id')).startswith(RULE_ID_PREFIX):
                errors.append("%s.rule.id must start with '%s'" % (at, RULE_ID_PREFIX))
    return errors


def profile_view(profiles, settings, host):
    """Everything the duply role needs to know about its profiles, computed once.

    profiles: ``duply_profiles``; settings: the ``duply_*`` variables without the prefix,
    plus ``duplicity_version`` and, when it is not known yet, ``duplicity_version_pending``;
    host: ``inventory_hostname``.
    """
    merged = merge(profiles, settings)
    effective = {}
    for profile in merged:
        effective[_str(profile.get('name'))] = derive(profile, settings, host)
    present = [_str(p.get('name')) for p in merged if p.get('state') == 'present']
    absent = [_str(p.get('name')) for p in merged if p.get('state') == 'absent']
    tags = [name for name in present if effective[name]['tiering'].get('strategy') == 'tags']
    hooks = ([p['name'] + '/pre' for p in merged if p.get('pre')]
             + [p['name'] + '/post' for p in merged if p.get('post')]
             + [name + '/post' for name in tags])
    key_files = ['%s/%s' % (name, key) for name in present for key in effective[name]['key_files']]
    errors = validate(merged, effective, settings)
    systemd = [name for name in present if effective[name]['units']['via'] == 'systemd']
    return {
        'profiles': merged,
        'by_name': dict((p['name'], p) for p in merged),
        'effective': effective,
        'present': present,
        'absent': absent,
        'errors': errors,
        'warnings': warnings(merged, effective) if not errors else [],
        'split_profiles': [name for name in present if effective[name]['split']],
        'tags_profiles': tags,
        'drill_profiles': [name for name in present if effective[name]['drill']],
        'cron_profiles': [p['name'] for p in merged if effective[p['name']]['units']['via'] == 'cron'],
        'systemd_profiles': systemd,
        'systemd_units': [effective[name]['units'][kind] for name in systemd for kind in ('service', 'timer')],
        'hooks': hooks,
        'pubkey_profiles': [p['name'] for p in merged if p.get('gpg_mode') == 'pubkey'],
        'seckey_profiles': [p['name'] for p in merged if p.get('gpg_mode') == 'pubkey' and p.get('gpg_secret_key')],
        'key_files': key_files,
        'bucket_needs': bucket_needs(merged, effective),
    }
