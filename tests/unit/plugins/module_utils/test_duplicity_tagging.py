# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import http.server
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import types

import pytest

from ansible_collections.offsite.backup.plugins.module_utils import duplicity_tagging
from ansible_collections.offsite.backup.plugins.module_utils.duplicity_names import KINDS, parse
from ansible_collections.offsite.backup.plugins.module_utils.duplicity_tagging import (
    ACTIONS,
    TaggingError,
    desired_value,
    is_retryable,
    new_counts,
    summary,
    tag_objects,
    validate_tag,
)

T0 = '20240101T000000Z'
T1 = '20240102T030405Z'
T2 = '20240103T235959Z'

COLLECTION = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
MODULE_UTILS = os.path.join(COLLECTION, 'plugins', 'module_utils')
HELPER = os.path.join(COLLECTION, 'roles', 'duply', 'files', 'offsite-backup-tag.py')

# key -> expected kind
DUPLICITY = {
    'pi/photos/duplicity-full.%s.manifest.gpg' % T0: 'full-manifest',
    'pi/photos/duplicity-inc.%s.to.%s.manifest.gpg' % (T0, T1): 'inc-manifest',
    'pi/photos/duplicity-full-signatures.%s.sigtar.gpg' % T0: 'full-signatures',
    'pi/photos/duplicity-new-signatures.%s.to.%s.sigtar.gpg' % (T0, T1): 'new-signatures',
    'pi/photos/duplicity-full.%s.vol1.difftar.gpg' % T0: 'full-volume',
    'pi/photos/duplicity-full.%s.vol2.difftar.gpg' % T0: 'full-volume',
    'pi/photos/duplicity-inc.%s.to.%s.vol1.difftar.gpg' % (T0, T1): 'inc-volume',
    'pi/photos/duplicity-inc.%s.to.%s.jsonstat.gpg' % (T1, T2): 'jsonstat',
    # --file-prefix-* forms, other encodings, awkward folders
    'nas/mail/arch_duplicity-full.%s.vol10.difftar.gz' % T0: 'full-volume',
    'nas/mail/man_duplicity-full.%s.manifest' % T0: 'full-manifest',
    'nas/mail/sig_duplicity-full-signatures.%s.sigtar.p7m' % T0: 'full-signatures',
    'nas/manifest/duplicity-full.%s.vol3.difftar.gpg' % T0: 'full-volume',
    'nas/signatures.sigtar/duplicity-inc.%s.to.%s.vol4.difftar' % (T0, T1): 'inc-volume',
    'nas/with space/ünïcødé duplicity-full.%s.manifest.gpg' % T0: 'full-manifest',
}
NOT_DUPLICITY = [
    'pi/photos/duplicity-full.garbage',
    'pi/photos/README.txt',
    'pi/photos/',
    'pi/photos/duplicity-full.%s.manifest.gpg.bak' % T0,
    'nas/manifest/notes manifest.txt',
]


class FakeClientError(Exception):
    """Shaped like botocore.exceptions.ClientError."""

    def __init__(self, code, operation, status=400):
        super(FakeClientError, self).__init__(
            'An error occurred (%s) when calling the %s operation: %s' % (code, operation, code))
        self.response = {'Error': {'Code': code, 'Message': code},
                         'ResponseMetadata': {'HTTPStatusCode': status}}


class FakeS3:
    """In-memory stand-in for the three S3 client methods the engine uses."""

    def __init__(self, objects, page_size=1000, delay=0.0):
        self.objects = dict((key, list(tags)) for key, tags in objects.items())
        self.page_size = page_size
        self.delay = delay
        self.lock = threading.Lock()
        self.calls = []  # (operation, key or None, extra kwargs)
        self.failures = {}  # (operation, key) -> list of exceptions to raise, in order
        self.in_flight = 0
        self.max_in_flight = 0
        self.storage_classes = {}  # key -> StorageClass the listing reports

    def fail(self, operation, key, *errors):
        self.failures.setdefault((operation, key), []).extend(errors)

    def _enter(self, operation, key, kwargs):
        # in_flight counts the tagging requests, made by the workers (the listing runs
        # in the caller's thread, beside them).
        tagging = operation != 'ListObjectsV2'
        with self.lock:
            self.calls.append((operation, key, kwargs))
            queue = self.failures.get((operation, key))
            error = queue.pop(0) if queue else None
            self.in_flight += tagging
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            self.in_flight -= tagging
        if error is not None:
            raise error

    def count(self, operation):
        return sum(1 for call in self.calls if call[0] == operation)

    def list_objects_v2(self, Bucket, Prefix='', ContinuationToken=None, **kwargs):
        assert Bucket == 'bucket'
        self._enter('ListObjectsV2', ContinuationToken, kwargs)
        keys = sorted(key for key in self.objects if key.startswith(Prefix))
        start = int(ContinuationToken or 0)
        page = keys[start:start + self.page_size]
        response = {'KeyCount': len(page), 'IsTruncated': start + self.page_size < len(keys)}
        if page:
            response['Contents'] = [
                dict({'Key': key, 'Size': 1}, **({'StorageClass': self.storage_classes[key]} if key in self.storage_classes else {}))
                for key in page]
        if response['IsTruncated']:
            response['NextContinuationToken'] = str(start + self.page_size)
        return response

    def get_object_tagging(self, Bucket, Key, **kwargs):
        assert Bucket == 'bucket'
        self._enter('GetObjectTagging', Key, kwargs)
        if Key not in self.objects:
            raise FakeClientError('NoSuchKey', 'GetObjectTagging', 404)
        with self.lock:
            return {'TagSet': [dict(tag) for tag in self.objects[Key]]}

    def put_object_tagging(self, Bucket, Key, Tagging, **kwargs):
        assert Bucket == 'bucket'
        self._enter('PutObjectTagging', Key, kwargs)
        tag_set = Tagging['TagSet']
        assert len(set(tag['Key'] for tag in tag_set)) == len(tag_set), 'duplicate tag keys'
        if len(tag_set) > 10:
            raise FakeClientError('BadRequest', 'PutObjectTagging')
        with self.lock:
            self.objects[Key] = [dict(tag) for tag in tag_set]
        return {}

    def tags(self, key):
        return dict((tag['Key'], tag['Value']) for tag in self.objects[key])


def no_sleep(seconds):
    assert 0 <= seconds <= duplicity_tagging.MAX_BACKOFF


