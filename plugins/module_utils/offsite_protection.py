# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Protected history: what a backup host may do to its bucket, and how long S3 keeps
what it overwrote or deleted.

With protection on, a bucket has versioning and one lifecycle rule (``protection_rule``)
that removes noncurrent versions and expired delete markers after ``days``. A host's
keys (``host_policy``) can back up, list, restore, resume and purge in its own
prefixes, but a delete only adds a delete marker: deleting versions and changing the
bucket's versioning, lifecycle, policy or object lock are denied. Until ``days`` have
passed, the controller can put a prefix back as it was at any time T
(``rewind_plan``).

Stdlib only. Used by the bucket role (through filters) and the ``s3_rewind`` module.
"""

from __future__ import annotations

import datetime

from ansible_collections.offsite.backup.plugins.module_utils.s3_prices import MINIMUM_DAYS

RULE_ID = 'offsite-backup/protect'
LOCK_MODES = ('GOVERNANCE', 'COMPLIANCE')
PROTECT_MODES = ('auto', 'always', 'never')
# Without an archive class: three months to notice that something went wrong.
BASE_DAYS = 90

# Everything duplicity, duply and the runner do in a profile's prefix: HeadObject is
# s3:GetObject, multipart uploads are s3:PutObject, a purge is s3:DeleteObject (which
# only adds a delete marker on a versioned bucket), resumes and drills restore.
OBJECT_ACTIONS = (
    's3:AbortMultipartUpload',
    's3:DeleteObject',
    's3:GetObject',
    's3:ListMultipartUploadParts',
    's3:PutObject',
    's3:RestoreObject',
)
# The tags strategy's post-backup pass.
TAG_ACTIONS = ('s3:GetObjectTagging', 's3:PutObjectTagging')
# What would destroy history or turn protection off. Denied explicitly, so that no
# other policy attached to the same user can grant it by accident.
DENIED_ACTIONS = (
    's3:BypassGovernanceRetention',
    's3:DeleteBucket',
    's3:DeleteBucketPolicy',
    's3:DeleteObjectTagging',
    's3:DeleteObjectVersion',
    's3:DeleteObjectVersionTagging',
    's3:PutBucketAcl',
    's3:PutBucketObjectLockConfiguration',
    's3:PutBucketOwnershipControls',
    's3:PutBucketPolicy',
    's3:PutBucketPublicAccessBlock',
    's3:PutBucketVersioning',
    's3:PutEncryptionConfiguration',
    's3:PutLifecycleConfiguration',
    's3:PutObjectLegalHold',
    's3:PutObjectRetention',
    's3:PutObjectVersionTagging',
    's3:PutReplicationConfiguration',
)

ARCHIVED = ('GLACIER', 'DEEP_ARCHIVE')


def _object_arn(bucket, prefix):
    return 'arn:aws:s3:::%s/%s' % (bucket, '%s/*' % prefix if prefix else '*')


def host_policy(needs):
    """The IAM policy document for a host whose profiles have these ``duply_bucket_needs``.

    Per bucket: listing (HeadBucket, which duplicity calls first, is s3:ListBucket too and
    carries no prefix, hence ...IfExists), the object actions in the profiles' prefixes,
    tagging where a profile uses the tags strategy, and an explicit deny of
    DENIED_ACTIONS on the bucket and everything in it. Other prefixes are not granted,
    so they are denied.
    """
    statements = []
    buckets = sorted({need['bucket'] for need in needs})
    for index, bucket in enumerate(buckets, 1):
        own = [need for need in needs if need['bucket'] == bucket]
        prefixes = sorted({need['prefix'] for need in own})
        tagged = sorted({need['prefix'] for need in own if need.get('strategy') == 'tags'})
        listed = []
        for prefix in prefixes:
            listed.extend(['%s/' % prefix, '%s/*' % prefix] if prefix else ['*'])
        statements.append({
            'Sid': 'List%d' % index,
            'Effect': 'Allow',
            'Action': ['s3:ListBucket'],
            'Resource': ['arn:aws:s3:::%s' % bucket],
            'Condition': {'StringLikeIfExists': {'s3:prefix': listed}},
        })
        statements.append({
            'Sid': 'Objects%d' % index,
            'Effect': 'Allow',
            'Action': list(OBJECT_ACTIONS),
            'Resource': [_object_arn(bucket, prefix) for prefix in prefixes],
        })
        if tagged:
            statements.append({
                'Sid': 'Tags%d' % index,
                'Effect': 'Allow',
                'Action': list(TAG_ACTIONS),
                'Resource': [_object_arn(bucket, prefix) for prefix in tagged],
            })
        statements.append({
            'Sid': 'KeepHistory%d' % index,
            'Effect': 'Deny',
            'Action': list(DENIED_ACTIONS),
            'Resource': ['arn:aws:s3:::%s' % bucket, 'arn:aws:s3:::%s/*' % bucket],
        })
    return {'Version': '2012-10-17', 'Statement': statements}


def minimum_days(needs):
    """The least protection days that never delete an archived version early: the
    longest minimum storage duration of the classes the needs' backups end up in, and
    at least BASE_DAYS."""
    days = BASE_DAYS
    for need in needs:
        days = max(days, MINIMUM_DAYS.get(need.get('storage_class') or '', 0))
    return days


def protection_days(needs, requested):
    """(days, warnings) for a bucket: requested when it is a positive number, else
    minimum_days. A requested value below a class's minimum storage duration is kept
    but named in a warning: noncurrent versions would then be deleted early and billed
    for the days left."""
    floor = minimum_days(needs)
    if not requested:
        return floor, []
    requested = int(requested)
    warnings = []
    for need in needs:
        storage_class = need.get('storage_class') or ''
        least = MINIMUM_DAYS.get(storage_class, 0)
        if requested < least:
            warnings.append(
                "protection keeps overwritten and deleted backups of profile '%s' for %d days, less than "
                "%s's minimum storage duration of %d days: each such version is billed for the days left "
                "(early deletion). Set bucket_protect_days to %d or more to avoid it."
                % (need.get('profile'), requested, storage_class, least, least))
    return requested, warnings


def principal_errors(principals):
    """Messages for bucket_iam_principals (host name -> type user|role and name)."""
    if not isinstance(principals, dict):
        return ['bucket_iam_principals must be a dictionary of host names, not %r' % (principals,)]
    errors = []
    for host in sorted(principals):
        principal = principals[host]
        at = 'bucket_iam_principals.%s' % host
        if not isinstance(principal, dict):
            errors.append('%s must be a dictionary with type and name, not %r' % (at, principal))
            continue
        if principal.get('type') not in ('user', 'role'):
            errors.append('%s.type must be user or role, not %r' % (at, principal.get('type')))
        if not isinstance(principal.get('name'), str) or not principal.get('name'):
            errors.append('%s.name must be the name of the IAM %s' % (at, principal.get('type') or 'user'))
        extra = sorted(set(principal) - {'type', 'name'})
        if extra:
            errors.append('%s has unknown keys: %s' % (at, ', '.join(extra)))
    return errors


def protection_errors(protect, protect_days, lock, principals=None):
    """Messages for the bucket role's protection settings; empty when they are usable."""
    errors = principal_errors(principals or {})
    if protect not in PROTECT_MODES:
        errors.append('bucket_protect must be one of %s, not %r' % (', '.join(PROTECT_MODES), protect))
    if not isinstance(protect_days, int) or isinstance(protect_days, bool) or protect_days < 0:
        errors.append('bucket_protect_days must be a whole number of days (0 for automatic), not %r'
                      % (protect_days,))
    if lock:
        if not isinstance(lock, dict):
            errors.append('bucket_object_lock must be a dictionary with mode and days, not %r' % (lock,))
        else:
            mode = str(lock.get('mode', '')).upper()
            if mode not in LOCK_MODES:
                errors.append('bucket_object_lock.mode must be one of %s, not %r'
                              % (', '.join(LOCK_MODES), lock.get('mode')))
            days = lock.get('days')
            if not isinstance(days, int) or isinstance(days, bool) or days < 1:
                errors.append('bucket_object_lock.days must be a positive whole number, not %r' % (days,))
            extra = sorted(set(lock) - {'mode', 'days'})
            if extra:
                errors.append('bucket_object_lock has unknown keys: %s' % ', '.join(extra))
        if protect == 'never':
            errors.append('bucket_object_lock needs protection: set bucket_protect to auto or always, '
                          'or bucket_object_lock to {}')
    return errors


