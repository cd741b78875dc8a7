# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The S3 engine layer the restore and tagging engines share.

One implementation of: ListObjectsV2 and ListObjectVersions pagination (iter_objects(),
iter_versions()), the bounded, windowed thread pool (run_concurrently()), the
concurrency check (check_concurrency()), the adaptive limit on requests in flight
(Throttle, watch_throttling(), throttle_of()), and what
an error from the client is (is_client_error(), error_code(), is_retryable(),
describe_error()).

It retries nothing. Every request is retried by exactly one layer, the client's:

* modules pass amazon.aws's retrying client (``module.client(..., retry_decorator=
  AWSRetry.jittered_backoff(catch_extra_error_codes=AWS_RETRY_CODES))``) and
  ``call_args={'aws_retry': True}``;
* host helpers pass a boto3 client made with botocore's own retry modes
  (``Config(retries={'mode': 'standard' or 'adaptive', 'max_attempts': N})``).

It never imports boto3 or botocore, so the host helpers can import it beside the other
engine files (as top-level modules) and unit tests can use fake clients. botocore's
errors are recognised by their ``response`` attribute (ClientError) or by the class
name BotoCoreError in their ancestry (connection errors, timeouts, ...); anything else
(a TypeError, a KeyError: a programming error) propagates.
"""

from __future__ import annotations

import threading
import weakref
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager

DEFAULT_CONCURRENCY = 16
MAX_CONCURRENCY = 64

# The answers that mean "fewer requests at a time" (S3's SlowDown is a 503): a Throttle
# halves its limit on them.
THROTTLING_CODES = frozenset((
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
))
# Error codes worth another attempt: throttling, and transient server-side errors, which
# are only retried.
RETRYABLE_CODES = THROTTLING_CODES | frozenset((
    'InternalError',
    'InternalFailure',
    'RequestTimeout',
    'RequestTimeoutException',
    'PriorRequestNotComplete',
))
RETRYABLE_STATUS = frozenset((429, 500, 502, 503, 504))
THROTTLING_STATUS = frozenset((429, 503))
# HeadObject answers have no body, so botocore reports the HTTP status as the code.
RETRYABLE_HEAD_CODES = ('500', '502', '503', '504')
# Answered with HTTP 503 but not transient: Expedited capacity is not available now.
NOT_RETRYABLE_CODES = frozenset(('GlacierExpeditedRetrievalNotAvailable',))
# What the modules give AWSRetry.jittered_backoff(catch_extra_error_codes=...).
AWS_RETRY_CODES = tuple(sorted(RETRYABLE_CODES)) + RETRYABLE_HEAD_CODES


class ListingError(Exception):
    """A listing failed; ``cause`` is the exception from the client, ``count`` the keys listed before."""

    def __init__(self, message, cause, count=0):
        super(ListingError, self).__init__(message)
        self.cause = cause
        self.count = count


# ---- errors --------------------------------------------------------------------------

def is_client_error(exc):
    """True for botocore's ClientError (and look-alikes with a ``response`` dict) and BotoCoreError."""
    if isinstance(getattr(exc, 'response', None), dict):
        return True
    return any(klass.__name__ == 'BotoCoreError' for klass in type(exc).__mro__)


def error_code(exc):
    """(code, HTTP status) of a botocore ClientError-like exception, else (None, None)."""
    response = getattr(exc, 'response', None)
    if not isinstance(response, dict):
        return None, None
    error = response.get('Error') or {}
    metadata = response.get('ResponseMetadata') or {}
    return error.get('Code'), metadata.get('HTTPStatusCode')


def is_retryable(exc):
    """True for throttling and transient server errors (what a retrying client retries)."""
    code, status = error_code(exc)
    if code in NOT_RETRYABLE_CODES:
        return False
    if code in RETRYABLE_CODES or code in RETRYABLE_HEAD_CODES:
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


# ---- concurrency ---------------------------------------------------------------------