def fresh_bucket(extra=None):
    objects = dict((key, []) for key in list(DUPLICITY) + NOT_DUPLICITY)
    objects.update(extra or {})
    return FakeS3(objects, page_size=4)


def expected_value(kind, archive='true', keep='false'):
    return archive if kind.endswith('volume') else keep


def test_desired_value_per_kind():
    for key, kind in DUPLICITY.items():
        parsed = parse(key)
        assert parsed.kind == kind
        assert desired_value(parsed) == expected_value(kind)
        assert desired_value(parsed, 'cold', 'hot') == expected_value(kind, 'cold', 'hot')


def test_tags_every_duplicity_object_by_kind():
    s3 = fresh_bucket()
    result = tag_objects(s3, 'bucket', concurrency=4)

    for key, kind in DUPLICITY.items():
        assert s3.tags(key) == {'glacierable': expected_value(kind)}, key
    for key in NOT_DUPLICITY:
        assert s3.objects[key] == [], key
    counts = result['counts']
    assert counts['total'] == len(DUPLICITY) + len(NOT_DUPLICITY)
    assert counts['by_action'] == {
        'tagged': len(DUPLICITY), 'already_correct': 0,
        'skipped_archived': 0, 'skipped_earlier': 0, 'skipped_not_duplicity': len(NOT_DUPLICITY), 'failed': 0,
    }
    assert set(counts['by_kind']) == set(KINDS)
    for kind in KINDS:
        expected = sum(1 for k in DUPLICITY.values() if k == kind)
        assert counts['by_kind'][kind] == {'total': expected, 'tagged': expected, 'already_correct': 0,
                                           'skipped_archived': 0, 'skipped_earlier': 0, 'failed': 0}
    assert result['changed'] is True
    assert result['check_mode'] is False
    assert result['failed_objects'] == []
    assert len(result['tagged_sample']) == len(DUPLICITY)
    for item in result['tagged_sample']:
        assert item['previous'] is None
        assert item['value'] == expected_value(item['kind'])


def test_volume_under_manifest_folder_is_a_volume():
    key = 'nas/manifest/duplicity-full.%s.vol3.difftar.gpg' % T0
    s3 = FakeS3({key: []})
    tag_objects(s3, 'bucket')
    assert s3.tags(key) == {'glacierable': 'true'}


def test_non_duplicity_objects_are_never_read_or_written():
    s3 = fresh_bucket()
    tag_objects(s3, 'bucket')
    touched = set(call[1] for call in s3.calls if call[0] != 'ListObjectsV2')
    assert touched == set(DUPLICITY)


def test_other_tags_are_kept():
    manifest = 'pi/photos/duplicity-full.%s.manifest.gpg' % T0
    volume = 'pi/photos/duplicity-full.%s.vol1.difftar.gpg' % T0
    s3 = FakeS3({
        manifest: [{'Key': 'owner', 'Value': 'pi'}, {'Key': 'glacierable', 'Value': 'true'},
                   {'Key': 'project', 'Value': 'photos'}],
        volume: [{'Key': 'owner', 'Value': 'pi'}],
    })
    result = tag_objects(s3, 'bucket')
    assert s3.objects[manifest] == [{'Key': 'owner', 'Value': 'pi'}, {'Key': 'project', 'Value': 'photos'},
                                    {'Key': 'glacierable', 'Value': 'false'}]
    assert s3.objects[volume] == [{'Key': 'owner', 'Value': 'pi'}, {'Key': 'glacierable', 'Value': 'true'}]
    assert result['counts']['by_action']['tagged'] == 2
    previous = dict((item['key'], item['previous']) for item in result['tagged_sample'])
    assert previous == {manifest: 'true', volume: None}


def test_already_correct_objects_are_not_written():
    manifest = 'pi/photos/duplicity-full.%s.manifest.gpg' % T0
    volume = 'pi/photos/duplicity-full.%s.vol1.difftar.gpg' % T0
    wrong = 'pi/photos/duplicity-full.%s.vol2.difftar.gpg' % T0
    s3 = FakeS3({
        manifest: [{'Key': 'glacierable', 'Value': 'false'}, {'Key': 'x', 'Value': 'y'}],
        volume: [{'Key': 'glacierable', 'Value': 'true'}],
        wrong: [{'Key': 'glacierable', 'Value': 'TRUE'}],
    })
    result = tag_objects(s3, 'bucket')
    assert [call[1] for call in s3.calls if call[0] == 'PutObjectTagging'] == [wrong]
    assert result['counts']['by_action'] == {
        'tagged': 1, 'already_correct': 2, 'skipped_archived': 0, 'skipped_earlier': 0, 'skipped_not_duplicity': 0, 'failed': 0}
    assert result['counts']['by_kind']['full-volume'] == {
        'total': 2, 'tagged': 1, 'already_correct': 1, 'skipped_archived': 0, 'skipped_earlier': 0, 'failed': 0}
    assert s3.tags(wrong) == {'glacierable': 'true'}


def test_rerun_makes_no_writes():
    s3 = fresh_bucket()
    first = tag_objects(s3, 'bucket')
    puts = s3.count('PutObjectTagging')
    assert puts == len(DUPLICITY)
    second = tag_objects(s3, 'bucket')
    assert s3.count('PutObjectTagging') == puts
    assert second['changed'] is False
    assert second['tagged_sample'] == []
    assert second['counts']['by_action'] == {
        'tagged': 0, 'already_correct': len(DUPLICITY),
        'skipped_archived': 0, 'skipped_earlier': 0, 'skipped_not_duplicity': len(NOT_DUPLICITY), 'failed': 0}
    assert first['counts']['total'] == second['counts']['total']


def test_custom_tag_key_and_values():
    s3 = fresh_bucket()
    tag_objects(s3, 'bucket', tag_key='storage-tier', archive_value='cold', keep_value='hot')
    for key, kind in DUPLICITY.items():
        assert s3.tags(key) == {'storage-tier': expected_value(kind, 'cold', 'hot')}


def test_prefix_limits_the_walk():
    s3 = fresh_bucket()
    result = tag_objects(s3, 'bucket', prefix='nas/')
    nas = [key for key in DUPLICITY if key.startswith('nas/')]
    assert result['counts']['by_action']['tagged'] == len(nas)
    assert result['counts']['by_action']['skipped_not_duplicity'] == 1
    for key in DUPLICITY:
        assert bool(s3.objects[key]) == key.startswith('nas/')


