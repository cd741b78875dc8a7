# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import threading
import time

import pytest

from ansible_collections.offsite.backup.plugins.module_utils import s3_engine as engine


class FakeClientError(Exception):
    def __init__(self, code, status=400):
        super(FakeClientError, self).__init__('An error occurred (%s)' % code)
        self.response = {'Error': {'Code': code, 'Message': code}, 'ResponseMetadata': {'HTTPStatusCode': status}}


class BotoCoreError(Exception):
    """Stands for botocore.exceptions.BotoCoreError, recognised by name."""


class EndpointConnectionError(BotoCoreError):
    pass


class Pages:
    def __init__(self, keys, page_size, fail_at=None):
        self.keys = keys
        self.page_size = page_size
        self.fail_at = fail_at
        self.calls = []

    def list_objects_v2(self, Bucket, Prefix='', ContinuationToken=None, **kwargs):
        self.calls.append(dict(kwargs, Bucket=Bucket, Prefix=Prefix, ContinuationToken=ContinuationToken))
        start = int(ContinuationToken or 0)
        if self.fail_at is not None and start >= self.fail_at:
            raise FakeClientError('AccessDenied', 403)
        page = [key for key in self.keys if key.startswith(Prefix)][start:start + self.page_size]
        response = {'Contents': [{'Key': key, 'Size': 3} for key in page],
                    'IsTruncated': start + self.page_size < len(self.keys)}
        if response['IsTruncated']:
            response['NextContinuationToken'] = str(start + self.page_size)
        return response


def test_pages_are_followed_and_call_args_passed():
    client = Pages(['p/%03d' % n for n in range(25)], 10)
    entries = list(engine.iter_objects(client, 'b', 'p/', {'aws_retry': True}))
    assert [entry['key'] for entry in entries] == ['p/%03d' % n for n in range(25)]
    assert entries[0] == {'key': 'p/000', 'size': 3, 'storage_class': None}
    assert [call['ContinuationToken'] for call in client.calls] == [None, '10', '20']
    assert all(call['aws_retry'] is True for call in client.calls)


def test_a_failed_page_is_a_listing_error_after_what_was_listed():
    client = Pages(['%03d' % n for n in range(25)], 10, fail_at=20)
    listed = []
    with pytest.raises(engine.ListingError) as error:
        for entry in engine.iter_objects(client, 'b'):
            listed.append(entry['key'])
    assert len(listed) == 20 and error.value.count == 20
    assert 'AccessDenied' in str(error.value) and isinstance(error.value.cause, FakeClientError)


def test_a_programming_error_in_the_listing_propagates():
    class Broken:
        def list_objects_v2(self, **kwargs):
            raise TypeError('unexpected keyword argument')
    with pytest.raises(TypeError):
        list(engine.iter_objects(Broken(), 'b'))


def test_client_errors_are_recognised_and_nothing_else():
    assert engine.is_client_error(FakeClientError('SlowDown', 503))
    assert engine.is_client_error(EndpointConnectionError('no route'))
    for other in (TypeError('x'), KeyError('k'), ValueError('v'), AttributeError('a')):
        assert not engine.is_client_error(other)


def test_call_returns_client_errors_and_raises_the_rest():
    def fails(**kwargs):
        raise FakeClientError('NoSuchKey', 404)

    def broken(**kwargs):
        raise TypeError('bad')
    response, error = engine.call(lambda **kwargs: kwargs, {'aws_retry': True}, Key='k')
    assert response == {'Key': 'k', 'aws_retry': True} and error is None
    response, error = engine.call(fails, None, Key='k')
    assert response is None and engine.error_code(error) == ('NoSuchKey', 404)
    with pytest.raises(TypeError):
        engine.call(broken, None)


def test_retryable_errors():
    assert engine.is_retryable(FakeClientError('SlowDown', 503))
    assert engine.is_retryable(FakeClientError('Other', 502))
    assert engine.is_retryable(FakeClientError('503', 503))
    assert not engine.is_retryable(FakeClientError('GlacierExpeditedRetrievalNotAvailable', 503))
    assert not engine.is_retryable(FakeClientError('AccessDenied', 403))
    assert not engine.is_retryable(RuntimeError('x'))
    assert 'GlacierExpeditedRetrievalNotAvailable' not in engine.AWS_RETRY_CODES
    assert 'SlowDown' in engine.AWS_RETRY_CODES and '503' in engine.AWS_RETRY_CODES


def test_describe_error():
    assert engine.describe_error(FakeClientError('SlowDown', 503)) == 'An error occurred (SlowDown)'
    assert engine.describe_error(FakeClientError('503', 503).with_traceback(None)) == 'An error occurred (503)'
    assert engine.describe_error(RuntimeError()) == 'RuntimeError'


