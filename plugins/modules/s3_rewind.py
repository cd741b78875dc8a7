#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: s3_rewind
short_description: Put a prefix of a versioned bucket back as it was at a time, after a host deleted or overwrote it
version_added: 0.1.0
description:
  - For every key under O(prefix) of a versioned bucket, finds the version that was current at O(time)
    (ListObjectVersions) and makes the current objects those again, with the controller's credentials.
  - A key deleted after O(time) (only delete markers after its version) gets its delete markers removed,
    so its version is current again, in the class it is in. A key overwritten after O(time) gets that
    version copied back as a new current version, in the same storage class, with the metadata
    C(offsite-rewind-source) naming the version; a repeated rewind sees it and copies nothing.
    A key made after O(time) gets a delete marker; its versions stay.
  - A version to copy back that is in C(GLACIER) or C(DEEP_ARCHIVE) must be restored first. The module
    requests those restores at once, with the same engine as M(offsite.backup.glacier_restore), and
    changes nothing else until every one is readable. With O(wait=true) it waits once for all of them;
    otherwise it returns with RV(complete=false), and running it again after the restores finish
    completes the rewind.
  - It refuses a O(time) further back than the bucket keeps overwritten and deleted versions (the
    C(NoncurrentDays) of the lifecycle rule C(offsite-backup/protect) the bucket role writes, or
    O(protect_days)), since versions current then may be gone, and says how far back it can go.
  - Nothing here needs the host. Its keys cannot do it; the bucket role's host policy denies
    C(s3:DeleteObjectVersion).
author:
  - offsite.backup maintainers (!UNKNOWN)
options:
  prefix:
    description:
      - The folder to rewind, for example C(pi/photos). A trailing C(/) is added when missing; the default
        is the whole bucket.
    type: str
    default: ''
  time:
    description:
      - The time to go back to, in ISO 8601 (V(2026-11-22), V(2026-11-22T01:02:03Z),
        V(2026-11-22T03:02:03+02:00)); UTC when no offset is given.
    type: str
    required: true
  protect_days:
    description:
      - How many days the bucket keeps noncurrent versions. V(0) reads it from the bucket's lifecycle
        rule C(offsite-backup/protect), and fails when there is none.
    type: int
    default: 0
  tier:
    description: The retrieval tier of the restore requests for archived versions.
    type: str
    choices: ['Expedited', 'Standard', 'Bulk']
    default: Standard
  days:
    description: How many days restored copies of archived versions stay readable, at least 1.
    type: int
    default: 7
  wait:
    description:
      - Wait until every archived version to copy back is readable, then finish the rewind. Not done in
        check mode.
    type: bool
    default: false
  wait_timeout:
    description: How long to wait with O(wait=true), in seconds.
    type: int
    default: 43200
  poll_interval:
    description: Seconds between two polls with O(wait=true), at least 1.
    type: int
    default: 60
  concurrency:
    description: Requests in flight at the same time, from 1 to 64.
    type: int
    default: 16
notes:
  - The credentials need C(s3:GetBucketVersioning), C(s3:GetLifecycleConfiguration),
    C(s3:ListBucketVersions), C(s3:GetObjectVersion), C(s3:RestoreObject), C(s3:PutObject) and
    C(s3:DeleteObjectVersion), which the controller's have and a backup host's must not.
  - Copies are made with CopyObject, which takes objects up to 5 GB; duplicity's volumes are far smaller.
  - Copying a version back stores it again (a new version) and, for an archived one, costs its restore.
    Removing delete markers costs nothing.
extends_documentation_fragment:
  - offsite.backup.s3_bucket
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports what it would do, from the listing and HeadObject; requests no restore and changes nothing.
  diff_mode:
    support: none
    description: RV(steps) says what changes, key by key.
"""

EXAMPLES = r"""
- name: See what putting pi/photos back as it was on 20 November would do
  offsite.backup.s3_rewind:
    bucket: family-backups
    prefix: pi/photos
    time: "2026-11-20T00:00:00Z"
  check_mode: true
  register: plan