def test_check_mode_reads_but_never_writes():
    s3 = fresh_bucket({'pi/photos/duplicity-full.%s.vol9.difftar.gpg' % T0: [{'Key': 'glacierable', 'Value': 'true'}]})
    before = json.dumps(s3.objects, sort_keys=True)
    result = tag_objects(s3, 'bucket', check_mode=True)
    assert s3.count('PutObjectTagging') == 0
    assert s3.count('GetObjectTagging') == len(DUPLICITY) + 1
    assert json.dumps(s3.objects, sort_keys=True) == before
    assert result['check_mode'] is True
    assert result['changed'] is True
    assert result['counts']['by_action']['tagged'] == len(DUPLICITY)
    assert result['counts']['by_action']['already_correct'] == 1
    assert 'would tag %d' % len(DUPLICITY) in summary(result)


def test_check_mode_on_a_tagged_bucket_is_not_changed():
    s3 = fresh_bucket()
    tag_objects(s3, 'bucket')
    result = tag_objects(s3, 'bucket', check_mode=True)
    assert result['changed'] is False
    assert result['counts']['by_action']['tagged'] == 0


@pytest.mark.parametrize('error', [
    FakeClientError('SlowDown', 'GetObjectTagging', 503),
    FakeClientError('Throttling', 'GetObjectTagging', 400),
    FakeClientError('InternalError', 'GetObjectTagging', 500),
    FakeClientError('Whatever', 'GetObjectTagging', 503),
])
def test_throttling_is_left_to_the_client(error):
    # The client retries (AWSRetry, botocore's retry modes); the engine sends each request
    # once, reports the object failed, and the next pass tags it.
    key = 'pi/photos/duplicity-full.%s.vol1.difftar.gpg' % T0
    s3 = FakeS3({key: []})
    s3.fail('GetObjectTagging', key, error)
    result = tag_objects(s3, 'bucket')
    assert s3.count('GetObjectTagging') == 1 and s3.count('PutObjectTagging') == 0
    assert result['counts']['by_action']['failed'] == 1
    result = tag_objects(s3, 'bucket')
    assert s3.tags(key) == {'glacierable': 'true'}
    assert result['counts']['by_action']['tagged'] == 1
    assert result['failed_objects'] == []


def test_a_throttled_listing_page_is_not_retried_by_the_engine():
    s3 = fresh_bucket()
    s3.fail('ListObjectsV2', '4', FakeClientError('SlowDown', 'ListObjectsV2', 503))
    with pytest.raises(TaggingError):
        tag_objects(s3, 'bucket')
    assert s3.count('ListObjectsV2') == 2


def test_throttling_that_does_not_stop_fails_the_object_only():
    bad = 'pi/photos/duplicity-full.%s.vol1.difftar.gpg' % T0
    s3 = fresh_bucket()
    s3.fail('PutObjectTagging', bad, *[FakeClientError('SlowDown', 'PutObjectTagging', 503)] * 10)
    result = tag_objects(s3, 'bucket')
    assert s3.count('PutObjectTagging') == len(DUPLICITY)
    assert s3.objects[bad] == []
    assert result['counts']['by_action']['failed'] == 1
    assert result['counts']['by_action']['tagged'] == len(DUPLICITY) - 1
    assert result['counts']['by_kind']['full-volume']['failed'] == 1
    assert result['failed_objects'] == [{'key': bad, 'kind': 'full-volume', 'error': result['failed_objects'][0]['error']}]
    assert 'SlowDown' in result['failed_objects'][0]['error']
    assert bad not in [item['key'] for item in result['tagged_sample']]
    assert 'failed 1' in summary(result)


def test_errors_that_are_not_throttling_are_not_retried():
    key = 'pi/photos/duplicity-full.%s.manifest.gpg' % T0
    s3 = FakeS3({key: [], 'pi/photos/duplicity-full.%s.vol1.difftar.gpg' % T0: []})
    s3.fail('GetObjectTagging', key, FakeClientError('AccessDenied', 'GetObjectTagging', 403))
    result = tag_objects(s3, 'bucket')
    assert [call for call in s3.calls if call[1] == key] == [('GetObjectTagging', key, {})]
    assert result['failed_objects'][0]['key'] == key
    assert result['failed_objects'][0]['error'].startswith('An error occurred (AccessDenied)')
    assert result['counts']['by_action'] == {
        'tagged': 1, 'already_correct': 0, 'skipped_archived': 0, 'skipped_earlier': 0, 'skipped_not_duplicity': 0, 'failed': 1}


class BotoCoreError(Exception):
    """Stands for botocore.exceptions.BotoCoreError (recognised by name)."""


def test_a_connection_error_fails_the_object():
    key = 'pi/photos/duplicity-full.%s.manifest.gpg' % T0
    s3 = FakeS3({key: []})
    s3.fail('PutObjectTagging', key, BotoCoreError('connection reset'))
    result = tag_objects(s3, 'bucket')
    assert result['failed_objects'] == [{'key': key, 'kind': 'full-manifest', 'error': 'connection reset'}]
    assert result['changed'] is False


@pytest.mark.parametrize('error', [TypeError('unexpected keyword argument'), KeyError('TagSet'),
                                   RuntimeError('a bug')])
def test_a_programming_error_propagates(error):
    key = 'pi/photos/duplicity-full.%s.manifest.gpg' % T0
    s3 = FakeS3({key: []})
    s3.fail('PutObjectTagging', key, error)
    with pytest.raises(type(error)):
        tag_objects(s3, 'bucket')


def test_too_many_tags_is_a_failure():
    key = 'pi/photos/duplicity-full.%s.manifest.gpg' % T0
    s3 = FakeS3({key: [{'Key': 't%d' % i, 'Value': 'v'} for i in range(10)]})
    result = tag_objects(s3, 'bucket')
    assert result['counts']['by_action']['failed'] == 1
    assert len(s3.objects[key]) == 10


def test_call_args_are_passed():
    key = 'pi/photos/duplicity-full.%s.manifest.gpg' % T0
    s3 = FakeS3({key: []})
    s3.fail('GetObjectTagging', key, FakeClientError('SlowDown', 'GetObjectTagging', 503))
    result = tag_objects(s3, 'bucket', call_args={'aws_retry': True})
    assert result['counts']['by_action']['failed'] == 1
    assert s3.count('GetObjectTagging') == 1
    assert all(call[2] == {'aws_retry': True} for call in s3.calls)


