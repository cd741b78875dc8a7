# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The requests of a restore: HeadObject, RestoreObject and the wait, concurrently.

Built on s3_engine (pagination, the thread pool, errors); it retries nothing itself:
the client does (AWSRetry in the modules, botocore's retry modes elsewhere).
``call_args`` are added to every request (``{'aws_retry': True}`` for amazon.aws's
retrying client). ``version_ids`` ({key: VersionId}) points the requests at one
version of each key instead of the current one (a rewind's older versions)."""

from __future__ import annotations

import re
import time

if __name__.startswith('ansible_collections.'):
    from ansible_collections.offsite.backup.plugins.module_utils.restore_estimate import DEFAULT_DAYS, DEFAULT_TIER, TIERS
    from ansible_collections.offsite.backup.plugins.module_utils.restore_states import (
        classify, needs_head, restore_state, storage_class_of)
    from ansible_collections.offsite.backup.plugins.module_utils.s3_engine import (
        DEFAULT_CONCURRENCY, call, check_concurrency, describe_error, error_code, iter_objects, run_concurrently,
        watch_throttling)
else:  # imported as top-level modules beside each other (host helpers, benchmarks)
    from restore_estimate import DEFAULT_DAYS, DEFAULT_TIER, TIERS  # pylint: disable=import-error
    from restore_states import classify, needs_head, restore_state, storage_class_of  # pylint: disable=import-error
    from s3_engine import (  # pylint: disable=import-error
        DEFAULT_CONCURRENCY, call, check_concurrency, describe_error, error_code, iter_objects, run_concurrently,
        watch_throttling)


DEFAULT_WAIT_TIMEOUT = 43200
DEFAULT_POLL_INTERVAL = 60


def request_options():
    """The argument spec of the options every module that requests restores shares:
    tier, days, wait, wait_timeout, poll_interval, concurrency."""
    return dict(
        tier=dict(type='str', default=DEFAULT_TIER, choices=list(TIERS)),
        days=dict(type='int', default=DEFAULT_DAYS),
        wait=dict(type='bool', default=False),
        wait_timeout=dict(type='int', default=DEFAULT_WAIT_TIMEOUT),
        poll_interval=dict(type='int', default=DEFAULT_POLL_INTERVAL),
        concurrency=dict(type='int', default=DEFAULT_CONCURRENCY),
    )


def request_option_errors(params):
    """What is wrong with request_options() values; empty when they are usable."""
    problems = []
    if params['days'] < 1:
        problems.append('days must be at least 1, got %d' % params['days'])
    if params['poll_interval'] < 1:
        problems.append('poll_interval must be at least 1 second, got %d' % params['poll_interval'])
    if params['wait_timeout'] < 0:
        problems.append('wait_timeout must not be negative, got %d' % params['wait_timeout'])
    try:
        check_concurrency(params['concurrency'])
    except ValueError as e:
        problems.append(str(e))
    return problems


def list_objects(client, bucket, prefix='', call_args=None, restore_status=False):
    """Every object under ``prefix`` as dicts (key, size, storage_class, STANDARD when the listing leaves it out).

    With ``restore_status`` each also has the listing's ``restore_status`` (see
    s3_engine.iter_objects), and classify() takes GLACIER and DEEP_ARCHIVE states from it.
    Raises s3_engine.ListingError when a page cannot be read.
    """
    return [dict(entry, storage_class=storage_class_of(entry['storage_class']))
            for entry in iter_objects(client, bucket, prefix, call_args, restore_status)]


# Endpoints known to answer ListObjectsV2's OptionalObjectAttributes=RestoreStatus: AWS's
# own. S3-compatible stores (and moto) leave it out for every object, which would read as
# "never restored" and re-request restores on every run.
_AWS_HOST = re.compile(r'^https?://([^/:@]+\.)?amazonaws\.com(\.cn)?(:[0-9]+)?(/.*)?$', re.IGNORECASE)
STATES_FROM = ('auto', 'listing', 'head')


def states_from_listing(choice, endpoint_url):
    """Whether restore states come from the listing (True) or from HeadObject (False).

    ``choice`` is one of STATES_FROM; ``auto`` trusts the listing on AWS only: no
    ``endpoint_url``, or one on amazonaws.com.
    """
    if choice not in STATES_FROM:
        raise ValueError('states_from must be one of %s, got %r' % (', '.join(STATES_FROM), choice))
    if choice != 'auto':
        return choice == 'listing'
    return not endpoint_url or bool(_AWS_HOST.match(endpoint_url))


def _version(version_id):
    return {'VersionId': version_id} if version_id else {}


def head_object(client, bucket, key, call_args=None, version_id=None):
    """HeadObject of one key: dict with storage_class, size, restore, archive_status, or error."""
    response, exc = call(client.head_object, call_args, Bucket=bucket, Key=key, **_version(version_id))
    if exc is not None:
        code, status = error_code(exc)
        return {'error': describe_error(exc), 'code': code, 'status': status}
    return {
        'storage_class': storage_class_of(response.get('StorageClass')),
        'size': int(response.get('ContentLength') or 0),
        'restore': response.get('Restore'),
        'archive_status': response.get('ArchiveStatus'),
        'error': None,
    }


def head_objects(client, bucket, keys, concurrency=DEFAULT_CONCURRENCY, call_args=None, version_ids=None):
    """HeadObject for every key, concurrently; return {key: head_object() result}."""
    version_ids = version_ids or {}
    return dict(run_concurrently(lambda key: head_object(client, bucket, key, call_args, version_ids.get(key)),
                                 list(keys), concurrency, throttle=watch_throttling(client, concurrency)))


def restore_request(days, tier, tier_name):
    """The RestoreRequest for an object in archive tier ``tier_name``.

    Objects in S3 Intelligent-Tiering's archive tiers take no Days: a restore moves them
    back to the frequent access tier for good.
    """
    request = {'GlacierJobParameters': {'Tier': tier}}
    if not (tier_name or '').startswith('IT_'):
        request['Days'] = int(days)
    return request


def restore_object(client, bucket, key, days, tier, tier_name=None, call_args=None, version_id=None):
    """RestoreObject for one key; return (outcome, error text).

    ``outcome`` is 'requested' (S3 accepted the request, HTTP 202), 'already_restored'
    (HTTP 200: a restored copy exists; S3 extends its expiry), 'in_progress'
    (RestoreAlreadyInProgress) or 'failed'.
    """
    response, exc = call(client.restore_object, call_args, Bucket=bucket, Key=key,
                         RestoreRequest=restore_request(days, tier, tier_name), **_version(version_id))
    if exc is not None:
        code, dummy = error_code(exc)
        if code == 'RestoreAlreadyInProgress':
            return 'in_progress', None
        return 'failed', describe_error(exc)
    status = (response.get('ResponseMetadata') or {}).get('HTTPStatusCode')
    return ('already_restored' if status == 200 else 'requested'), None


def restore_objects(client, bucket, objects, days=DEFAULT_DAYS, tier=DEFAULT_TIER,
                    concurrency=DEFAULT_CONCURRENCY, call_args=None, version_ids=None):
    """RestoreObject for every (key, archive tier) of ``objects``, concurrently.

    Returns {key: (outcome, error text)} with restore_object()'s outcomes.
    """
    version_ids = version_ids or {}

    def one(item):
        key, tier_name = item
        return restore_object(client, bucket, key, days, tier, tier_name, call_args, version_ids.get(key))
    return dict((item[0], outcome) for item, outcome in run_concurrently(
        one, list(objects), concurrency, throttle=watch_throttling(client, concurrency)))


def classify_all(client, bucket, entries, concurrency=DEFAULT_CONCURRENCY, call_args=None, now=None):
    """classify() every listing entry, with a concurrent HeadObject for those that need one.

    Returns ({key: classify() result}, number of HeadObject requests).
    """
    entries = list(entries)
    to_head = [entry['key'] for entry in entries if needs_head(entry.get('storage_class'), entry)]
    heads = head_objects(client, bucket, to_head, concurrency, call_args) if to_head else {}
    return dict((entry['key'], classify(entry, heads.get(entry['key']), now)) for entry in entries), len(to_head)


def _poll(client, bucket, pending, archived_polls, concurrency, call_args, version_ids=None):
    """One HeadObject of every pending key: drop the readable ones, count the others."""
    counts = {'in_progress': 0, 'archived': 0, 'errors': 0}
    for key, head in head_objects(client, bucket, list(pending), concurrency, call_args, version_ids).items():
        if head.get('error'):
            pending[key].update(state='unknown', error=head['error'])
            counts['errors'] += 1
            continue
        state, dummy = restore_state(head.get('storage_class'), head.get('restore'), head.get('archive_status'))
        if state in ('restored', 'not_archived'):
            del pending[key]
            continue
        pending[key].update(state=state, error=None)
        if state == 'archived':
            archived_polls[key] += 1
            counts['archived'] += 1
        else:
            archived_polls[key] = 0
            counts['in_progress'] += 1
    return counts


def wait_until_readable(client, bucket, keys, timeout=DEFAULT_WAIT_TIMEOUT, interval=DEFAULT_POLL_INTERVAL,
                        concurrency=DEFAULT_CONCURRENCY, call_args=None, log=None,
                        clock=time.monotonic, sleep=time.sleep, stuck_polls=3, history_size=100, version_ids=None):
    """Poll HeadObject until every key is readable, ``timeout`` seconds pass, or restores stall.

    A key is readable when it is restored or not archived. Each poll reads only the keys
    not yet readable, then sleeps ``interval`` seconds (less near the timeout). A key
    that shows no restore in progress and no restored copy in ``stuck_polls`` polls in a
    row stops the wait: it will never become readable by waiting.

    Returns a dict: ``readable`` (bool), ``reason`` ('readable', 'timeout' or 'stalled'),
    ``seconds``, ``polls``, ``unreadable`` (sorted list of {key, state, error}),
    ``history`` (the last ``history_size`` polls: poll, elapsed, readable, in_progress,
    archived, errors) and ``history_truncated``.
    """
    keys = list(dict.fromkeys(keys))
    pending = dict((key, {'key': key, 'state': 'unknown', 'error': None}) for key in keys)
    archived_polls = dict((key, 0) for key in keys)
    history = []
    started = clock()
    reason = 'readable'
    while pending:
        counts = _poll(client, bucket, pending, archived_polls, concurrency, call_args, version_ids)
        elapsed = clock() - started
        entry = dict(counts, poll=len(history) + 1, elapsed=round(elapsed, 1), readable=len(keys) - len(pending))
        history.append(entry)
        if log is not None:
            log('glacier_restore: poll %d after %.0f s: %d of %d readable, %d restoring, %d not restoring, %d errors' % (
                entry['poll'], elapsed, entry['readable'], len(keys), entry['in_progress'], entry['archived'],
                entry['errors']))
        if not pending:
            break
        if any(archived_polls[key] >= stuck_polls for key in pending):
            reason = 'stalled'
            break
        if timeout - elapsed <= 0:
            reason = 'timeout'
            break
        sleep(min(interval, timeout - elapsed))
    return {
        'readable': not pending,
        'reason': reason,
        'seconds': round(clock() - started, 1),
        'polls': len(history),
        'unreadable': [pending[key] for key in sorted(pending)],
        'history': history[-history_size:],
        'history_truncated': len(history) > history_size,
    }