- name: Do it, restoring archived versions at Bulk and waiting for them
  offsite.backup.s3_rewind:
    bucket: family-backups
    prefix: pi/photos
    time: "2026-11-20T00:00:00Z"
    tier: Bulk
    wait: true
    wait_timeout: 172800
"""

RETURN = r"""
time:
  description: The time rewound to, in ISO 8601 UTC.
  returned: always
  type: str
  sample: "2026-11-20T00:00:00+00:00"
protect_days:
  description: How many days the bucket keeps noncurrent versions, as used for the window check.
  returned: always
  type: int
  sample: 180
counts:
  description: Keys per action, and how many archived versions need a restore first.
  returned: always
  type: dict
  contains:
    keep:
      description: Keys whose version current at the time is still current.
      type: int
    undelete:
      description: Keys whose delete markers are (or would be) removed.
      type: int
    copy_back:
      description: Keys whose older version is (or would be) copied back.
      type: int
    hide:
      description: Keys made after the time, which get a delete marker.
      type: int
    restore:
      description: Versions to copy back that are archived.
      type: int
  sample: {"keep": 12, "undelete": 30, "copy_back": 2, "hide": 1, "restore": 1}
restores:
  description: The archived versions to copy back, and what became of their restore requests.
  returned: always
  type: dict
  contains:
    requested:
      description: Restore requests sent now (none in check mode).
      type: int
    waiting:
      description: Versions that were not readable when the module last looked.
      type: list
      elements: str
  sample: {"requested": 1, "waiting": []}
complete:
  description: Whether the prefix is now as it was at the time (in check mode, whether it already was).
  returned: always
  type: bool
  sample: true
steps:
  description: What is (or would be) done to each key that changes, at most 1000.
  returned: always
  type: list
  elements: dict
  contains:
    key:
      description: The object key.
      type: str
    action:
      description: undelete, copy_back or hide.
      type: str
    version_id:
      description: The version current at the time (undelete and copy_back).
      type: str
    storage_class:
      description: Its storage class.
      type: str
  sample: [{"key": "pi/photos/duplicity-full.20261101T020000Z.vol1.difftar.gpg", "action": "undelete",
            "version_id": "3HL4kqtJlcpXroDTDmJ", "storage_class": "DEEP_ARCHIVE"}]
failed_objects:
  description: Keys whose request failed, with the error.
  returned: always
  type: list
  elements: dict
  sample: []
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.offsite.backup.plugins.module_utils.offsite_protection import (
    REWIND_SOURCE,
    RULE_ID,
    copies_to_check,
    needs_restore,
    parse_time,
    plan_counts,
    rewind_plan,
    window_error,
)
from ansible_collections.offsite.backup.plugins.module_utils.restore_requests import (
    head_objects,
    request_option_errors,
    request_options,
    restore_objects,
    wait_until_readable,
)
from ansible_collections.offsite.backup.plugins.module_utils.restore_selection import normalise_prefix
from ansible_collections.offsite.backup.plugins.module_utils.restore_states import restore_state
from ansible_collections.offsite.backup.plugins.module_utils.restore_times import now_utc
from ansible_collections.offsite.backup.plugins.module_utils.s3_client import CALL_ARGS, connect
from ansible_collections.offsite.backup.plugins.module_utils.s3_engine import (
    ListingError,
    call,
    describe_error,
    iter_versions,
    run_concurrently,
    watch_throttling,
)

STEP_LIST_LIMIT = 1000


def validate(module, result):
    params = module.params
    problems = request_option_errors(params)
    if params['protect_days'] < 0:
        problems.append('protect_days must not be negative, got %d' % params['protect_days'])
    moment = None
    try:
        moment = parse_time(params['time'])
    except ValueError:
        problems.append("time must be an ISO 8601 date or time such as 2026-11-20T00:00:00Z, got '%s'" % params['time'])
    if problems:
        module.fail_json(msg='; '.join(problems), **result)
    return moment