def test_listing_failure_raises_with_partial_result():
    s3 = fresh_bucket()
    s3.fail('ListObjectsV2', '8', FakeClientError('AccessDenied', 'ListObjectsV2', 403))
    with pytest.raises(TaggingError) as info:
        tag_objects(s3, 'bucket')
    assert 'after 8 keys' in str(info.value)
    assert info.value.cause.response['Error']['Code'] == 'AccessDenied'
    partial = info.value.result
    assert partial['counts']['total'] == 8
    done = sum(partial['counts']['by_action'][action] for action in ACTIONS)
    assert done == 8


def test_explicit_keys_are_not_listed():
    s3 = fresh_bucket()
    keys = list(DUPLICITY)[:3] + ['pi/photos/README.txt', list(DUPLICITY)[0]]
    result = tag_objects(s3, 'bucket', keys=keys)
    assert s3.count('ListObjectsV2') == 0
    assert result['counts']['total'] == 4
    assert result['counts']['by_action']['tagged'] == 3
    assert result['counts']['by_action']['skipped_not_duplicity'] == 1


def test_missing_key_is_a_failure():
    s3 = FakeS3({})
    result = tag_objects(s3, 'bucket', keys=['x/duplicity-full.%s.manifest' % T0])
    assert result['counts']['by_action']['failed'] == 1
    assert 'NoSuchKey' in result['failed_objects'][0]['error']


def test_many_objects_concurrently_within_bounds():
    objects = {}
    for chain in range(5):
        stamp = '2024010%dT000000Z' % (chain + 1)
        objects['c/duplicity-full.%s.manifest.gpg' % stamp] = []
        objects['c/duplicity-full-signatures.%s.sigtar.gpg' % stamp] = []
        for volume in range(1, 500):
            objects['c/duplicity-full.%s.vol%d.difftar.gpg' % (stamp, volume)] = []
    s3 = FakeS3(objects, page_size=1000, delay=0.0005)
    result = tag_objects(s3, 'bucket', concurrency=8)
    assert result['counts']['by_action']['tagged'] == len(objects)
    assert result['counts']['by_kind']['full-volume']['tagged'] == 5 * 499
    assert result['counts']['by_kind']['full-manifest']['tagged'] == 5
    assert s3.count('ListObjectsV2') == 3
    assert 1 < s3.max_in_flight <= 8
    assert all(s3.tags(key)['glacierable'] == ('true' if '.vol' in key else 'false') for key in objects)


@pytest.mark.parametrize('kwargs, message', [
    (dict(concurrency=0), 'concurrency'),
    (dict(concurrency=65), 'concurrency'),
    (dict(concurrency=True), 'concurrency'),
    (dict(concurrency='4'), 'concurrency'),
    (dict(tag_key=''), '1 to 128'),
    (dict(tag_key='k' * 129), '1 to 128'),
    (dict(tag_key='aws:tier'), 'reserved'),
    (dict(tag_key='bad*key'), 'may only hold'),
    (dict(archive_value='v' * 257), 'at most 256'),
    (dict(keep_value='no!'), 'may only hold'),
    (dict(archive_value='same', keep_value='same'), 'must differ'),
    (dict(keys='one-key'), 'iterable'),
    (dict(prefix=None), 'prefix'),
])
def test_bad_arguments_fail_before_any_request(kwargs, message):
    s3 = fresh_bucket()
    with pytest.raises(ValueError, match=message):
        tag_objects(s3, 'bucket', **kwargs)
    assert s3.calls == []


def test_validate_tag_accepts_s3_characters():
    validate_tag('backup/tier:class_1 @x+y=z.', 'ja', 'nein ünïcødé')
    validate_tag('k', '', 'v')


def test_is_retryable():
    assert is_retryable(FakeClientError('SlowDown', 'x', 503))
    assert is_retryable(FakeClientError('Other', 'x', 502))
    assert not is_retryable(FakeClientError('AccessDenied', 'x', 403))
    assert not is_retryable(RuntimeError('x'))


def test_new_counts_and_summary():
    counts = new_counts()
    assert counts['total'] == 0
    assert counts['by_action'] == dict((action, 0) for action in ACTIONS)
    assert set(counts['by_kind']) == set(KINDS)
    line = summary({'counts': counts, 'check_mode': False})
    assert line == '0 objects: tagged 0, already correct 0, not duplicity 0, failed 0'


# The host-side layout: duplicity_names.py and duplicity_tagging.py side by side, imported
# as top-level modules, and the helper script beside them.

@pytest.fixture
def host_lib(tmp_path, monkeypatch):
    lib = tmp_path / 'lib'
    lib.mkdir()
    for name in ('duplicity_names.py', 's3_engine.py', 'duplicity_tagging.py', 'offsite_metrics.py'):
        shutil.copy(os.path.join(MODULE_UTILS, name), str(lib / name))
    for name in ('duplicity_names', 's3_engine', 'duplicity_tagging', 'offsite_metrics'):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setattr(sys, 'path', list(sys.path))
    yield str(lib)
    for name in ('duplicity_names', 's3_engine', 'duplicity_tagging', 'offsite_metrics'):
        sys.modules.pop(name, None)


def test_engine_imports_standalone_beside_duplicity_names(host_lib):
    code = (
        'import sys; sys.path.insert(0, sys.argv[1]); import duplicity_tagging as t; '
        'assert "ansible" not in " ".join(sys.modules), sorted(sys.modules); '
        'assert "boto3" not in sys.modules and "botocore" not in sys.modules; '
        'print(t.parse.__module__)'
    )
    output = subprocess.check_output([sys.executable, '-c', code, host_lib], cwd=host_lib)
    assert output.decode().strip() == 'duplicity_names'


def load_helper():
    spec = importlib.util.spec_from_file_location('offsite_backup_tag', HELPER)
    helper = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helper)
    return helper


