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