def existing_buckets(info_results):
    """``existing`` for bucket_plan from amazon.aws.s3_bucket_info's looped results (one
    per bucket name, with bucket_versioning and bucket_lifecycle_configuration facts):
    only the buckets it found."""
    existing = {}
    for result in info_results:
        found = result.get('buckets') or []
        if not found:
            continue
        versioning = found[0].get('bucket_versioning') or {}
        lifecycle = found[0].get('bucket_lifecycle_configuration') or {}
        existing[result['item']] = {'versioning': versioning.get('Status') or '',
                                    'rules': [rule.get('ID') for rule in lifecycle.get('Rules') or []]}
    return existing


def bucket_plan(needs, protect, protect_days, lock, existing):
    """What protection each bucket gets, from the hosts' needs and what S3 says now.

    needs: the flattened ``duply_bucket_needs`` of every host; existing: for each bucket
    that exists, ``{'versioning': 'Enabled'|'Suspended'|'', 'rules': [rule ids]}``.
    protect auto protects the buckets this role makes and those it protected before
    (its rule is there); always protects every bucket; never leaves them as they are.
    Returns ``{bucket: {'new', 'protect', 'days', 'rule', 'lock', 'warnings'}}``; lock
    (S3 Object Lock's default retention) only for new buckets, which is when
    amazon.aws.s3_bucket can turn it on.
    """
    plan = {}
    for bucket in sorted({need['bucket'] for need in needs}):
        own = [need for need in needs if need['bucket'] == bucket]
        state = existing.get(bucket)
        new = state is None
        if protect == 'auto':
            on = new or RULE_ID in (state.get('rules') or [])
        else:
            on = protect == 'always'
        days, warnings = protection_days(own, protect_days) if on else (0, [])
        bucket_lock = None
        if on and lock:
            if new:
                bucket_lock = {'mode': str(lock['mode']).upper(), 'days': int(lock['days'])}
            else:
                warnings.append('bucket %s exists, and S3 Object Lock is turned on only for buckets this role '
                                'makes: it stays as it is' % bucket)
        plan[bucket] = {'new': new, 'protect': on, 'days': days, 'rule': protection_rule(days) if on else None,
                        'lock': bucket_lock, 'warnings': warnings}
    return plan