def test_run_concurrently_rejects_bad_concurrency():
    for bad in (0, 65, True, '4'):
        with pytest.raises(ValueError):
            list(engine.run_concurrently(lambda item: item, [1], bad))


def test_run_concurrently_is_bounded_and_windowed():
    lock = threading.Lock()
    state = {'in_flight': 0, 'max': 0, 'taken': 0}

    def items():
        for n in range(200):
            with lock:
                state['taken'] += 1
            yield n

    def work(item):
        with lock:
            state['in_flight'] += 1
            state['max'] = max(state['max'], state['in_flight'])
            assert state['taken'] - item <= 4 * 3 + 1  # never more than the window ahead
        time.sleep(0.001)
        with lock:
            state['in_flight'] -= 1
        return item * 2
    results = dict(engine.run_concurrently(work, items(), 3))
    assert results == dict((n, n * 2) for n in range(200))
    assert 1 < state['max'] <= 3


def test_run_concurrently_propagates_exceptions():
    def work(item):
        if item == 5:
            raise TypeError('bug')
        return item
    with pytest.raises(TypeError):
        list(engine.run_concurrently(work, range(10), 2))


class VersionPages:
    """ListObjectVersions in pages of two entries, versions and markers mixed."""

    def __init__(self, entries, fail_after=None):
        self.entries = entries
        self.fail_after = fail_after
        self.calls = []

    def list_object_versions(self, Bucket, Prefix='', KeyMarker=None, VersionIdMarker=None, **kwargs):
        self.calls.append(dict(kwargs, KeyMarker=KeyMarker, VersionIdMarker=VersionIdMarker))
        start = 0 if KeyMarker is None else int(VersionIdMarker) + 1
        if self.fail_after is not None and start >= self.fail_after:
            raise FakeClientError('AccessDenied', 403)
        page = self.entries[start:start + 2]
        response = {'Versions': [e for e in page if 'Size' in e], 'DeleteMarkers': [e for e in page if 'Size' not in e],
                    'IsTruncated': start + 2 < len(self.entries)}
        if response['IsTruncated']:
            response['NextKeyMarker'] = page[-1]['Key']
            response['NextVersionIdMarker'] = str(start + 1)
        return response


def test_versions_pages_are_followed_and_markers_marked():
    entries = [{'Key': 'p/a', 'VersionId': '0', 'Size': 1}, {'Key': 'p/a', 'VersionId': '1'},
               {'Key': 'p/b', 'VersionId': '2', 'Size': 2}, {'Key': 'p/c', 'VersionId': '3'},
               {'Key': 'p/d', 'VersionId': '4', 'Size': 4}]
    client = VersionPages(entries)
    found = list(engine.iter_versions(client, 'b', 'p/', {'aws_retry': True}))
    assert sorted((e['VersionId'], e['DeleteMarker']) for e in found) == [
        ('0', False), ('1', True), ('2', False), ('3', True), ('4', False)]
    assert [(c['KeyMarker'], c['VersionIdMarker']) for c in client.calls] == [(None, None), ('p/a', '1'), ('p/c', '3')]
    assert all(c['aws_retry'] is True for c in client.calls)
    with pytest.raises(engine.ListingError) as error:
        list(engine.iter_versions(VersionPages(entries, fail_after=2), 'b', 'p/'))
    assert error.value.count == 2 and 'versions of s3://b/p/' in str(error.value)


# ---- adaptive limit ------------------------------------------------------------------

def test_throttle_halves_once_per_round_and_climbs_back():
    throttle = engine.Throttle(16)
    with throttle.slot():
        throttle.throttled()
        assert (throttle.limit, throttle.decreases) == (8, 1)
        throttle.throttled()  # the same request, retried after the halving: no second one
        assert (throttle.limit, throttle.decreases, throttle.events) == (8, 1, 2)
    for dummy in range(7):  # with the one above, 8 requests finish after the halving
        with throttle.slot():
            pass
    assert throttle.limit == 9
    with throttle.slot():  # a request of the new round
        throttle.throttled()
    assert (throttle.limit, throttle.lowest) == (4, 4)
    throttle.throttled()  # outside any request (a listing page): always a new round
    assert (throttle.limit, throttle.lowest) == (2, 2)
    for dummy in range(sum(range(2, 16)) + 100):
        with throttle.slot():
            pass
    assert throttle.limit == 16  # never past the ceiling
    assert throttle.summary() == {'ceiling': 16, 'throttled': 4, 'decreases': 3, 'lowest_limit': 2, 'limit': 16}