def protected_days(module, client, bucket, result):
    """The bucket's versioning must be on; the days come from the option or the protection rule."""
    response, exc = call(client.get_bucket_versioning, CALL_ARGS, Bucket=bucket)
    if exc is not None:
        module.fail_json(msg='Cannot read the versioning of %s: %s' % (bucket, describe_error(exc)), **result)
    if response.get('Status') not in ('Enabled', 'Suspended'):
        module.fail_json(msg='Bucket %s has never had versioning on, so it keeps no older versions to go back to. '
                             'The bucket role protects buckets (bucket_protect).' % bucket, **result)
    if module.params['protect_days']:
        return module.params['protect_days']
    response, exc = call(client.get_bucket_lifecycle_configuration, CALL_ARGS, Bucket=bucket)
    rules = [] if exc is not None else response.get('Rules') or []
    for rule in rules:
        if rule.get('ID') == RULE_ID and rule.get('Status') == 'Enabled':
            days = (rule.get('NoncurrentVersionExpiration') or {}).get('NoncurrentDays')
            if days:
                return int(days)
    module.fail_json(msg='Bucket %s has no enabled lifecycle rule %s, so how long it keeps older versions is '
                         'unknown; give protect_days.' % (bucket, RULE_ID), **result)
    return None


def rewind_sources(client, bucket, keys, concurrency):
    """{key: the version its current version was copied from by a rewind}, from HeadObject."""
    def one(key):
        response, exc = call(client.head_object, CALL_ARGS, Bucket=bucket, Key=key)
        return None if exc is not None else (response.get('Metadata') or {}).get(REWIND_SOURCE)
    return dict((key, source) for key, source in run_concurrently(
        one, list(keys), concurrency, throttle=watch_throttling(client, concurrency)) if source)


def archived_states(client, bucket, steps, concurrency):
    """For each archived version to copy: its restore state (archived, in_progress, restored)."""
    version_ids = dict((step['key'], step['version_id']) for step in steps)
    heads = head_objects(client, bucket, list(version_ids), concurrency, CALL_ARGS, version_ids)
    states = {}
    for key, head in heads.items():
        if head.get('error'):
            states[key] = ('failed', head['error'])
        else:
            states[key] = (restore_state(head.get('storage_class'), head.get('restore'), head.get('archive_status'))[0],
                           None)
    return states


def apply_step(client, bucket, step):
    """Undelete, copy back or hide one key; return an error text or None."""
    key = step['key']
    if step['action'] == 'undelete':
        for marker in step['markers']:
            dummy, exc = call(client.delete_object, CALL_ARGS, Bucket=bucket, Key=key, VersionId=marker)
            if exc is not None:
                return describe_error(exc)
        return None
    if step['action'] == 'hide':
        dummy, exc = call(client.delete_object, CALL_ARGS, Bucket=bucket, Key=key)
        return None if exc is None else describe_error(exc)
    head, exc = call(client.head_object, CALL_ARGS, Bucket=bucket, Key=key, VersionId=step['version_id'])
    if exc is not None:
        return describe_error(exc)
    metadata = dict(head.get('Metadata') or {})
    metadata[REWIND_SOURCE] = step['version_id']
    extra = {}
    if head.get('ContentType'):
        extra['ContentType'] = head['ContentType']
    dummy, exc = call(client.copy_object, CALL_ARGS, Bucket=bucket, Key=key,
                      CopySource={'Bucket': bucket, 'Key': key, 'VersionId': step['version_id']},
                      StorageClass=step['storage_class'], MetadataDirective='REPLACE', Metadata=metadata, **extra)
    return None if exc is None else describe_error(exc)