@pytest.fixture
def fake_boto3(monkeypatch):
    """boto3 and botocore.config stand-ins whose client is a FakeS3."""
    state = {'s3': fresh_bucket(), 'client_args': None}

    class Session:
        def client(self, service, **kwargs):
            assert service == 's3'
            state['client_args'] = kwargs
            # What botocore would read from the environment when the client is made.
            state['checksum_env'] = {name: os.environ.get(name) for name in CHECKSUM_VARIABLES}
            return state['s3']

    boto3 = types.ModuleType('boto3')
    boto3.session = types.SimpleNamespace(Session=Session)
    botocore = types.ModuleType('botocore')
    config = types.ModuleType('botocore.config')
    config.Config = lambda **kwargs: kwargs
    botocore.config = config
    monkeypatch.setitem(sys.modules, 'boto3', boto3)
    monkeypatch.setitem(sys.modules, 'botocore', botocore)
    monkeypatch.setitem(sys.modules, 'botocore.config', config)
    for name in ('AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'OFFSITE_BACKUP_LIB'):
        monkeypatch.delenv(name, raising=False)
    for name in CHECKSUM_VARIABLES:
        # setenv first, so that what the helper sets in os.environ is undone afterwards.
        monkeypatch.setenv(name, 'unset')
        monkeypatch.delenv(name)
    return state


CHECKSUM_VARIABLES = ('AWS_REQUEST_CHECKSUM_CALCULATION', 'AWS_RESPONSE_CHECKSUM_VALIDATION')


def test_helper_with_an_endpoint_asks_for_checksums_only_when_required(host_lib, fake_boto3, capsys):
    helper = load_helper()
    status = helper.main(['--lib-dir', host_lib, '--bucket', 'bucket', '--prefix', 'pi/',
                          '--endpoint-url', 'http://127.0.0.1:1'])
    assert status == 0, capsys.readouterr()[1]
    assert fake_boto3['checksum_env'] == dict.fromkeys(CHECKSUM_VARIABLES, 'when_required')


def test_helper_with_an_endpoint_from_the_environment_too(host_lib, fake_boto3, capsys, monkeypatch):
    monkeypatch.setenv('AWS_ENDPOINT_URL_S3', 'http://127.0.0.1:1')
    helper = load_helper()
    assert helper.main(['--lib-dir', host_lib, '--bucket', 'bucket', '--check']) == 0, capsys.readouterr()[1]
    assert fake_boto3['client_args']['endpoint_url'] == 'http://127.0.0.1:1'
    assert fake_boto3['checksum_env'] == dict.fromkeys(CHECKSUM_VARIABLES, 'when_required')


def test_helper_keeps_checksum_settings_from_the_environment(host_lib, fake_boto3, capsys, monkeypatch):
    monkeypatch.setenv('AWS_REQUEST_CHECKSUM_CALCULATION', 'when_supported')
    helper = load_helper()
    assert helper.main(['--lib-dir', host_lib, '--bucket', 'bucket', '--check',
                        '--endpoint-url', 'http://127.0.0.1:1']) == 0, capsys.readouterr()[1]
    assert fake_boto3['checksum_env'] == {'AWS_REQUEST_CHECKSUM_CALCULATION': 'when_supported',
                                          'AWS_RESPONSE_CHECKSUM_VALIDATION': 'when_required'}


def test_helper_against_aws_leaves_checksums_alone(host_lib, fake_boto3, capsys):
    helper = load_helper()
    assert helper.main(['--lib-dir', host_lib, '--bucket', 'bucket', '--check']) == 0, capsys.readouterr()[1]
    assert fake_boto3['client_args']['endpoint_url'] is None
    assert fake_boto3['checksum_env'] == dict.fromkeys(CHECKSUM_VARIABLES)


def test_relax_checksums_reports_what_it_set():
    helper = load_helper()
    environ = {'AWS_RESPONSE_CHECKSUM_VALIDATION': 'when_supported'}
    assert helper.relax_checksums('https://s3.example.net', environ) == ['AWS_REQUEST_CHECKSUM_CALCULATION']
    assert environ == {'AWS_REQUEST_CHECKSUM_CALCULATION': 'when_required',
                       'AWS_RESPONSE_CHECKSUM_VALIDATION': 'when_supported'}
    assert helper.relax_checksums('', environ) == []
    assert helper.relax_checksums(None, {}) == []


def test_helper_tags_and_summarises(host_lib, fake_boto3, capsys):
    helper = load_helper()
    status = helper.main(['--lib-dir', host_lib, '--bucket', 'bucket', '--prefix', 'pi/',
                          '--endpoint-url', 'http://127.0.0.1:1', '--concurrency', '3'])
    out, err = capsys.readouterr()
    assert status == 0, err
    pi = [key for key in DUPLICITY if key.startswith('pi/')]
    assert out.startswith('offsite-backup-tag: s3://bucket/pi/: %d objects: tagged %d, already correct 0, '
                          'not duplicity 4, failed 0 (' % (len(pi) + 4, len(pi)))
    assert len(out.splitlines()) == 1
    assert err == ''
    args = fake_boto3['client_args']
    assert args['endpoint_url'] == 'http://127.0.0.1:1'
    assert args['region_name'] == 'us-east-1'
    assert args['config']['max_pool_connections'] == 3
    for key in pi:
        assert fake_boto3['s3'].tags(key) == {'glacierable': expected_value(DUPLICITY[key])}

    status = helper.main(['--lib-dir', host_lib, '--bucket', 'bucket', '--prefix', 'pi/', '--json'])
    out, err = capsys.readouterr()
    assert status == 0
    result = json.loads(out)
    assert result['changed'] is False
    assert result['counts']['by_action']['already_correct'] == len(pi)


def test_helper_says_when_s3_throttled_it(host_lib, fake_boto3, capsys):
    s3 = fake_boto3['s3']
    handlers = []
    s3.meta = types.SimpleNamespace(events=types.SimpleNamespace(
        register=lambda event, handler, unique_id=None: handlers.append((event, handler))))
    put, lock, throttled = s3.put_object_tagging, threading.Lock(), []

    def put_throttled_once(**kwargs):
        # The first request is answered SlowDown once, then its retry goes through, as
        # botocore's retry layer would make it look to the engine.
        with lock:
            first = not throttled
            throttled.append(kwargs['Key'])
        if first:
            for dummy, handler in handlers:
                handler(response=(types.SimpleNamespace(status_code=503), {'Error': {'Code': 'SlowDown'}}), attempts=1)
        return put(**kwargs)
    s3.put_object_tagging = put_throttled_once
    helper = load_helper()
    status = helper.main(['--lib-dir', host_lib, '--bucket', 'bucket', '--prefix', 'pi/', '--concurrency', '8'])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert [event for event, dummy in handlers] == ['needs-retry.s3']
    assert out.rstrip().endswith('; throttling answers from S3: 1, requests at once went down to 4')

    status = helper.main(['--lib-dir', host_lib, '--bucket', 'bucket', '--prefix', 'pi/', '--json'])
    result = json.loads(capsys.readouterr()[0])
    assert status == 0
    # The fake session hands out the same client again, and with it the same throttle:
    # no new throttling answer, and the limit has been climbing back since.
    throttling = result['throttling']
    assert (throttling['ceiling'], throttling['throttled'], throttling['lowest_limit']) == (8, 1, 4)
    assert 4 < throttling['limit'] <= 8


def test_helper_reports_failures_and_exits_1(host_lib, fake_boto3, capsys, monkeypatch):
    bad = 'nas/with space/ünïcødé duplicity-full.%s.manifest.gpg' % T0
    fake_boto3['s3'].fail('PutObjectTagging', bad, FakeClientError('AccessDenied', 'PutObjectTagging', 403))
    monkeypatch.setenv('OFFSITE_BACKUP_LIB', host_lib)
    monkeypatch.setenv('AWS_REGION', 'eu-central-1')
    helper = load_helper()
    status = helper.main(['--bucket', 'bucket', '--check'])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert 'would tag %d' % len(DUPLICITY) in out
    assert fake_boto3['s3'].count('PutObjectTagging') == 0
    assert fake_boto3['client_args']['region_name'] == 'eu-central-1'

    status = helper.main(['--bucket', 'bucket', '--tag-key', 'tier', '--archive-value', 'cold', '--keep-value', 'hot'])
    out, err = capsys.readouterr()
    assert status == 1
    assert 'failed 1' in out
    assert err == 'offsite-backup-tag: failed: %s (full-manifest): An error occurred (AccessDenied) when calling ' \
                  'the PutObjectTagging operation: AccessDenied\n' % json.dumps(bad)
    assert fake_boto3['s3'].tags('pi/photos/duplicity-full.%s.vol1.difftar.gpg' % T0) == {'tier': 'cold'}


def test_helper_usage_errors(host_lib, fake_boto3, capsys, tmp_path):
    helper = load_helper()
    assert helper.main(['--lib-dir', host_lib, '--bucket', 'b', '--concurrency', '100']) == 2
    assert helper.main(['--lib-dir', host_lib, '--bucket', 'b', '--keep-value', 'true']) == 2
    assert helper.main(['--lib-dir', str(tmp_path), '--bucket', 'b']) == 2
    err = capsys.readouterr()[1]
    assert 'concurrency' in err and 'must differ' in err and 'duplicity_names.py is missing' in err
    assert fake_boto3['s3'].calls == []
    with pytest.raises(SystemExit):
        helper.main(['--prefix', 'x'])


def test_helper_listing_failure_exits_1(host_lib, fake_boto3, capsys):
    fake_boto3['s3'].fail('ListObjectsV2', None, FakeClientError('NoSuchBucket', 'ListObjectsV2', 404))
    helper = load_helper()
    status = helper.main(['--lib-dir', host_lib, '--bucket', 'bucket'])
    out, err = capsys.readouterr()
    assert status == 1
    assert out.endswith('(incomplete: the listing failed)\n')
    assert 'listing s3://bucket/ failed after 0 keys: An error occurred (NoSuchBucket)' in err


def test_archived_objects_cost_no_request():
    volume = 'host/p/archive-duplicity-full.20240101T000000Z.vol1.difftar.gpg'
    deep = 'host/p/archive-duplicity-full.20240101T000000Z.vol2.difftar.gpg'
    manifest = 'host/p/duplicity-full.20240101T000000Z.manifest.gpg'
    client = FakeS3({volume: [], deep: [], manifest: []})
    client.storage_classes = {volume: 'GLACIER', deep: 'DEEP_ARCHIVE', manifest: 'STANDARD'}
    result = tag_objects(client, 'bucket', prefix='host/p/')
    assert result['counts']['by_action']['skipped_archived'] == 2
    assert result['counts']['by_kind']['full-volume']['skipped_archived'] == 2
    assert result['counts']['by_action']['tagged'] == 1
    assert [call[1] for call in client.calls if call[0] != 'ListObjectsV2'] == [manifest, manifest]


# ---- one retry layer: botocore's, in the helper --------------------------------------

def test_helper_retries_are_botocores_alone(host_lib, fake_boto3, capsys):
    key = 'pi/photos/duplicity-full.%s.vol1.difftar.gpg' % T0
    fake_boto3['s3'].fail('GetObjectTagging', key, *[FakeClientError('SlowDown', 'GetObjectTagging', 503)] * 20)
    helper = load_helper()
    assert helper.main(['--lib-dir', host_lib, '--bucket', 'bucket']) == 1
    capsys.readouterr()
    config = fake_boto3['client_args']['config']
    assert config['retries'] == {'mode': 'standard', 'total_max_attempts': helper.MAX_ATTEMPTS}
    # What the client raised after its own attempts, the engine does not send again.
    assert [call[0] for call in fake_boto3['s3'].calls if call[1] == key] == ['GetObjectTagging']


class _AlwaysSlowDown(http.server.BaseHTTPRequestHandler):
    requests = []

    def do_GET(self):  # noqa: N802  pylint: disable=invalid-name
        self.requests.append(self.path)
        body = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
                b'<Message>Please reduce your request rate.</Message></Error>')
        self.send_response(503)
        self.send_header('Content-Type', 'application/xml')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass


def test_one_request_gets_at_most_the_configured_attempts(host_lib, monkeypatch, capsys):
    """The helper's real botocore client against an endpoint that always says SlowDown.

    Before, botocore's attempts (max_attempts=5: 1 + 5 retries) ran inside each of the
    engine's 3: 18 GetObjectTagging requests for one object. Now botocore's retry mode is
    the only layer, with total_max_attempts.
    """
    pytest.importorskip('boto3')
    for name in ('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'):
        monkeypatch.setenv(name, 'test')
    for name in ('AWS_PROFILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_RETRY_MODE',
                 'AWS_MAX_ATTEMPTS', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('AWS_CONFIG_FILE', os.devnull)
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _AlwaysSlowDown)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    helper = load_helper()
    monkeypatch.setattr(helper, 'MAX_ATTEMPTS', 3)
    # botocore's standard mode backs off up to 20 s between attempts: no waiting here.
    monkeypatch.setattr(time, 'sleep', lambda seconds: None)
    try:
        engine = helper.load_engine(host_lib)[0]
        import boto3  # pylint: disable=import-outside-toplevel
        args = types.SimpleNamespace(endpoint_url='http://127.0.0.1:%d' % server.server_address[1], region='us-east-1')
        client = helper.make_client(boto3, args, 1)
        key = 'pi/photos/duplicity-full.%s.vol1.difftar.gpg' % T0
        _AlwaysSlowDown.requests[:] = []
        result = engine.tag_objects(client, 'bucket', keys=[key], concurrency=1)
    finally:
        server.shutdown()
        server.server_close()
    assert result['counts']['by_action']['failed'] == 1
    assert 'SlowDown' in result['failed_objects'][0]['error']
    assert len(_AlwaysSlowDown.requests) == 3


