#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: glacier_restore
short_description: Restore from Glacier or Deep Archive every object a duplicity restore to a point in time needs
version_added: 0.1.0
description:
  - Finds the duplicity backup under O(prefix) of an S3 bucket, selects exactly the objects a
    C(duplicity restore) to O(time) reads, and asks S3 to restore, all at once, every one of
    them that is archived and neither restored nor being restored. With O(wait=true) it then
    waits once, for all of them, until they are readable.
  - The objects are those of one chain, the one whose full set is the latest complete one at
    or before O(time) (duplicity's choice), with its full set and its incremental sets whose time
    is at or before O(time), up to the first set without a manifest. For each of these sets
    it takes the volumes, the manifest, the signature files (so the chain's full signatures
    too) and the C(jsonstat) file when there is one.
  - It also takes the manifests and signature files of every other set under O(prefix), of any
    chain and time. Before a restore, duplicity copies each one its local cache lacks (every one,
    on a replacement host), so they must be readable too. Volumes of other chains and of later
    sets, and duplicity's local C(.part) files, are left alone. Any C(--file-prefix*) is
    recognised (the C(prefix) tiering strategy's C(archive-duplicity-...) volumes belong to
    their sets).
  - An object is archived when it is in C(GLACIER) or C(DEEP_ARCHIVE), or in an archive access
    tier of C(INTELLIGENT_TIERING). Its restore state comes from the listing or from HeadObject,
    as O(states_from) says; HeadObject is sent concurrently, for the selected objects in these
    classes only.
  - RestoreObject requests run concurrently in O(concurrency) threads. A re-run sends none for
    objects already restored or being restored, so it is safe to repeat; an answer
    C(RestoreAlreadyInProgress) counts as in progress.
  - Throttling and server errors are retried. An object whose request still fails is reported
    in RV(failed_objects), never counted as requested, and the module fails after handling
    all the others.
  - O(tier=Expedited) is refused, before any restore request, when an object to restore is in
    C(DEEP_ARCHIVE) (or Intelligent-Tiering's deep archive access tier), which has no expedited
    retrieval.
  - RV(estimate) gives the typical time and the approximate retrieval cost of the restore
    for each tier, from the sizes and the number of objects to restore.
author:
  - offsite.backup maintainers (!UNKNOWN)
options:
  prefix:
    description:
      - The folder of the bucket that holds the backup, as in the duplicity target
        C(boto3+s3://BUCKET/PREFIX), for example C(pi/photos). A trailing C(/) is added when
        missing. Only objects directly in this folder are considered.
      - The default is the root of the bucket.
    type: str
    default: ''
  time:
    description:
      - The point in time to restore, in one of duplicity's time formats, as for
        C(duplicity restore --time).
      - V(now) or no value for the latest backup.
      - A date or a date and time in ISO 8601 form (V(2026-11-22), V(2026-11-22T01:02:03),
        V(2026-11-22T01:02:03Z), V(2026-11-22T03:02:03+02:00)), V(2026/11/22) or V(11/22/2026),
        or duplicity's own V(20261122T010203Z). Without an offset the time is taken as UTC
        (duplicity takes it in the host's time zone, so give duplicity RV(duplicity_time) instead).
      - An interval meaning that long ago, numbers with units V(s), V(m), V(h), V(D), V(W),
        V(M) (30 days) and V(Y) (365 days), for example V(3D), V(2W), V(1M), V(1Y) or V(1h30m),
        counted back from when the module starts (see RV(restore_time_epoch)).
      - Seconds since the epoch, for example V(1795309323).
      - A time before the chain's first full backup fails the task.
    type: str
  tier:
    description:
      - The retrieval tier of the restore requests. V(Expedited) takes minutes and costs most,
        V(Bulk) takes longest and costs least. See RV(estimate).
    type: str
    choices: ['Expedited', 'Standard', 'Bulk']
    default: Standard
  days:
    description:
      - How many days the restored copies stay readable, at least 1. They are billed as
        C(STANDARD) storage meanwhile.
      - Not sent for objects in Intelligent-Tiering's archive tiers, which a restore moves
        back to the frequent access tier for good.
    type: int
    default: 7
  wait:
    description:
      - After the requests, wait until every selected object is readable, polling HeadObject for
        those not yet readable every O(poll_interval) seconds, logging progress (see
        RV(wait)).
      - The wait stops with a failure after O(wait_timeout) seconds, or when an object shows
        neither a restored copy nor a restore in progress three polls in a row; the task then
        lists the objects that are not readable.
      - Not done in check mode, which makes no requests to wait for.
    type: bool
    default: false
  wait_timeout:
    description:
      - How long to wait, in seconds, with O(wait=true). The default, 12 hours, covers a
        C(Standard) restore from C(DEEP_ARCHIVE); C(Bulk) from C(DEEP_ARCHIVE) can take 48 hours.
    type: int
    default: 43200
  poll_interval:
    description:
      - Seconds between two polls with O(wait=true), at least 1.
    type: int
    default: 60
  concurrency:
    description:
      - Number of HeadObject and RestoreObject requests in flight at the same time (worker
        threads, and the size of the client's connection pool). From 1 to 64.
    type: int
    default: 16
  states_from:
    description:
      - Where the restore states of C(GLACIER) and C(DEEP_ARCHIVE) objects come from.
      - V(listing) asks ListObjectsV2 for each object's C(RestoreStatus)
        (C(OptionalObjectAttributes)), which AWS S3 gives for every object with a restore in
        progress or done, and leaves out for the others. No HeadObject is sent for these
        classes, so a first run costs the listing and one RestoreObject per archived object.
      - V(head) sends a HeadObject for each of them. S3-compatible stores that ignore
        C(OptionalObjectAttributes) need it; with V(listing) they would look never restored,
        and every run would send RestoreObject again.
      - V(auto) is V(listing) on AWS (no O(endpoint_url), or one on C(amazonaws.com)), else V(head).
      - V(listing) needs botocore 1.31.67 or later; with an older one the module uses V(head).
      - Intelligent-Tiering objects always get a HeadObject, the only place their archive
        access tier shows.
    type: str
    choices: [auto, listing, head]
    default: auto
notes:
  - The credentials need C(s3:ListBucket) on the bucket, and C(s3:GetObject) (HeadObject) and
    C(s3:RestoreObject) on the objects. In check mode C(s3:RestoreObject) is not used.
  - Duplicity reads the manifest and signature files of every chain it does not have in its
    cache (C(--archive-dir)), not just those of the restored chain. When such files of other
    sets are in an archive class, the module warns; restore them too or keep the cache.
  - Only the current version of each object is restored in a versioned bucket.
  - S3 bills a restore request again for an object already restored (and extends its copy),
    which is why the module does not send one for restored objects; use O(days) on the first
    request to keep copies long enough.
seealso:
  - module: offsite.backup.duplicity_info
  - name: Restoring an archived object
    description: Retrieval tiers, times and the RestoreObject request.
    link: https://docs.aws.amazon.com/AmazonS3/latest/userguide/restoring-objects.html
  - name: Amazon S3 pricing
    description: Current retrieval prices per GB and per request.
    link: https://aws.amazon.com/s3/pricing/
attributes:
  check_mode:
    support: full
    description: Lists and reads the objects, sends no RestoreObject; RV(counts.requested) and RV(requested) say what would be requested.
  diff_mode:
    support: none
    description: Restore requests are not a change of a configuration; RV(counts) and RV(requested) say what was asked for.
extends_documentation_fragment:
  - offsite.backup.s3_bucket
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# Authentication, region and endpoint_url come from module_defaults for
# group/offsite.backup.aws (or group/amazon.aws.aws), or from the environment.

- name: See what a restore of the latest backup would request, and what it would cost
  offsite.backup.glacier_restore:
    bucket: family-backups
    prefix: pi/photos
  check_mode: true
  register: plan

- name: Show the estimate
  ansible.builtin.debug:
    msg: "{{ plan.counts.requested }} objects, {{ plan.bytes.to_restore | human_readable }}: {{ plan.estimate.Bulk }}"

- name: Restore what a restore to 22 November needs, cheaply, and wait for it
  offsite.backup.glacier_restore:
    bucket: family-backups
    prefix: pi/photos
    time: "2026-11-22"
    tier: Bulk
    days: 3
    wait: true
    wait_timeout: 172800
    poll_interval: 600

- name: Restore the state of two weeks ago, for two days
  offsite.backup.glacier_restore:
    bucket: family-backups
    prefix: nas/mail
    time: 2W
    days: 2
"""

RETURN = r"""
time:
  description:
    - The point in time selected, ISO 8601 UTC, or V(null) for the latest backup.
    - An interval (V(2W), V(1M)) is resolved once, against the controller's clock when the
      module starts; a time without offset is UTC.
  returned: always
  type: str
  sample: "2026-11-22T00:00:00Z"
restore_time_epoch:
  description:
    - The point in time selected, in whole seconds since the epoch,
      or V(null) for the latest backup.
    - Give duplicity this absolute time (RV(duplicity_time)), not O(time) again. Duplicity
      reads an interval relative to the host's clock when it runs, up to RV(wait) later, and a
      date without offset in the host's time zone, so it could pick sets whose objects were
      never requested.
  returned: always
  type: int
  sample: 1795305600
duplicity_time:
  description: RV(restore_time_epoch) as the string to pass to C(duplicity --time) or C(duply ... restore DIR TIME), or V(null) for the latest backup.
  returned: always
  type: str
  sample: "1795305600"
chain:
  description: The chain the restore reads, with its folder and the times of its full set and last set.
  returned: when a chain was selected
  type: dict
  sample: {"prefix": "pi/photos/", "full_time": "2026-11-01T02:17:00Z", "end_time": "2026-11-30T02:17:00Z"}
set_times:
  description: The times of the selected sets, the full set first, ISO 8601 UTC.
  returned: always
  type: list
  elements: str
  sample: ["2026-11-01T02:17:00Z", "2026-11-02T02:17:00Z"]
sets:
  description:
    - The selected sets in order, as M(offsite.backup.duplicity_info) reports them (type, time,
      start_time, complete, objects, volumes, bytes, storage_classes, restore_states,
      unknown_state, restored_until, restored_first_expiry), counting the objects the restore
      needs (no C(.part) files), with the restore states seen before any request.
  returned: always
  type: list
  elements: dict
counts:
  description:
    - How many objects the restore needs and what happened to them. RV(counts.needed) is the
      sum of the other counts except RV(counts.issued).
  returned: always
  type: dict
  contains:
    needed:
      description: Objects the restore reads.
      type: int
      sample: 104
    not_archived:
      description: Needed objects that are readable without a restore (not in an archive class).
      type: int
      sample: 4
    already_restored:
      description: Needed objects that have a restored copy (including those for which S3 answered a request saying so).
      type: int
      sample: 10
    in_progress:
      description: Needed objects whose restore is under way (including C(RestoreAlreadyInProgress) answers).
      type: int
      sample: 20
    requested:
      description: Objects whose restore request S3 accepted; in check mode, the objects a request would be sent for.
      type: int
      sample: 70
    failed:
      description: Objects whose state could not be read or whose request failed; see RV(failed_objects).
      type: int
      sample: 0
    issued:
      description: RestoreObject requests sent (0 in check mode).
      type: int
      sample: 70
states:
  description:
    - Where the restore states came from (C(source), V(listing) or V(head), as O(states_from)
      resolved), and how many HeadObject requests finding them took (C(head_requests)).
  returned: always
  type: dict
  sample: {"source": "listing", "head_requests": 0}
bytes:
  description: Sizes, in bytes, of the needed objects (C(needed)) and of those requested or to request (C(to_restore)).
  returned: always
  type: dict
  sample: {"needed": 21474836480, "to_restore": 14495514624}
storage_classes:
  description: Number of needed objects per storage class.
  returned: always
  type: dict
  sample: {"STANDARD": 4, "DEEP_ARCHIVE": 100}
estimate:
  description:
    - Typical time and approximate cost of restoring the objects of RV(requested), for each
      tier (C(Expedited), C(Standard), C(Bulk)), whichever was used.
    - Each tier has C(available) (V(false) with a C(reason) when an object is in a deep
      archive tier, which has no expedited retrieval), C(objects), C(bytes), C(typical_time)
      (text per archive class, for example C(GLACIER 3-5 hours)), C(max_hours), and
      C(retrieval_usd) (per GB), C(requests_usd) (per 1,000 requests) and C(total_usd).
    - C(restored_copy_usd) is the S3 Standard storage of the restored copies for O(days).
    - The prices are approximate AWS list prices for us-east-1 (C(prices), C(prices_as_of),
      C(region)); other regions and later price changes differ. S3 Intelligent-Tiering charges
      nothing to restore from its archive tiers.
  returned: always
  type: dict
  sample:
    Expedited: {"available": false, "reason": "Expedited is not available for DEEP_ARCHIVE", "objects": 70,
                "bytes": 14495514624, "typical_time": null, "max_hours": null, "retrieval_usd": null,
                "requests_usd": null, "total_usd": null}
    Standard: {"available": true, "reason": null, "objects": 70, "bytes": 14495514624,
               "typical_time": "DEEP_ARCHIVE within 12 hours", "max_hours": 12.0, "retrieval_usd": 0.27,
               "requests_usd": 0.007, "total_usd": 0.277}
    Bulk: {"available": true, "reason": null, "objects": 70, "bytes": 14495514624,
           "typical_time": "DEEP_ARCHIVE within 48 hours", "max_hours": 48.0, "retrieval_usd": 0.0338,
           "requests_usd": 0.0018, "total_usd": 0.0355}
    restored_copy_usd: 0.0725
    prices_as_of: "2025-06"
    region: us-east-1
requested:
  description:
    - Keys whose restore request S3 accepted (in check mode, keys a request would be sent for),
      sorted; the full list up to 1,000 keys, else the first 1,000 (see RV(requested_complete)).
  returned: always
  type: list
  elements: str
  sample: ["pi/photos/archive-duplicity-full.20261101T021700Z.vol1.difftar.gpg"]
requested_complete:
  description: V(true) when RV(requested) lists every key, V(false) when it is the first 1,000 only.
  returned: always
  type: bool
  sample: true
failed_objects:
  description:
    - Needed objects whose state could not be read (C(operation=HeadObject)) or whose restore
      request failed (C(operation=RestoreObject)), sorted by key. The module fails when there are any.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "pi/photos/archive-duplicity-full.20261101T021700Z.vol7.difftar.gpg", "storage_class": "GLACIER",
            "operation": "RestoreObject", "error": "AccessDenied: An error occurred (AccessDenied) when calling the RestoreObject operation: Access Denied"}]
wait:
  description:
    - What the wait did. C(waited) is V(false) without O(wait) and in check mode. Otherwise
      C(readable) (all objects readable), C(reason) (V(readable), V(timeout) or V(stalled)),
      C(seconds), C(polls), C(objects) (objects waited for), C(unreadable) (key, state,
      error of each object still not readable), C(history) (the last 100 polls, each with
      C(poll), C(elapsed) seconds, C(readable), C(in_progress), C(archived) and C(errors))
      and C(history_truncated).
  returned: always
  type: dict
  sample: {"waited": true, "readable": true, "reason": "readable", "seconds": 14523.2, "polls": 243, "objects": 90,
           "unreadable": [], "history": [{"poll": 243, "elapsed": 14523.2, "readable": 90, "in_progress": 0,
           "archived": 0, "errors": 0}], "history_truncated": true}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.offsite.backup.plugins.module_utils.restore_estimate import estimate
from ansible_collections.offsite.backup.plugins.module_utils.restore_reports import describe_set
from ansible_collections.offsite.backup.plugins.module_utils.restore_requests import (
    classify_all,
    STATES_FROM,
    list_objects,
    request_option_errors,
    request_options,
    restore_objects,
    states_from_listing,
    wait_until_readable,
)
from ansible_collections.offsite.backup.plugins.module_utils.restore_selection import (
    SelectionError,
    inventory,
    needed_files,
    normalise_prefix,
    select,
)
from ansible_collections.offsite.backup.plugins.module_utils.restore_states import DEEP_TIERS
from ansible_collections.offsite.backup.plugins.module_utils.restore_times import (
    duplicity_time,
    iso,
    now_utc,
    parse_time,
)
from ansible_collections.offsite.backup.plugins.module_utils.s3_client import CALL_ARGS, connect
from ansible_collections.offsite.backup.plugins.module_utils.s3_engine import ListingError

REQUESTED_LIST_LIMIT = 1000


# The first botocore that knows ListObjectsV2's OptionalObjectAttributes.
LISTING_BOTOCORE = '1.31.67'


def empty_result():
    return dict(
        changed=False,
        time=None,
        restore_time_epoch=None,
        duplicity_time=None,
        set_times=[],
        sets=[],
        counts=dict(needed=0, not_archived=0, already_restored=0, in_progress=0, requested=0, failed=0, issued=0),
        bytes=dict(needed=0, to_restore=0),
        states=dict(source=None, head_requests=0),
        storage_classes={},
        estimate=estimate(()),
        requested=[],
        requested_complete=True,
        failed_objects=[],
        wait=dict(waited=False),
    )


def validate(module, result):
    """Check every option before any request; return the restore time (aware datetime or None).

    An interval is resolved against the controller's clock now, once: the result's
    RV(restore_time_epoch) is that moment.
    """
    params = module.params
    problems = request_option_errors(params)
    moment = None
    try:
        moment = parse_time(params['time'], now_utc())
    except ValueError as e:
        problems.append(str(e))
    if problems:
        module.fail_json(msg='; '.join(problems), **result)
    return moment


def find_selection(module, client, bucket, prefix, moment, result):
    """List the folder and select the objects a restore to ``moment`` needs: (inventory, selection)."""
    try:
        listing = list_objects(client, bucket, prefix, CALL_ARGS, restore_status=result['states']['source'] == 'listing')
    except ListingError as e:
        module.fail_json_aws(e.cause, msg='Failed to list s3://%s/%s' % (bucket, prefix), **result)
    found = inventory(listing)
    grouping = found.groupings.get(prefix)
    if grouping is None:
        below = sorted(folder for folder in found.groupings if folder.startswith(prefix))
        module.fail_json(
            msg='No duplicity backup in s3://%s/%s (%d objects listed)%s' % (
                bucket, prefix, len(listing),
                '; there are backups in the folders %s: set prefix to one of them' % ', '.join(below[:10])
                if below else ''),
            **result)
    try:
        selection = select(grouping, moment, prefix)
    except SelectionError as e:
        module.fail_json(msg='Cannot restore s3://%s/%s to %s: %s' % (
            bucket, prefix, module.params['time'] or 'now', e), **result)
    for warning in selection.warnings:
        module.warn(warning)
    return found, selection


def sort_needed(needed, states, result):
    """Count the needed objects by state; return (to request: [(entry, archive tier)], keys to wait for)."""
    counts = result['counts']
    to_request = []
    waiting = []
    for entry in needed:
        info = states[entry['key']]
        storage_class = info['storage_class']
        result['storage_classes'][storage_class] = result['storage_classes'].get(storage_class, 0) + 1
        if info['error']:
            result['failed_objects'].append(dict(key=entry['key'], storage_class=storage_class,
                                                 operation='HeadObject', error=info['error']))
        elif info['state'] == 'not_archived':
            counts['not_archived'] += 1
        elif info['state'] == 'restored':
            counts['already_restored'] += 1
        elif info['state'] == 'restore_in_progress':
            counts['in_progress'] += 1
            waiting.append(entry['key'])
        else:
            to_request.append((entry, info['archive_tier']))
    return to_request, waiting


def refuse_expedited_deep(module, to_request, result):
    """Expedited cannot restore from the deep archive tiers: fail before any request."""
    deep = sorted(entry['key'] for entry, tier_name in to_request if tier_name in DEEP_TIERS)
    if module.params['tier'] == 'Expedited' and deep:
        result['counts']['failed'] = len(result['failed_objects'])
        module.fail_json(
            msg='tier Expedited is not available for DEEP_ARCHIVE: %d of the %d objects to restore are in a deep '
                'archive tier (first: %s); use Standard or Bulk. No restore was requested.' % (
                    len(deep), len(to_request), deep[0]),
            **result)


def request(module, client, bucket, to_request, waiting, result):
    """Send RestoreObject for ``to_request``; return the keys S3 accepted (all of them in check mode)."""
    params = module.params
    counts = result['counts']
    if module.check_mode or not to_request:
        result['changed'] = bool(to_request)
        return [entry['key'] for entry, dummy in to_request]
    outcomes = restore_objects(
        client, bucket, [(entry['key'], tier_name) for entry, tier_name in to_request],
        days=params['days'], tier=params['tier'], concurrency=params['concurrency'], call_args=CALL_ARGS)
    counts['issued'] = len(outcomes)
    result['changed'] = True
    requested = []
    for entry, dummy in to_request:
        outcome, error = outcomes[entry['key']]
        if outcome == 'requested':
            requested.append(entry['key'])
            waiting.append(entry['key'])
        elif outcome == 'already_restored':
            counts['already_restored'] += 1
        elif outcome == 'in_progress':
            counts['in_progress'] += 1
            waiting.append(entry['key'])
        else:
            result['failed_objects'].append(dict(key=entry['key'], storage_class=entry['storage_class'],
                                                 operation='RestoreObject', error=error))
    accepted = [(entry, tier_name) for entry, tier_name in to_request if outcomes[entry['key']][0] == 'requested']
    result['bytes']['to_restore'] = sum(entry['size'] for entry, dummy in accepted)
    result['estimate'] = estimate(((tier_name, entry['size']) for entry, tier_name in accepted), params['days'])
    return requested


def report_requests(module, requested, needed, result):
    """Fill the counts and lists of the requests; fail when an object could not be read or requested."""
    failed_objects = result['failed_objects']
    requested.sort()
    result['counts']['requested'] = len(requested)
    result['counts']['failed'] = len(failed_objects)
    failed_objects.sort(key=lambda item: item['key'])
    result['requested'] = requested[:REQUESTED_LIST_LIMIT]
    result['requested_complete'] = len(requested) <= REQUESTED_LIST_LIMIT
    if failed_objects:
        module.fail_json(
            msg='%d of the %d objects the restore needs could not be %s; first: %s: %s' % (
                len(failed_objects), len(needed), 'read' if module.check_mode else 'read or requested',
                failed_objects[0]['key'], failed_objects[0]['error']),
            **result)


def wait(module, client, bucket, waiting, result):
    """Wait until every key of ``waiting`` is readable; fail with the unreadable ones."""
    params = module.params
    outcome = wait_until_readable(
        client, bucket, waiting, timeout=params['wait_timeout'], interval=params['poll_interval'],
        concurrency=params['concurrency'], call_args=CALL_ARGS, log=module.debug)
    outcome['waited'] = True
    outcome['objects'] = len(set(waiting))
    result['wait'] = outcome
    if not outcome['readable']:
        unreadable = outcome['unreadable']
        module.fail_json(
            msg='%d of the %d objects waited for are not readable after %.0f seconds (%s): %s' % (
                len(unreadable), outcome['objects'], outcome['seconds'],
                'timeout' if outcome['reason'] == 'timeout'
                else 'no restore in progress and no restored copy; run the task again',
                ', '.join(item['key'] for item in unreadable[:10]) + (' ...' if len(unreadable) > 10 else '')),
            **result)


def main():
    argument_spec = dict(
        bucket=dict(type='str', required=True),
        prefix=dict(type='str', default=''),
        time=dict(type='str'),
        states_from=dict(type='str', default='auto', choices=list(STATES_FROM)),
        **request_options()
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    bucket = module.params['bucket']
    prefix = normalise_prefix(module.params['prefix'])
    result = empty_result()
    moment = validate(module, result)
    result['time'] = iso(moment)
    if moment is not None:
        result['duplicity_time'] = duplicity_time(moment)
        result['restore_time_epoch'] = int(result['duplicity_time'])
    from_listing = states_from_listing(module.params['states_from'], module.params.get('endpoint_url'))
    if from_listing and not module.botocore_at_least(LISTING_BOTOCORE):
        if module.params['states_from'] == 'listing':
            module.warn('states_from=listing needs botocore %s or later (OptionalObjectAttributes); '
                        'using HeadObject instead' % LISTING_BOTOCORE)
        from_listing = False
    result['states']['source'] = 'listing' if from_listing else 'head'
    client = connect(module, module.params['concurrency'])

    found, selection = find_selection(module, client, bucket, prefix, moment, result)
    needed = [found.objects[key] for key in selection.keys]
    states, result['states']['head_requests'] = classify_all(client, bucket, needed, module.params['concurrency'],
                                                             CALL_ARGS)
    result['counts']['needed'] = len(needed)
    result['bytes']['needed'] = sum(entry['size'] for entry in needed)
    result['chain'] = dict(prefix=prefix, full_time=iso(selection.chain.start_time),
                           end_time=iso(selection.chain.end_time))
    result['set_times'] = [iso(backup_set.end_time) for backup_set in selection.sets]
    result['sets'] = [describe_set(backup_set, found.objects, states, needed_files(backup_set))
                      for backup_set in selection.sets]
    to_request, waiting = sort_needed(needed, states, result)
    result['estimate'] = estimate(((tier_name, entry['size']) for entry, tier_name in to_request),
                                  module.params['days'])
    result['bytes']['to_restore'] = sum(entry['size'] for entry, dummy in to_request)
    refuse_expedited_deep(module, to_request, result)

    requested = request(module, client, bucket, to_request, waiting, result)
    report_requests(module, requested, needed, result)
    if module.params['wait'] and not module.check_mode:
        wait(module, client, bucket, waiting, result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