def main():
    argument_spec = dict(
        bucket=dict(type='str', required=True),
        prefix=dict(type='str', default=''),
        time=dict(type='str', required=True),
        protect_days=dict(type='int', default=0),
        **request_options()
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    bucket = params['bucket']
    prefix = normalise_prefix(params['prefix'].lstrip('/'))
    result = dict(changed=False, time=None, protect_days=None, counts=plan_counts([]),
                  restores=dict(requested=0, waiting=[]), complete=False, steps=[], failed_objects=[])
    moment = validate(module, result)
    result['time'] = moment.isoformat()
    client = connect(module, params['concurrency'])

    days = protected_days(module, client, bucket, result)
    result['protect_days'] = days
    problem = window_error(moment, now_utc(), days)
    if problem:
        module.fail_json(msg='Cannot rewind s3://%s/%s: %s.' % (bucket, prefix, problem), **result)

    try:
        items = list(iter_versions(client, bucket, prefix, CALL_ARGS))
    except ListingError as e:
        module.fail_json_aws(e.cause, msg=str(e), **result)
    plan = rewind_plan(items, moment)
    sources = rewind_sources(client, bucket, copies_to_check(items, plan), params['concurrency'])
    if sources:
        plan = rewind_plan(items, moment, sources)
    steps = [step for step in plan if step['action'] != 'keep']
    result['counts'] = plan_counts(plan)
    result['steps'] = [dict((k, v) for k, v in step.items() if k != 'markers') for step in steps[:STEP_LIST_LIMIT]]
    result['complete'] = not steps
    if not steps:
        module.exit_json(**result)
    result['changed'] = True

    archived = [step for step in steps if needs_restore(step)]
    states = archived_states(client, bucket, archived, params['concurrency']) if archived else {}
    failed = [dict(key=key, error=error) for key, (state, error) in sorted(states.items()) if state == 'failed']
    to_request = [step for step in archived if states[step['key']][0] == 'archived']
    waiting = [step['key'] for step in archived if states[step['key']][0] in ('archived', 'in_progress')]
    version_ids = dict((step['key'], step['version_id']) for step in archived)
    if to_request and not module.check_mode:
        outcomes = restore_objects(client, bucket, [(step['key'], None) for step in to_request], params['days'],
                                   params['tier'], params['concurrency'], CALL_ARGS, version_ids)
        for key, (outcome, error) in sorted(outcomes.items()):
            if outcome == 'failed':
                failed.append(dict(key=key, error=error))
            elif outcome == 'requested':
                result['restores']['requested'] += 1
    result['restores']['waiting'] = sorted(waiting)
    if failed:
        result['failed_objects'] = failed
        module.fail_json(msg='%d archived versions could not be restored; nothing was changed yet' % len(failed),
                         **result)
    if module.check_mode:
        module.exit_json(**result)
    if waiting:
        if not params['wait']:
            # Only the restore requests changed anything so far.
            result['changed'] = result['restores']['requested'] > 0
            module.exit_json(msg='Requested the restore of %d archived versions; run again once they are readable '
                                 'to finish the rewind.' % len(waiting), **result)
        outcome = wait_until_readable(client, bucket, waiting, timeout=params['wait_timeout'],
                                      interval=params['poll_interval'], concurrency=params['concurrency'],
                                      call_args=CALL_ARGS, log=module.debug, version_ids=version_ids)
        if not outcome['readable']:
            result['restores']['waiting'] = [item['key'] for item in outcome['unreadable']]
            module.fail_json(msg='%d archived versions are not readable after %.0f seconds; nothing was changed yet'
                                 % (len(outcome['unreadable']), outcome['seconds']), **result)
        result['restores']['waiting'] = []

    errors = run_concurrently(lambda step: apply_step(client, bucket, step), steps, params['concurrency'],
                              throttle=watch_throttling(client, params['concurrency']))
    result['failed_objects'] = sorted((dict(key=step['key'], error=error) for step, error in errors if error),
                                      key=lambda item: item['key'])
    if result['failed_objects']:
        module.fail_json(msg='%d keys could not be put back; run the module again' % len(result['failed_objects']),
                         **result)
    result['complete'] = True
    module.exit_json(**result)


if __name__ == '__main__':
    main()