def test_throttle_never_goes_below_one_and_checks_its_ceiling():
    throttle = engine.Throttle(2)
    for dummy in range(5):
        with throttle.slot():
            throttle.throttled()
            assert throttle.limit == 1
    assert throttle.lowest == 1 and throttle.decreases == 5
    assert throttle.limit == 2  # each request that finished since brought it back up
    with pytest.raises(ValueError):
        engine.Throttle(0)
    with pytest.raises(ValueError):
        engine.Throttle(65)


def endpoint_with_capacity(capacity, pause=0.002):
    """A request function for an endpoint that answers SlowDown while more than ``capacity`` are in flight.

    Like a client's retry layer, it retries a throttled request after a pause, and tells
    the throttle of each throttling answer, as watch_throttling()'s handler does.
    """
    lock = threading.Lock()
    state = {'in_flight': 0, 'throttled': 0, 'served': 0}

    def request(item, throttle=None):
        while True:
            with lock:
                busy = state['in_flight'] >= capacity
                if busy:
                    state['throttled'] += 1
                else:
                    state['in_flight'] += 1
            if not busy:
                time.sleep(pause)
                with lock:
                    state['in_flight'] -= 1
                    state['served'] += 1
                return item
            if throttle is not None:
                throttle.throttled()
            time.sleep(pause)
    return request, state


def test_a_throttle_keeps_requests_within_what_the_endpoint_takes():
    request, fixed = endpoint_with_capacity(4)
    assert sorted(item for item, dummy in engine.run_concurrently(request, range(400), 32)) == list(range(400))

    request, adaptive = endpoint_with_capacity(4)
    throttle = engine.Throttle(32)
    done = engine.run_concurrently(lambda item: request(item, throttle), range(400), 32, throttle=throttle)
    assert sorted(item for item, dummy in done) == list(range(400))

    assert fixed['served'] == adaptive['served'] == 400
    # At a fixed 32, most attempts are turned away; the throttle comes down to the
    # endpoint's capacity and only probes above it now and then.
    assert fixed['throttled'] > 400
    assert adaptive['throttled'] * 4 < fixed['throttled']
    assert throttle.lowest <= 4
    assert throttle.decreases >= 3


class Events(object):
    """botocore's event system as far as watch_throttling() uses it."""

    def __init__(self):
        self.handlers = {}

    def register(self, event, handler, unique_id=None):
        self.handlers.setdefault(event, {})[unique_id or id(handler)] = handler

    def emit(self, event, **kwargs):
        return [handler(**kwargs) for handler in self.handlers.get(event, {}).values()]


class Meta(object):
    def __init__(self):
        self.events = Events()


class Http(object):
    def __init__(self, status_code):
        self.status_code = status_code


class EventClient(object):
    def __init__(self):
        self.meta = Meta()


def answer(status, code=None):
    return (Http(status), {'Error': {'Code': code}} if code else {})


def test_watch_throttling_lowers_on_throttling_answers_only():
    client = EventClient()
    assert engine.throttle_of(client) is None
    throttle = engine.watch_throttling(client, 16)
    assert engine.watch_throttling(client, 64) is throttle and engine.throttle_of(client) is throttle
    emit = client.meta.events.emit
    for response in (None, answer(200), answer(500, 'InternalError'), answer(404, 'NoSuchKey'),
                     answer(503, 'GlacierExpeditedRetrievalNotAvailable')):
        assert emit('needs-retry.s3', response=response, attempts=1) == [None]
    assert throttle.events == 0 and throttle.limit == 16
    assert emit('needs-retry.s3', response=answer(503, 'SlowDown'), attempts=1) == [None]
    assert (throttle.events, throttle.limit) == (1, 8)
    for dummy in range(8):
        with throttle.slot():
            pass
    emit('needs-retry.s3', response=answer(503), attempts=2)  # HeadObject: a status, no body
    assert throttle.events == 2 and throttle.limit == 4
    emit('needs-retry.s3', response=answer(400, 'RequestLimitExceeded'), attempts=1)
    assert throttle.events == 3 and throttle.limit == 2
    assert len(client.meta.events.handlers['needs-retry.s3']) == 1


def test_a_client_without_events_gets_a_throttle_its_calls_lower():
    client = Pages([], 10)
    throttle = engine.watch_throttling(client, 8)
    assert engine.throttle_of(client) is throttle and throttle.limit == 8


def test_is_throttling():
    assert engine.is_throttling(answer(503, 'SlowDown'))
    assert engine.is_throttling(answer(429))
    assert not engine.is_throttling(answer(500))
    assert not engine.is_throttling(None)
    assert engine.is_throttling((Http(503), None))
    assert not engine.is_throttling(('not', 'a response', 'tuple'))