def protection_rule(days):
    """The lifecycle rule (in the s3_lifecycle module's form) that ends protection after days."""
    return {
        'id': RULE_ID,
        'status': 'enabled',
        'filter': {},
        'noncurrent_version_expiration': {'noncurrent_days': int(days)},
        'expiration': {'expired_object_delete_marker': True},
    }


# Recovery: the versions current at a time T.

def _utc(value):
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(datetime.timezone.utc)
    text = str(value).strip()
    if text.endswith('Z'):
        text = text[:-1] + '+00:00'
    parsed = datetime.datetime.fromisoformat(text)
    return _utc(parsed)


def parse_time(value):
    """An ISO 8601 time (a date alone means its midnight, UTC when no zone is given)."""
    return _utc(value)


def window_error(when, now, days):
    """Why T cannot be rewound to, or None: versions that stopped being current at or
    after T are kept for days after that, so every version current at T still exists
    while now - T < days."""
    when, now = _utc(when), _utc(now)
    if when > now:
        return 'the time to rewind to (%s) is in the future' % when.isoformat()
    oldest = (now - datetime.timedelta(days=int(days))).replace(microsecond=0)
    if when <= oldest:
        return ('the bucket keeps overwritten and deleted versions for %d days, so it cannot go back to %s; '
                'the oldest time it can rewind to is after %s' % (int(days), when.isoformat(), oldest.isoformat()))
    return None