def check_concurrency(concurrency):
    """Raise ValueError unless concurrency is an int from 1 to MAX_CONCURRENCY."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ValueError('concurrency must be from 1 to %d (an integer), got %r' % (MAX_CONCURRENCY, concurrency))


def run_concurrently(function, items, concurrency, throttle=None):
    """Yield (item, function(item)) for every item, at most ``concurrency`` at a time, as they finish.

    At most 4 x concurrency items are queued or in flight, so a long input (a listing of
    millions of keys) is never all in memory at once. With a ``throttle`` (a Throttle,
    as throttle_of(client) gives), each call also waits for one of its slots, so fewer
    run at once while the endpoint answers SlowDown. An exception raised by
    ``function`` propagates to the caller (after the running calls finish).
    """
    check_concurrency(concurrency)
    work = function if throttle is None else _in_slot(function, throttle)
    window = concurrency * 4
    pending = {}
    with ThreadPoolExecutor(max_workers=concurrency) as executor:
        for item in items:
            pending[executor.submit(work, item)] = item
            if len(pending) >= window:
                done, dummy = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield pending.pop(future), future.result()
        while pending:
            done, dummy = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield pending.pop(future), future.result()


def _in_slot(function, throttle):
    def work(item):
        with throttle.slot():
            return function(item)
    return work


# ---- adaptive limit ------------------------------------------------------------------

class Throttle(object):
    """An adaptive limit on the requests one client has in flight, shared by its threads.

    The limit starts at ``ceiling`` (the concurrency asked for). A throttling answer
    (throttled(): SlowDown, a 503 or 429, ...) halves it, down to 1, once per round: an
    answer to a request that began before the last halving (in the same slot() of the
    same thread) does not lower it again. Every ``limit`` requests that finish after it
    raise it by one, back up to ``ceiling`` (additive increase, multiplicative decrease,
    as TCP does). The client's retry layer still retries each throttled request; the
    Throttle only sends fewer at once, so the retries stop being throttled too.
    """

    def __init__(self, ceiling):
        check_concurrency(ceiling)
        self.ceiling = ceiling
        self.limit = ceiling
        self.lowest = ceiling
        self.events = 0
        self.decreases = 0
        self._in_flight = 0
        self._round = 0
        self._finished_since = 0
        self._condition = threading.Condition()
        self._request = threading.local()

    @contextmanager
    def slot(self):
        """Hold one of the limit's slots for the duration of a request (waits for one)."""
        with self._condition:
            while self._in_flight >= self.limit:
                self._condition.wait()
            self._in_flight += 1
            self._request.round = self._round
        try:
            yield
        finally:
            self._request.round = None
            with self._condition:
                self._in_flight -= 1
                self._finished_since += 1
                if self.limit < self.ceiling and self._finished_since >= self.limit:
                    self.limit += 1
                    self._finished_since = 0
                self._condition.notify_all()

    def throttled(self):
        """Record a throttling answer; halve the limit unless this thread's request began before the last halving."""
        started = getattr(self._request, 'round', None)
        with self._condition:
            self.events += 1
            if started is not None and started < self._round:
                return
            self.limit = max(1, self.limit // 2)
            self.lowest = min(self.lowest, self.limit)
            self.decreases += 1
            self._round += 1
            self._finished_since = 0

    def summary(self):
        """What the throttle saw: throttling answers, decreases, lowest and current limit."""
        with self._condition:
            return {'ceiling': self.ceiling, 'throttled': self.events, 'decreases': self.decreases,
                    'lowest_limit': self.lowest, 'limit': self.limit}


def is_throttling(response):
    """True when a botocore attempt's (http_response, parsed) tuple is a throttling answer."""
    if not isinstance(response, tuple) or len(response) != 2:
        return False
    http, parsed = response
    code = ((parsed or {}).get('Error') or {}).get('Code') if isinstance(parsed, dict) else None
    if code in NOT_RETRYABLE_CODES:
        return False
    if code in THROTTLING_CODES:
        return True
    return getattr(http, 'status_code', None) in THROTTLING_STATUS


_THROTTLES = weakref.WeakKeyDictionary()
_THROTTLES_LOCK = threading.Lock()


def watch_throttling(client, ceiling):
    """The Throttle of ``client`` (made with ``ceiling`` the first time), fed by every attempt's answer.

    It listens on botocore's ``needs-retry`` event, which every attempt's answer passes
    through, retried or not, whichever layer retries; the handler returns None, so it
    never changes a retry decision. A client without botocore's event system (a test's
    fake) gets a Throttle that only its own calls to throttled() lower.
    """
    with _THROTTLES_LOCK:
        throttle = _THROTTLES.get(client)
        if throttle is None:
            throttle = Throttle(ceiling)
            _THROTTLES[client] = throttle
            events = getattr(getattr(client, 'meta', None), 'events', None)
            if events is not None:
                events.register('needs-retry.s3', _throttle_handler(throttle), unique_id='offsite-backup-throttle')
    return throttle


def _throttle_handler(throttle):
    def handler(response=None, **kwargs):  # pylint: disable=unused-argument
        if is_throttling(response):
            throttle.throttled()
    return handler


def throttle_of(client):
    """The Throttle watch_throttling() gave ``client``, or None."""
    with _THROTTLES_LOCK:
        return _THROTTLES.get(client)


# ---- pagination ----------------------------------------------------------------------

def _entries(method, params, entries_of, next_params, failure):
    """Yield the entries of every page of a listing request, following ``next_params``.

    ``entries_of(page)`` gives a page's entries and ``next_params(page)`` the parameters
    of the next request, or None after the last page. Raises ListingError when a page
    cannot be read, with ``failure`` (a format string with ``{count}``, the entries
    already listed) before the error.
    """
    count = 0
    while True:
        try:
            page = method(**params)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            if not is_client_error(exc):
                raise
            raise ListingError('%s: %s' % (failure.replace('{count}', str(count)), describe_error(exc)), exc, count)
        for entry in entries_of(page):
            count += 1
            yield entry
        following = next_params(page)
        if following is None:
            return
        params.update(following)


def iter_objects(client, bucket, prefix='', call_args=None, restore_status=False):
    """Yield every object under ``prefix`` as a dict (key, size, storage_class), a ListObjectsV2 page at a time.

    ``storage_class`` is the listing's StorageClass (None when the listing leaves it
    out). With ``restore_status`` the listing is asked for each object's RestoreStatus
    (ListObjectsV2 ``OptionalObjectAttributes``) and every entry has ``restore_status``:
    the listing's dict, or None when it gave none. Raises ListingError when a page
    cannot be read.
    """
    def entries_of(page):
        for item in page.get('Contents') or ():
            entry = {'key': item['Key'], 'size': int(item.get('Size') or 0), 'storage_class': item.get('StorageClass')}
            if restore_status:
                entry['restore_status'] = item.get('RestoreStatus')
            yield entry

    def next_params(page):
        token = page.get('NextContinuationToken')
        return {'ContinuationToken': token} if page.get('IsTruncated') and token else None
    params = dict(call_args or {}, Bucket=bucket, Prefix=prefix)
    if restore_status:
        params['OptionalObjectAttributes'] = ['RestoreStatus']
    return _entries(client.list_objects_v2, params,
                    entries_of, next_params, 'listing s3://%s/%s failed after {count} keys' % (bucket, prefix))


def iter_versions(client, bucket, prefix='', call_args=None):
    """Yield every version and delete marker under ``prefix``, a ListObjectVersions page at a time.

    Each is ListObjectVersions' own dict (Key, VersionId, IsLatest, LastModified, and for
    versions Size, ETag and StorageClass) with ``DeleteMarker`` True or False added.
    Raises ListingError when a page cannot be read.
    """
    def entries_of(page):
        for kind, marker in (('Versions', False), ('DeleteMarkers', True)):
            for item in page.get(kind) or ():
                yield dict(item, DeleteMarker=marker)

    def next_params(page):
        if not page.get('IsTruncated'):
            return None
        return {'KeyMarker': page.get('NextKeyMarker'), 'VersionIdMarker': page.get('NextVersionIdMarker')}
    return _entries(client.list_object_versions, dict(call_args or {}, Bucket=bucket, Prefix=prefix),
                    entries_of, next_params, 'listing the versions of s3://%s/%s failed after {count}' % (bucket, prefix))


def call(method, call_args, **kwargs):
    """``method(**kwargs)`` with ``call_args`` added; a ClientError-like error is returned, not raised.

    Returns (response, None) or (None, exception). Programming errors propagate.
    """
    try:
        return method(**dict(kwargs, **(call_args or {}))), None
    except Exception as exc:  # pylint: disable=broad-exception-caught
        if not is_client_error(exc):
            raise
        return None, exc
