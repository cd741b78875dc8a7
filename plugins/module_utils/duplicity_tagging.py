# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Tag duplicity objects in S3 by kind: the engine behind ``offsite.backup.duplicity_tags``.

The same file runs in two places:

* in the module ``offsite.backup.duplicity_tags`` (imported as
  ``ansible_collections.offsite.backup.plugins.module_utils.duplicity_tagging``);
* on backup hosts, without Ansible, in the helper ``roles/duply/files/offsite-backup-tag.py``,
  which puts this file and ``duplicity_names.py`` side by side in one directory
  and imports both as top-level modules.

It never imports boto3 or botocore: the caller passes a ready S3 client (a boto3
client, or amazon.aws's retrying wrapper of one). Listing, the thread pool and error
handling are ``s3_engine.py``'s, which the helper installs beside this file.

What a pass does, for each key (listed under a prefix, or given):

* the key is parsed with ``duplicity_names.parse``; anything that is not a
  duplicity name is counted as ``skipped_not_duplicity`` and never read or written;
* the desired value of the tag is ``archive_value`` for volumes and ``keep_value``
  for manifests, signatures and jsonstat files (``duplicity_names.glacierable``);
* GetObjectTagging; when the tag already has the desired value the object is
  ``already_correct`` and nothing is written;
* otherwise PutObjectTagging with the object's other tags unchanged (``tagged``),
  unless ``check_mode`` is set, in which case ``tagged`` counts what would be tagged;
* an error from S3 (after the client's own retries: AWSRetry in the module, botocore's
  retry modes in the helper; this file retries nothing) makes the object ``failed``;
  it is never counted as tagged. Any other exception (a programming error) propagates.

With ``newer_than`` (a duplicity time, ``YYYYMMDDTHHMMSSZ``) a pass handles only the
sets that end after it: objects of older sets are counted as ``skipped_earlier`` and cost
no request. The result's ``complete_through`` is the end time of the newest set whose
manifest the listing showed (duplicity uploads a set's manifest after its volumes);
``next_mark()`` turns it into the ``newer_than`` of the next pass, and ``plan_pass()``
decides when a pass must be a full sweep instead. Together they make the pass after a
backup cost requests in proportion to what that backup uploaded, not to the chain.

Every object is handled on its own, so a pass can be interrupted and re-run: what
was tagged stays tagged, and the next pass only reads it. A pass over a bucket that is
already tagged makes no writes. Tagging is a read-modify-write of the object's tag
set: another writer changing the same object's tags between the two requests can lose
its change.
"""

from __future__ import annotations

import re
import time

if __name__.startswith('ansible_collections.'):
    from ansible_collections.offsite.backup.plugins.module_utils.duplicity_names import KINDS, glacierable, parse
    from ansible_collections.offsite.backup.plugins.module_utils.s3_engine import (
        DEFAULT_CONCURRENCY, MAX_CONCURRENCY, RETRYABLE_CODES, ListingError, call, check_concurrency,
        describe_error, error_code, is_retryable, iter_objects, run_concurrently, throttle_of,
        watch_throttling)
else:  # the host-side helper imports this file as a top-level module beside duplicity_names.py and s3_engine.py
    from duplicity_names import KINDS, glacierable, parse  # pylint: disable=import-error
    from s3_engine import (  # pylint: disable=import-error
        DEFAULT_CONCURRENCY, MAX_CONCURRENCY, RETRYABLE_CODES, ListingError, call, check_concurrency,
        describe_error, error_code, is_retryable, iter_objects, run_concurrently, throttle_of,
        watch_throttling)

__all__ = ('ACTIONS', 'ARCHIVED_CLASSES', 'DEFAULT_ARCHIVE_VALUE', 'DEFAULT_CONCURRENCY', 'DEFAULT_KEEP_VALUE',
           'DEFAULT_SWEEP_DAYS', 'DEFAULT_TAG_KEY', 'KIND_ACTIONS', 'MAX_CONCURRENCY', 'MAX_SWEEP_DAYS',
           'RETRYABLE_CODES', 'STATE_VERSION', 'TaggingError', 'desired_value', 'describe_error', 'error_code',
           'is_retryable', 'new_counts', 'new_state', 'next_mark', 'plan_pass', 'summary', 'tag_objects',
           'throttle_of', 'validate_tag')

DEFAULT_TAG_KEY = 'glacierable'
DEFAULT_ARCHIVE_VALUE = 'true'
DEFAULT_KEEP_VALUE = 'false'
ACTIONS = ('tagged', 'already_correct', 'skipped_archived', 'skipped_earlier', 'skipped_not_duplicity', 'failed')
KIND_ACTIONS = ('tagged', 'already_correct', 'skipped_archived', 'skipped_earlier', 'failed')

# A pass after a backup tags only the sets newer than the last complete pass; every
# DEFAULT_SWEEP_DAYS it reads every object again instead, which catches what a partial
# set left behind or what someone changed by hand. 0 sweeps on every pass.
DEFAULT_SWEEP_DAYS = 7
MAX_SWEEP_DAYS = 365
STATE_VERSION = 1

# Objects the listing shows in these classes have already been moved (by the rule the
# tags serve, or by an upload straight to the class): their tags have done their job,
# so they cost no request. S3 reads tags of archived objects, but moto does not.
ARCHIVED_CLASSES = frozenset(('GLACIER', 'DEEP_ARCHIVE'))

# S3 object tags: key 1 to 128 characters, value 0 to 256, Unicode letters, digits,
# white space and + - = . _ : / @; keys starting with aws: are reserved.
_TAG_TEXT = re.compile(r'[\w\s+\-=.:/@]*')
_DUPLICITY_TIME = re.compile(r'[0-9]{8}T[0-9]{6}Z')


class TaggingError(Exception):
    """The pass could not go on (the listing failed).

    ``result`` holds what was done before (same shape as tag_objects()'s result);
    ``cause`` is the exception from the client.
    """

    def __init__(self, message, result, cause):
        super(TaggingError, self).__init__(message)
        self.result = result
        self.cause = cause


def validate_tag(tag_key, archive_value, keep_value):
    """Raise ValueError unless the tag key and values are usable S3 object tags."""
    if not isinstance(tag_key, str) or not 1 <= len(tag_key) <= 128:
        raise ValueError('the tag key must be 1 to 128 characters, got %r' % (tag_key,))
    if tag_key.lower().startswith('aws:'):
        raise ValueError('tag keys starting with "aws:" are reserved by AWS: %r' % (tag_key,))
    for name, text in (('tag key', tag_key), ('archive value', archive_value), ('keep value', keep_value)):
        if not isinstance(text, str) or len(text) > 256:
            raise ValueError('the %s must be a string of at most 256 characters, got %r' % (name, text))
        if not _TAG_TEXT.fullmatch(text):
            raise ValueError(
                'the %s %r may only hold letters, digits, spaces and + - = . _ : / @' % (name, text))
    if archive_value == keep_value:
        raise ValueError(
            'the archive value and the keep value must differ (both are %r): a lifecycle rule '
            'filtered on the tag could not tell volumes from manifests and signatures' % (archive_value,))


def desired_value(parsed, archive_value=DEFAULT_ARCHIVE_VALUE, keep_value=DEFAULT_KEEP_VALUE):
    """The tag value a parsed duplicity file should carry."""
    return archive_value if glacierable(parsed) else keep_value


def new_counts():
    """Counters, all zero: the shape of the ``counts`` of a result."""
    return {
        'total': 0,
        'by_action': dict((action, 0) for action in ACTIONS),
        'by_kind': dict(
            (kind, dict([('total', 0)] + [(action, 0) for action in KIND_ACTIONS])) for kind in KINDS
        ),
    }


def _tag_one(client, bucket, parsed, tag_key, value, check_mode, call_args):
    """Tag one duplicity object; return (action, previous value, error text)."""
    response, exc = call(client.get_object_tagging, call_args, Bucket=bucket, Key=parsed.key)
    if exc is not None:
        return 'failed', None, describe_error(exc)
    tag_set = response.get('TagSet') or []
    current = None
    for tag in tag_set:
        if tag.get('Key') == tag_key:
            current = tag.get('Value')
    if current == value:
        return 'already_correct', current, None
    if not check_mode:
        new_set = [tag for tag in tag_set if tag.get('Key') != tag_key]
        new_set.append({'Key': tag_key, 'Value': value})
        dummy, exc = call(client.put_object_tagging, call_args, Bucket=bucket, Key=parsed.key,
                          Tagging={'TagSet': new_set})
        if exc is not None:
            return 'failed', None, describe_error(exc)
    return 'tagged', current, None


def tag_objects(client, bucket, keys=None, prefix='',
                tag_key=DEFAULT_TAG_KEY, archive_value=DEFAULT_ARCHIVE_VALUE, keep_value=DEFAULT_KEEP_VALUE,
                concurrency=DEFAULT_CONCURRENCY, check_mode=False, call_args=None, sample_size=20,
                newer_than=None):
    """Tag the duplicity objects of a bucket by kind; return a result dict.

    ``client`` is an S3 client (get_object_tagging, put_object_tagging and, without
    ``keys``, list_objects_v2) that retries throttling and server errors by itself.
    ``keys`` is an iterable of object keys; when it is None, every key under ``prefix``
    is listed. ``concurrency`` (1 to 64) bounds the worker threads. ``call_args`` are
    added to every client call (for example ``{'aws_retry': True}`` for amazon.aws's
    retrying client wrapper). ``newer_than`` (a duplicity time or None) skips, without a
    request, the objects of sets that end at or before it (``skipped_earlier``).

    The result::

        {
          'changed': bool,           # something was (check mode: would be) tagged
          'check_mode': bool,
          'counts': {
            'total': int,            # keys seen
            'by_action': {'tagged': int, 'already_correct': int, 'skipped_archived': int,
                          'skipped_earlier': int, 'skipped_not_duplicity': int, 'failed': int},
            'by_kind': {KIND: {'total': int, 'tagged': int, 'already_correct': int,
                               'skipped_archived': int, 'skipped_earlier': int, 'failed': int}},
          },
          'newer_than': str or None,     # as given
          'complete_through': str or None,   # end time of the newest set with a manifest
          'failed_objects': [{'key': str, 'kind': str, 'error': str}],
          'tagged_sample': [{'key': str, 'kind': str, 'previous': str or None,
                             'value': str}],      # at most sample_size entries
        }

    Raises ValueError for bad arguments (before any request) and TaggingError when
    the listing fails; objects that fail are reported in the result instead.
    """
    validate_tag(tag_key, archive_value, keep_value)
    check_concurrency(concurrency)
    if keys is None and not isinstance(prefix, str):
        raise ValueError('prefix must be a string, got %r' % (prefix,))
    if isinstance(keys, str):
        raise ValueError('keys must be an iterable of keys, not a single string')
    if newer_than is not None and not _is_time(newer_than):
        raise ValueError('newer_than must be a duplicity time such as 20260101T020000Z, got %r' % (newer_than,))

    result = {'changed': False, 'check_mode': bool(check_mode), 'counts': new_counts(), 'failed_objects': [],
              'tagged_sample': [], 'newer_than': newer_than, 'complete_through': None}
    if keys is None:
        source = ((entry['key'], entry['storage_class']) for entry in iter_objects(client, bucket, prefix, call_args))
    else:
        source = iter([(key, None) for key in dict.fromkeys(keys)])

    def tag(item):
        parsed, value = item
        return _tag_one(client, bucket, parsed, tag_key, value, check_mode, call_args)

    listing_errors = []
    work = _to_tag(_until_it_fails(source, listing_errors), result, archive_value, keep_value, sample_size,
                   newer_than)
    for item, outcome in run_concurrently(tag, work, concurrency, throttle=watch_throttling(client, concurrency)):
        _record(result, item[0], item[1], outcome, sample_size)
    result['failed_objects'].sort(key=lambda entry: entry['key'])
    if listing_errors:
        raise TaggingError(str(listing_errors[0]), result, listing_errors[0].cause)
    return result


def _until_it_fails(source, errors):
    """The items of ``source`` until its listing fails; the ListingError goes to ``errors``.

    The objects already handed out are still tagged and counted.
    """
    try:
        yield from source
    except ListingError as exc:
        errors.append(exc)


def _to_tag(source, result, archive_value, keep_value, sample_size, newer_than):
    """Yield (parsed, desired value) of each listed key that needs a request; count the others."""
    counts = result['counts']
    for key, storage_class in source:
        counts['total'] += 1
        parsed = parse(key)
        if parsed is None:
            counts['by_action']['skipped_not_duplicity'] += 1
            continue
        counts['by_kind'][parsed.kind]['total'] += 1
        if parsed.category == 'manifest' and not parsed.partial and (
                result['complete_through'] is None or parsed.end_time > result['complete_through']):
            result['complete_through'] = parsed.end_time
        value = desired_value(parsed, archive_value, keep_value)
        if newer_than is not None and parsed.end_time <= newer_than:
            _record(result, parsed, value, ('skipped_earlier', None, None), sample_size)
            continue
        if storage_class in ARCHIVED_CLASSES:
            _record(result, parsed, value, ('skipped_archived', None, None), sample_size)
            continue
        yield parsed, value


def _record(result, parsed, value, outcome, sample_size):
    action, previous, error = outcome
    counts = result['counts']
    counts['by_action'][action] += 1
    counts['by_kind'][parsed.kind][action] += 1
    if action == 'failed':
        result['failed_objects'].append({'key': parsed.key, 'kind': parsed.kind, 'error': error})
    elif action == 'tagged':
        result['changed'] = True
        if len(result['tagged_sample']) < sample_size:
            result['tagged_sample'].append({'key': parsed.key, 'kind': parsed.kind, 'previous': previous,
                                            'value': value})


def _is_time(value):
    return isinstance(value, str) and _DUPLICITY_TIME.fullmatch(value) is not None


def _utc_text(seconds):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(seconds))


def new_state(bucket, prefix, tag_key, archive_value, keep_value):
    """The state of a prefix no pass has completed yet."""
    return {'version': STATE_VERSION, 'bucket': bucket, 'prefix': prefix,
            'tag': [tag_key, archive_value, keep_value], 'tagged_through': None, 'last_sweep': None}


def _usable(state, bucket, prefix, tag):
    """Why ``state`` cannot carry a pass over, or None when it can."""
    if not isinstance(state, dict) or state.get('version') != STATE_VERSION:
        return 'no earlier pass recorded'
    if (state.get('bucket'), state.get('prefix')) != (bucket, prefix):
        return 'the recorded pass was over s3://%s/%s' % (state.get('bucket'), state.get('prefix'))
    if state.get('tag') != list(tag):
        return 'the tag key or values changed'
    last_sweep = state.get('last_sweep')
    if not _is_time(state.get('tagged_through')) or isinstance(last_sweep, bool) \
            or not isinstance(last_sweep, (int, float)):
        return 'no complete pass recorded'
    return None


def plan_pass(state, bucket, prefix, tag_key, archive_value, keep_value, now, sweep_days=DEFAULT_SWEEP_DAYS,
              force_sweep=False):
    """Decide what the next pass over ``bucket``/``prefix`` reads; return (newer_than, reason).

    ``state`` is what ``next_mark()`` returned after the last pass (None or anything
    unreadable when there was none); ``now`` is seconds since the epoch. ``newer_than``
    is None for a full sweep, else the duplicity time to pass to ``tag_objects()``.
    A pass is a full sweep when asked to, when there is no usable state (none, another
    bucket, prefix or tag, no completed pass), and when the last sweep is ``sweep_days``
    or more old (0: always) or in the future.
    """
    if isinstance(sweep_days, bool) or not isinstance(sweep_days, int) or not 0 <= sweep_days <= MAX_SWEEP_DAYS:
        raise ValueError('sweep_days must be a whole number of days from 0 to %d, got %r'
                         % (MAX_SWEEP_DAYS, sweep_days))
    if force_sweep:
        return None, 'full sweep: asked for'
    why = _usable(state, bucket, prefix, (tag_key, archive_value, keep_value))
    if why:
        return None, 'full sweep: ' + why
    if sweep_days == 0:
        return None, 'full sweep: every pass sweeps (sweep days 0)'
    last_sweep = state['last_sweep']
    if not 0 <= now - last_sweep < sweep_days * 86400:
        return None, 'full sweep: the last one was at %s' % _utc_text(last_sweep)
    return state['tagged_through'], 'sets after %s (last full sweep at %s)' % (
        state['tagged_through'], _utc_text(last_sweep))


def next_mark(state, result, bucket, prefix, tag_key, archive_value, keep_value, now, complete=True):
    """The state to keep after a real (not check mode) pass that returned ``result``.

    The mark moves to the newest set with a manifest only after a pass with no failed
    object and a complete listing (``complete``), so a failed object is read again next
    time; a set without a manifest yet (a backup still to be resumed) stays after the
    mark. A full sweep (``result['newer_than']`` None) that completed also records ``now``.
    """
    fresh = new_state(bucket, prefix, tag_key, archive_value, keep_value)
    if not _usable(state, bucket, prefix, (tag_key, archive_value, keep_value)):
        fresh['tagged_through'], fresh['last_sweep'] = state['tagged_through'], state['last_sweep']
    if not complete or result['counts']['by_action']['failed']:
        return fresh
    newest = result['complete_through']
    if result['newer_than'] is None:
        fresh['tagged_through'], fresh['last_sweep'] = newest, now
    elif fresh['tagged_through'] is not None and newest is not None and newest > fresh['tagged_through']:
        fresh['tagged_through'] = newest
    if fresh['tagged_through'] is None:
        # Nothing complete yet: the next pass reads everything again.
        fresh['last_sweep'] = None
    return fresh


def summary(result):
    """A one-line text summary of a result."""
    counts = result['counts']
    by_action = counts['by_action']
    kinds = ', '.join(
        '%s %d' % (kind, kind_counts['total'])
        for kind, kind_counts in counts['by_kind'].items() if kind_counts['total'])
    return '%d objects: %s %d, already correct %d, %snot duplicity %d, failed %d%s' % (
        counts['total'], 'would tag' if result.get('check_mode') else 'tagged', by_action['tagged'],
        by_action['already_correct'],
        'tagged before %s %d, ' % (result['newer_than'], by_action['skipped_earlier']) if result.get('newer_than') else '',
        by_action['skipped_not_duplicity'], by_action['failed'],
        ' (%s)' % kinds if kinds else '',
    )