REWIND_SOURCE = 'offsite-rewind-source'


def _entries(items):
    for item in items:
        marker = bool(item.get('DeleteMarker'))
        yield {'key': item['Key'], 'version_id': item['VersionId'], 'time': _utc(item['LastModified']),
               'latest': bool(item.get('IsLatest')), 'marker': marker,
               'storage_class': None if marker else item.get('StorageClass') or 'STANDARD',
               'size': 0 if marker else int(item.get('Size') or 0), 'etag': item.get('ETag')}


def rewind_plan(items, when, sources=None):
    """What to do, key by key, so that the current objects are those current at ``when``.

    items are ListObjectVersions' Versions and DeleteMarkers, each with ``DeleteMarker``
    True or False (s3_engine.iter_versions), in any order; LastModified as datetime or
    ISO text. sources maps a key to the version its current version was copied from by
    an earlier rewind (its REWIND_SOURCE metadata), so a rewind repeated changes nothing.
    Returns a list of dicts sorted by key, each with ``key`` and ``action``:

    * ``keep``: the version current at T is still current (or an equal copy of it is);
    * ``undelete``: it is the newest version and only delete markers came after it:
      remove those markers (``markers``: their version ids);
    * ``copy_back``: it was overwritten after T: copy it back as the current version
      (``version_id``, ``storage_class``, ``size``; archived ones need a restore first,
      see needs_restore);
    * ``hide``: the key did not exist at T but does now: add a delete marker.

    Keys that did not exist at T and do not exist now are left out. Entries with the same
    LastModified are ordered as S3 marks them: the one that IsLatest comes last.
    """
    when = _utc(when)
    sources = sources or {}
    by_key = {}
    for entry in _entries(items):
        by_key.setdefault(entry['key'], []).append(entry)
    plan = []
    for key in sorted(by_key):
        history = sorted(by_key[key], key=lambda e: (e['time'], e['latest']))
        current = history[-1]
        before = [e for e in history if e['time'] <= when]
        then = before[-1] if before else None
        if then is None or then['marker']:
            if not current['marker']:
                plan.append({'key': key, 'action': 'hide'})
            continue
        step = {'key': key, 'version_id': then['version_id'], 'storage_class': then['storage_class']}
        if then is current or (not current['marker'] and sources.get(key) == then['version_id']):
            plan.append(dict(step, action='keep'))
            continue
        later = history[history.index(then) + 1:]
        if all(e['marker'] for e in later):
            plan.append(dict(step, action='undelete', markers=[e['version_id'] for e in later]))
        else:
            plan.append(dict(step, action='copy_back', size=then['size']))
    return plan


def copies_to_check(items, plan):
    """Keys whose current version may be an earlier rewind's copy of T's version: the
    plan (rewind_plan without sources) copies them back, and the current version has the
    same size. Their REWIND_SOURCE metadata (HeadObject) decides."""
    latest = {}
    for entry in _entries(items):
        if entry['latest'] and not entry['marker']:
            latest[entry['key']] = entry
    return sorted(step['key'] for step in plan
                  if step['action'] == 'copy_back' and step['key'] in latest and latest[step['key']]['size'] == step['size'])


def needs_restore(step):
    """True when a step copies an archived version, which S3 copies only once restored."""
    return step['action'] == 'copy_back' and step.get('storage_class') in ARCHIVED


def plan_counts(plan):
    """How many keys each action touches."""
    counts = {'keep': 0, 'undelete': 0, 'copy_back': 0, 'hide': 0, 'restore': 0}
    for step in plan:
        counts[step['action']] += 1
        if needs_restore(step):
            counts['restore'] += 1
    return counts
