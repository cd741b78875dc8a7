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
client, or amazon.aws's retrying wrapper of one). Errors are recognised by their
``response`` attribute, as botocore's ``ClientError`` carries it.

What a pass does, for each key (listed under a prefix, or given):

* the key is parsed with ``duplicity_names.parse``; anything that is not a
  duplicity name is counted as ``skipped_not_duplicity`` and never read or written;
* the desired value of the tag is ``archive_value`` for volumes and ``keep_value``
  for manifests, signatures and jsonstat files (``duplicity_names.glacierable``);
* GetObjectTagging; when the tag already has the desired value the object is
  ``already_correct`` and nothing is written;
* otherwise PutObjectTagging with the object's other tags unchanged (``tagged``),
  unless ``check_mode`` is set, in which case ``tagged`` counts what would be tagged;
* an error, after retries of throttling and server errors with jittered exponential
  backoff, makes the object ``failed``; it is never counted as tagged.

Every object is handled on its own, so a pass can be interrupted and re-run: what
was tagged stays tagged, and the next pass only reads it. A pass over a bucket that is
already tagged makes no writes. Tagging is a read-modify-write of the object's tag
set: another writer changing the same object's tags between the two requests can lose
its change.
"""

from __future__ import annotations

import random
import re
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

if __name__.startswith('ansible_collections.'):
    from ansible_collections.offsite.backup.plugins.module_utils.duplicity_names import KINDS, glacierable, parse
else:  # the host-side helper imports this file as a top-level module beside duplicity_names.py
    from duplicity_names import KINDS, glacierable, parse  # pylint: disable=import-error

DEFAULT_TAG_KEY = 'glacierable'
DEFAULT_ARCHIVE_VALUE = 'true'
DEFAULT_KEEP_VALUE = 'false'
DEFAULT_CONCURRENCY = 16
MAX_CONCURRENCY = 64
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_BACKOFF = 0.5
MAX_BACKOFF = 20.0

ACTIONS = ('tagged', 'already_correct', 'skipped_archived', 'skipped_not_duplicity', 'failed')
KIND_ACTIONS = ('tagged', 'already_correct', 'skipped_archived', 'failed')

# Objects the listing shows in these classes have already been moved (by the rule the
# tags serve, or by an upload straight to the class): their tags have done their job,
# so they cost no request. S3 reads tags of archived objects, but moto does not.
ARCHIVED_CLASSES = frozenset(('GLACIER', 'DEEP_ARCHIVE'))

# Error codes worth another attempt: throttling and transient server-side errors.
RETRYABLE_CODES = frozenset((
    'SlowDown',
    'Throttling',
    'ThrottlingException',
    'ThrottledException',
    'RequestThrottled',
    'RequestThrottledException',
    'RequestLimitExceeded',
    'TooManyRequests',
    'TooManyRequestsException',
    'BandwidthLimitExceeded',
    'ServiceUnavailable',
    'Unavailable',
    'InternalError',
    'InternalFailure',
    'RequestTimeout',
    'RequestTimeoutException',
    'PriorRequestNotComplete',
))
RETRYABLE_STATUS = frozenset((429, 500, 502, 503, 504))

# S3 object tags: key 1 to 128 characters, value 0 to 256, Unicode letters, digits,
# white space and + - = . _ : / @; keys starting with aws: are reserved.
_TAG_TEXT = re.compile(r'[\w\s+\-=.:/@]*')


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


def error_code(exc):
    """(code, HTTP status) of a botocore ClientError-like exception, else (None, None)."""
    response = getattr(exc, 'response', None)
    if not isinstance(response, dict):
        return None, None
    error = response.get('Error') or {}
    metadata = response.get('ResponseMetadata') or {}
    return error.get('Code'), metadata.get('HTTPStatusCode')


def is_retryable(exc):
    """True for throttling and transient server errors."""
    code, status = error_code(exc)
    if code in RETRYABLE_CODES:
        return True
    try:
        return int(status) in RETRYABLE_STATUS
    except (TypeError, ValueError):
        return False


def describe_error(exc):
    """A one-line description of an exception from the client."""
    code, status = error_code(exc)
    text = str(exc) or type(exc).__name__
    if code and code not in text:
        text = '%s: %s' % (code, text)
    if status and code is None:
        text = '%s (HTTP %s)' % (text, status)
    return ' '.join(text.split())


def new_counts():
    """Counters, all zero: the shape of the ``counts`` of a result."""
    return {
        'total': 0,
        'by_action': dict((action, 0) for action in ACTIONS),
        'by_kind': dict(
            (kind, dict([('total', 0)] + [(action, 0) for action in KIND_ACTIONS])) for kind in KINDS
        ),
    }


class Retrier:
    """Calls a client method, retrying retryable errors with full-jitter backoff.

    ``should_retry`` decides which errors get another attempt; subclasses widen or
    narrow it (duplicity_restore's Caller does).
    """

    def __init__(self, max_attempts, backoff, sleep, call_args):
        self.max_attempts = max(1, int(max_attempts))
        self.backoff = backoff
        self.sleep = sleep
        self.call_args = dict(call_args or {})

    def __call__(self, method, **kwargs):
        kwargs.update(self.call_args)
        attempt = 1
        while True:
            try:
                return method(**kwargs)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                if attempt >= self.max_attempts or not self.should_retry(exc):
                    raise
                self.sleep(random.uniform(0, min(MAX_BACKOFF, self.backoff * 2 ** (attempt - 1))))
                attempt += 1

    def should_retry(self, exc):
        return is_retryable(exc)


def _list_keys(call, client, bucket, prefix):
    """Yield (key, storage class) for every key under prefix, a ListObjectsV2 page at a time."""
    params = {'Bucket': bucket, 'Prefix': prefix}
    while True:
        page = call(client.list_objects_v2, **params)
        for item in page.get('Contents') or ():
            yield item['Key'], item.get('StorageClass')
        token = page.get('NextContinuationToken')
        if not page.get('IsTruncated') or not token:
            return
        params['ContinuationToken'] = token


def _tag_one(call, client, bucket, parsed, tag_key, value, check_mode):
    """Tag one duplicity object; return (action, previous value, error text)."""
    try:
        response = call(client.get_object_tagging, Bucket=bucket, Key=parsed.key)
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
            call(client.put_object_tagging, Bucket=bucket, Key=parsed.key, Tagging={'TagSet': new_set})
        return 'tagged', current, None
    except Exception as exc:  # pylint: disable=broad-exception-caught
        return 'failed', None, describe_error(exc)


def tag_objects(client, bucket, keys=None, prefix='',
                tag_key=DEFAULT_TAG_KEY, archive_value=DEFAULT_ARCHIVE_VALUE, keep_value=DEFAULT_KEEP_VALUE,
                concurrency=DEFAULT_CONCURRENCY, check_mode=False,
                max_attempts=DEFAULT_MAX_ATTEMPTS, backoff=DEFAULT_BACKOFF,
                call_args=None, sample_size=20, sleep=time.sleep):
    """Tag the duplicity objects of a bucket by kind; return a result dict.

    ``client`` is an S3 client (get_object_tagging, put_object_tagging and, without
    ``keys``, list_objects_v2). ``keys`` is an iterable of object keys; when it is
    None, every key under ``prefix`` is listed. ``concurrency`` (1 to 64) bounds the
    worker threads. ``max_attempts`` is the number of tries per request for
    throttling and server errors (1: no retry here, for clients that retry by
    themselves), with full-jitter exponential backoff starting at ``backoff``
    seconds. ``call_args`` are added to every client call (for example
    ``{'aws_retry': True}`` for amazon.aws's retrying client wrapper).

    The result::

        {
          'changed': bool,           # something was (check mode: would be) tagged
          'check_mode': bool,
          'counts': {
            'total': int,            # keys seen
            'by_action': {'tagged': int, 'already_correct': int, 'skipped_archived': int,
                          'skipped_not_duplicity': int, 'failed': int},
            'by_kind': {KIND: {'total': int, 'tagged': int, 'already_correct': int,
                               'skipped_archived': int, 'failed': int}},   # every kind
          },
          'failed_objects': [{'key': str, 'kind': str, 'error': str}],
          'tagged_sample': [{'key': str, 'kind': str, 'previous': str or None,
                             'value': str}],      # at most sample_size entries
        }

    Raises ValueError for bad arguments (before any request) and TaggingError when
    the listing fails; objects that fail are reported in the result instead.
    """
    validate_tag(tag_key, archive_value, keep_value)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) \
            or not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ValueError('concurrency must be an integer from 1 to %d, got %r' % (MAX_CONCURRENCY, concurrency))
    if keys is None and not isinstance(prefix, str):
        raise ValueError('prefix must be a string, got %r' % (prefix,))
    if isinstance(keys, str):
        raise ValueError('keys must be an iterable of keys, not a single string')

    call = Retrier(max_attempts, backoff, sleep, call_args)
    counts = new_counts()
    by_action = counts['by_action']
    failed_objects = []
    sample = []
    result = {
        'changed': False,
        'check_mode': bool(check_mode),
        'counts': counts,
        'failed_objects': failed_objects,
        'tagged_sample': sample,
    }

    def record(parsed, value, outcome):
        action, previous, error = outcome
        by_action[action] += 1
        counts['by_kind'][parsed.kind][action] += 1
        if action == 'failed':
            failed_objects.append({'key': parsed.key, 'kind': parsed.kind, 'error': error})
        elif action == 'tagged':
            result['changed'] = True
            if len(sample) < sample_size:
                sample.append({'key': parsed.key, 'kind': parsed.kind, 'previous': previous, 'value': value})

    if keys is None:
        source = _list_keys(call, client, bucket, prefix)
    else:
        source = iter([(key, None) for key in dict.fromkeys(keys)])

    # At most this many objects are queued or in flight, so a listing of millions of
    # keys is never held in memory at once.
    window = concurrency * 4
    pending = {}
    listing_error = None
    with ThreadPoolExecutor(max_workers=concurrency) as executor:
        while True:
            try:
                key, storage_class = next(source)
            except StopIteration:
                break
            except Exception as exc:  # pylint: disable=broad-exception-caught
                listing_error = exc
                break
            counts['total'] += 1
            parsed = parse(key)
            if parsed is None:
                by_action['skipped_not_duplicity'] += 1
                continue
            counts['by_kind'][parsed.kind]['total'] += 1
            value = desired_value(parsed, archive_value, keep_value)
            if storage_class in ARCHIVED_CLASSES:
                record(parsed, value, ('skipped_archived', None, None))
                continue
            future = executor.submit(_tag_one, call, client, bucket, parsed, tag_key, value, check_mode)
            pending[future] = (parsed, value)
            if len(pending) >= window:
                done, dummy = wait(pending, return_when=FIRST_COMPLETED)
                for finished in done:
                    record(*pending.pop(finished), outcome=finished.result())
        for finished in list(pending):
            record(*pending.pop(finished), outcome=finished.result())

    failed_objects.sort(key=lambda item: item['key'])
    if listing_error is not None:
        raise TaggingError(
            'listing s3://%s/%s failed after %d keys: %s' % (
                bucket, prefix, counts['total'], describe_error(listing_error)),
            result, listing_error)
    return result


def summary(result):
    """A one-line text summary of a result."""
    counts = result['counts']
    by_action = counts['by_action']
    kinds = ', '.join(
        '%s %d' % (kind, kind_counts['total'])
        for kind, kind_counts in counts['by_kind'].items() if kind_counts['total'])
    return '%d objects: %s %d, already correct %d, not duplicity %d, failed %d%s' % (
        counts['total'], 'would tag' if result.get('check_mode') else 'tagged', by_action['tagged'],
        by_action['already_correct'], by_action['skipped_not_duplicity'], by_action['failed'],
        ' (%s)' % kinds if kinds else '',
    )