# --- passes after a backup: only the sets newer than the last complete pass ---

DAY = 86400
NOW = 1_800_000_000


def chain_set(prefix, start, end, volumes, manifest=True):
    """The keys of one duplicity set (a full when start is None)."""
    if start is None:
        body, sig = 'full.%s' % end, 'duplicity-full-signatures.%s.sigtar.gpg' % end
    else:
        body, sig = 'inc.%s.to.%s' % (start, end), 'duplicity-new-signatures.%s.to.%s.sigtar.gpg' % (start, end)
    keys = [prefix + 'duplicity-%s.vol%d.difftar.gpg' % (body, n) for n in range(1, volumes + 1)] + [prefix + sig]
    if manifest:
        keys.append(prefix + 'duplicity-%s.manifest.gpg' % body)
    return keys


def test_newer_than_skips_older_sets_without_a_request():
    full = chain_set('p/', None, T0, 5)
    inc = chain_set('p/', T0, T1, 2)
    s3 = FakeS3(dict((key, []) for key in full + inc + ['p/notes.txt']), page_size=4)
    result = tag_objects(s3, 'bucket', prefix='p/', newer_than=T0)
    by_action = result['counts']['by_action']
    assert by_action['skipped_earlier'] == len(full)
    assert by_action['tagged'] == len(inc)
    assert by_action['skipped_not_duplicity'] == 1
    assert result['counts']['by_kind']['full-volume']['skipped_earlier'] == 5
    assert sorted(call[1] for call in s3.calls if call[0] == 'GetObjectTagging') == sorted(inc)
    assert s3.count('PutObjectTagging') == len(inc)
    assert all(s3.objects[key] == [] for key in full)
    assert result['newer_than'] == T0
    assert result['complete_through'] == T1
    assert 'tagged before %s %d' % (T0, len(full)) in summary(result)


def test_complete_through_needs_a_manifest():
    keys = chain_set('p/', None, T0, 2) + chain_set('p/', T0, T1, 2, manifest=False)
    result = tag_objects(FakeS3(dict((key, []) for key in keys)), 'bucket', prefix='p/')
    assert result['complete_through'] == T0
    assert tag_objects(FakeS3({}), 'bucket')['complete_through'] is None


def test_newer_than_must_be_a_duplicity_time():
    s3 = fresh_bucket()
    for bad in ('2024-01-01', 20240101, '20240101T000000'):
        with pytest.raises(ValueError, match='newer_than must be a duplicity time'):
            tag_objects(s3, 'bucket', newer_than=bad)
    assert s3.calls == []


TAG = ('glacierable', 'true', 'false')


def plan(state, now=NOW, **kwargs):
    return duplicity_tagging.plan_pass(state, 'bucket', 'p/', *TAG, now=now, **kwargs)


def mark(state, result, now=NOW, **kwargs):
    return duplicity_tagging.next_mark(state, result, 'bucket', 'p/', *TAG, now=now, **kwargs)


def recorded(through=T1, last_sweep=NOW - DAY):
    return dict(duplicity_tagging.new_state('bucket', 'p/', *TAG), tagged_through=through, last_sweep=last_sweep)


def test_plan_pass_sweeps_unless_a_recent_complete_pass_is_recorded():
    assert plan(recorded()) == (T1, 'sets after %s (last full sweep at %s)' % (T1, '2027-01-14T08:00:00Z'))
    assert plan(recorded(), sweep_days=1) == (None, 'full sweep: the last one was at 2027-01-14T08:00:00Z')
    assert plan(recorded(last_sweep=NOW - 7 * DAY + 1)) == (T1, plan(recorded(last_sweep=NOW - 7 * DAY + 1))[1])
    assert plan(recorded(last_sweep=NOW - 7 * DAY))[0] is None
    assert plan(recorded(last_sweep=NOW + 60))[0] is None  # the clock went back
    assert plan(recorded(), sweep_days=0) == (None, 'full sweep: every pass sweeps (sweep days 0)')
    assert plan(recorded(), force_sweep=True) == (None, 'full sweep: asked for')
    assert plan(None) == (None, 'full sweep: no earlier pass recorded')
    assert plan(['not', 'a', 'state']) == (None, 'full sweep: no earlier pass recorded')
    assert plan(dict(recorded(), version=99))[0] is None
    assert plan(dict(recorded(), prefix='q/')) == (None, 'full sweep: the recorded pass was over s3://bucket/q/')
    assert plan(dict(recorded(), bucket='other'))[0] is None
    assert plan(dict(recorded(), tag=['glacierable', 'cold', 'false'])) == (
        None, 'full sweep: the tag key or values changed')
    assert plan(recorded(through=None)) == (None, 'full sweep: no complete pass recorded')
    assert plan(recorded(last_sweep='yesterday'))[0] is None
    for bad in (-1, 366, '7', True, 1.5):
        with pytest.raises(ValueError, match='sweep_days must be a whole number of days from 0 to 365'):
            plan(recorded(), sweep_days=bad)


def fake_result(newer_than, complete_through, failed=0):
    result = {'counts': new_counts(), 'newer_than': newer_than, 'complete_through': complete_through}
    result['counts']['by_action']['failed'] = failed
    return result


def test_next_mark_moves_only_after_a_pass_without_failures():
    # A sweep records its time and the newest complete set.
    state = mark(None, fake_result(None, T1))
    assert state == dict(duplicity_tagging.new_state('bucket', 'p/', *TAG), tagged_through=T1, last_sweep=NOW)
    # A later pass moves the mark, keeps the sweep's time.
    later = mark(state, fake_result(T1, T2), now=NOW + DAY)
    assert (later['tagged_through'], later['last_sweep']) == (T2, NOW)
    # Nothing newer complete: the mark stays.
    assert mark(later, fake_result(T2, T2))['tagged_through'] == T2
    assert mark(later, fake_result(T2, None))['tagged_through'] == T2
    # A failed object or a broken listing: the next pass reads the same sets again.
    assert mark(state, fake_result(T1, T2, failed=1)) == state
    assert mark(state, fake_result(T1, T2), complete=False) == state
    assert mark(None, fake_result(None, T1, failed=1))['tagged_through'] is None
    # A sweep over an empty prefix leaves nothing to carry over.
    empty = mark(None, fake_result(None, None))
    assert (empty['tagged_through'], empty['last_sweep']) == (None, None)
    assert plan(empty)[0] is None
    # A state for another prefix is not carried over.
    assert mark(dict(state, prefix='q/'), fake_result(T1, T2), complete=False)['tagged_through'] is None


def pass_over(s3, state, now):
    newer_than = plan(state, now=now)[0]
    before = len(s3.calls)
    result = tag_objects(s3, 'bucket', prefix='p/', newer_than=newer_than)
    requests = [call[0] for call in s3.calls[before:]]
    return result, mark(state, result, now=now), requests


def test_the_pass_after_a_backup_costs_what_the_backup_added():
    s3 = FakeS3(dict((key, []) for key in chain_set('p/', None, T0, 40)), page_size=10)
    result, state, requests = pass_over(s3, None, NOW)
    assert result['counts']['by_action']['tagged'] == 42
    assert state['tagged_through'] == T0

    new = chain_set('p/', T0, T1, 3)
    s3.objects.update((key, []) for key in new)
    result, state, requests = pass_over(s3, state, NOW + DAY)
    pages = requests.count('ListObjectsV2')
    assert pages == 5
    assert len(requests) - pages == 2 * len(new)
    assert result['counts']['by_action']['skipped_earlier'] == 42
    assert state['tagged_through'] == T1
    for key in new:
        assert s3.tags(key) == {'glacierable': 'true' if '.vol' in key else 'false'}

    # A backup interrupted after two volumes: they are tagged, the mark stays; the resumed
    # set is read again, in full, once its manifest is there; then nothing is read.
    partial = chain_set('p/', T1, T2, 2, manifest=False)
    s3.objects.update((key, []) for key in partial)
    result, state, requests = pass_over(s3, state, NOW + 2 * DAY)
    assert result['counts']['by_action']['tagged'] == len(partial)
    assert state['tagged_through'] == T1
    rest = chain_set('p/', T1, T2, 3)
    s3.objects.update((key, []) for key in rest if key not in s3.objects)
    result, state, requests = pass_over(s3, state, NOW + 3 * DAY)
    assert requests.count('GetObjectTagging') == len(rest)
    assert requests.count('PutObjectTagging') == len(rest) - len(partial)
    assert state['tagged_through'] == T2
    result, state, requests = pass_over(s3, state, NOW + 4 * DAY)
    assert set(requests) == {'ListObjectsV2'}

    # A tag changed by hand on an old volume is put right by the weekly sweep.
    old = chain_set('p/', None, T0, 1)[0]
    s3.objects[old] = [{'Key': 'glacierable', 'Value': 'false'}]
    assert pass_over(s3, state, NOW + 5 * DAY)[0]['counts']['by_action']['tagged'] == 0
    result, state, requests = pass_over(s3, state, NOW + 8 * DAY)
    assert result['newer_than'] is None and result['counts']['by_action']['tagged'] == 1
    assert s3.tags(old) == {'glacierable': 'true'}
    assert state['last_sweep'] == NOW + 8 * DAY


def test_helper_keeps_its_mark_per_prefix(host_lib, fake_boto3, capsys, tmp_path):
    helper = load_helper()
    s3 = fake_boto3['s3']
    state_dir = tmp_path / 'state' / 'tagging'
    args = ['--lib-dir', host_lib, '--bucket', 'bucket', '--prefix', 'pi/', '--state-dir', str(state_dir)]

    assert helper.main(args + ['--check']) == 0
    assert not state_dir.exists()
    out = capsys.readouterr()[0]
    assert '(full sweep: no earlier pass recorded)' in out

    assert helper.main(args) == 0, capsys.readouterr()[1]
    files = list(state_dir.iterdir())
    assert [path.name for path in files] == [os.path.basename(helper.state_path(str(state_dir), 'bucket', 'pi/'))]
    assert oct(files[0].stat().st_mode & 0o777) == '0o600'
    assert oct(state_dir.stat().st_mode & 0o777) == '0o700'
    saved = json.loads(files[0].read_text())
    assert saved['tagged_through'] == T1 and saved['prefix'] == 'pi/'
    capsys.readouterr()

    new = chain_set('pi/photos/', T1, T2, 2)
    s3.objects.update((key, []) for key in new)
    before = len(s3.calls)
    assert helper.main(args + ['--json']) == 0
    result = json.loads(capsys.readouterr()[0])
    assert result['plan'].startswith('sets after %s' % T1)
    tagging = [call for call in s3.calls[before:] if call[0] != 'ListObjectsV2']
    # The new set, and the fixture's jsonstat of a set with no manifest (read every time).
    after = [key for key in s3.objects if key.startswith('pi/') and parse(key) and parse(key).end_time > T1]
    assert sorted(set(call[1] for call in tagging)) == sorted(after)
    assert len(after) == len(new) + 1
    assert len(tagging) == 2 * len(new) + 1
    assert json.loads(files[0].read_text())['tagged_through'] == T2

    assert helper.main(args + ['--full-sweep']) == 0
    assert '(full sweep: asked for)' in capsys.readouterr()[0]


def test_helper_state_problems(host_lib, fake_boto3, capsys, tmp_path):
    helper = load_helper()
    base = ['--lib-dir', host_lib, '--bucket', 'bucket', '--prefix', 'pi/']
    assert helper.main(base + ['--sweep-days', '3']) == 2
    assert helper.main(base + ['--full-sweep']) == 2
    assert helper.main(base + ['--state-dir', 'relative']) == 2
    assert helper.main(base + ['--state-dir', str(tmp_path), '--sweep-days', '400']) == 2
    err = capsys.readouterr()[1]
    assert '--sweep-days and --full-sweep need --state-dir' in err
    assert 'must be an absolute path' in err and 'from 0 to 365' in err
    assert fake_boto3['s3'].calls == []

    # A state that cannot be read means a sweep; one that cannot be written, a warning.
    state_dir = tmp_path / 'tagging'
    state_dir.mkdir()
    (state_dir / os.path.basename(helper.state_path(str(state_dir), 'bucket', 'pi/'))).write_text('{garbage')
    assert helper.main(base + ['--state-dir', str(state_dir)]) == 0
    assert '(full sweep: no earlier pass recorded)' in capsys.readouterr()[0]
    blocked = tmp_path / 'file'
    blocked.write_text('')
    assert helper.main(base + ['--state-dir', str(blocked / 'tagging')]) == 0
    assert 'warning: cannot keep the state in' in capsys.readouterr()[1]
