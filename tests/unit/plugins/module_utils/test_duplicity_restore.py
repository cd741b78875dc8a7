# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime
import threading
import time

import pytest

from ansible_collections.offsite.backup.plugins.module_utils import duplicity_restore as dr
from ansible_collections.offsite.backup.plugins.module_utils.duplicity_names import parse
from ansible_collections.offsite.backup.plugins.module_utils.duplicity_restore import (
    SelectionError,
    archive_tier,
    classify,
    estimate,
    inventory,
    iso,
    normalise_prefix,
    parse_restore_header,
    parse_time,
    restore_state,
    select,
    time_key,
)

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)

# Chain A: full A0, incrementals A0->A1, A1->A2. Chain B: full B0, incremental B0->B1.
A0 = '20261101T020000Z'
A1 = '20261102T020000Z'
A2 = '20261103T020000Z'
B0 = '20261110T020000Z'
B1 = '20261111T020000Z'


def full(prefix, when, volumes, vol_prefix='archive-'):
    keys = ['%sduplicity-full.%s.manifest.gpg' % (prefix, when),
            '%sduplicity-full-signatures.%s.sigtar.gpg' % (prefix, when)]
    keys += ['%s%sduplicity-full.%s.vol%d.difftar.gpg' % (prefix, vol_prefix, when, n) for n in range(1, volumes + 1)]
    return keys


def inc(prefix, start, end, volumes, vol_prefix='archive-'):
    span = '%s.to.%s' % (start, end)
    keys = ['%sduplicity-inc.%s.manifest.gpg' % (prefix, span),
            '%sduplicity-new-signatures.%s.sigtar.gpg' % (prefix, span)]
    keys += ['%s%sduplicity-inc.%s.vol%d.difftar.gpg' % (prefix, vol_prefix, span, n) for n in range(1, volumes + 1)]
    return keys


P = 'pi/photos/'
SETS = {
    'A0': full(P, A0, 3),
    'A1': inc(P, A0, A1, 2),
    'A2': inc(P, A1, A2, 1),
    'B0': full(P, B0, 2),
    'B1': inc(P, B0, B1, 1),
}
EXTRA = [
    P + 'README.txt',
    P + 'duplicity-full.%s.vol4.difftar.gpg.part' % A0,   # not a duplicity name (.part before suffix only)
    P + 'duplicity-inc.%s.to.%s.vol2.difftar.part' % (A1, A2),   # a .part file of set A2
    P + 'duplicity-full.%s.jsonstat.gpg' % B0,
    'pi/photos2/duplicity-full.%s.manifest.gpg' % A0,     # another folder
]


def listing(keys, storage_class=None, size=100):
    return [{'key': key, 'size': size, 'storage_class': (storage_class or {}).get(key)} for key in keys]


def all_keys():
    return [key for keys in SETS.values() for key in keys] + EXTRA


def grouping(keys=None):
    found = inventory(listing(keys if keys is not None else all_keys()))
    return found.groupings[P]


def at(text):
    return parse_time(text, now=NOW)


def metadata_keys():
    """Every manifest and signature file of the folder: duplicity copies all of them to an
    empty cache before any restore."""
    return [key for keys in SETS.values() for key in keys if '.difftar' not in key]


def expected(*names, extra=()):
    return sorted(set(key for name in names for key in SETS[name]) | set(metadata_keys()) | set(extra))


# ---- selection ---------------------------------------------------------------------

def test_selection_latest_is_the_last_chain_with_all_its_sets():
    selection = select(grouping(), None, P)
    assert selection.chain.start_time == B0
    assert [s.end_time for s in selection.sets] == [B0, B1]
    assert sorted(selection.keys) == expected('B0', 'B1', extra=[P + 'duplicity-full.%s.jsonstat.gpg' % B0])
    assert selection.warnings == ()


def test_selection_earliest_is_the_first_full_alone():
    selection = select(grouping(), at('2026-11-01T02:00:00Z'), P)
    assert [s.end_time for s in selection.sets] == [A0]
    assert sorted(selection.keys) == expected('A0')
    # no volume of a later set or of the other chain
    assert not any('.difftar' in key for key in set(selection.keys) - set(SETS['A0']))


def test_selection_between_incrementals():
    # After A1, before A2: the full and the first incremental, with their signatures.
    selection = select(grouping(), at('2026-11-02T12:00:00'), P)
    assert [s.end_time for s in selection.sets] == [A0, A1]
    assert sorted(selection.keys) == expected('A0', 'A1')
    kinds = sorted(set(parse(key).kind for key in selection.keys))
    assert kinds == ['full-manifest', 'full-signatures', 'full-volume', 'inc-manifest', 'inc-volume',
                     'new-signatures']


def test_selection_at_the_exact_time_of_a_set_includes_it():
    selection = select(grouping(), at(A2), P)
    assert [s.end_time for s in selection.sets] == [A0, A1, A2]
    # the .part file of A2 is not needed
    assert not any(key.endswith('.part') for key in selection.keys)
    assert sorted(selection.keys) == expected('A0', 'A1', 'A2')


def test_selection_between_chains_takes_the_whole_earlier_chain():
    selection = select(grouping(), at('2026-11-05'), P)
    assert selection.chain.start_time == A0
    assert [s.end_time for s in selection.sets] == [A0, A1, A2]


def test_selection_second_chain_at_its_full():
    selection = select(grouping(), at('2026-11-10T02:00:00Z'), P)
    assert [s.end_time for s in selection.sets] == [B0]
    assert sorted(selection.keys) == expected('B0', extra=[P + 'duplicity-full.%s.jsonstat.gpg' % B0])


def test_selection_before_the_first_full_is_a_clear_error():
    with pytest.raises(SelectionError) as error:
        select(grouping(), at('2026-10-31'), P)
    assert 'earliest full backup is from 2026-11-01T02:00:00Z' in str(error.value)
    assert '2026-10-31T00:00:00Z' in str(error.value)


def test_selection_without_chains():
    with pytest.raises(SelectionError, match='no duplicity backup chain'):
        select(grouping(SETS['A1'] + SETS['A2']), None, P)


def test_selection_ignores_a_full_without_manifest():
    keys = SETS['A0'] + SETS['A1'] + [k for k in SETS['B0'] if 'manifest' not in k]
    selection = select(grouping(keys), None, P)
    assert selection.chain.start_time == A0
    assert [s.end_time for s in selection.sets] == [A0, A1]
    assert any('has no manifest' in warning for warning in selection.warnings)


def test_selection_stops_at_an_incremental_without_manifest():
    keys = SETS['A0'] + [k for k in SETS['A1'] if 'manifest' not in k] + SETS['A2']
    found = inventory(listing(keys)).groupings[P]
    selection = select(found, None, P)
    assert [s.end_time for s in selection.sets] == [A0]
    assert selection.warnings


def test_inventory_groups_by_folder_and_counts_other_objects():
    found = inventory(listing(all_keys()))
    assert sorted(found.groupings) == ['pi/photos/', 'pi/photos2/']
    assert found.other == (P + 'README.txt', P + 'duplicity-full.%s.vol4.difftar.gpg.part' % A0)
    group = found.groupings[P]
    assert [chain.start_time for chain in group.chains] == [A0, B0]
    assert found.objects[P + 'README.txt']['storage_class'] == 'STANDARD'


def test_normalise_prefix():
    assert normalise_prefix('') == ''
    assert normalise_prefix(None) == ''
    assert normalise_prefix('pi/photos') == 'pi/photos/'
    assert normalise_prefix('pi/photos/') == 'pi/photos/'


# ---- restore states ----------------------------------------------------------------

@pytest.mark.parametrize('storage_class', [None, '', 'STANDARD', 'STANDARD_IA', 'ONEZONE_IA', 'GLACIER_IR',
                                           'REDUCED_REDUNDANCY', 'INTELLIGENT_TIERING', 'EXPRESS_ONEZONE'])
def test_readable_classes_are_not_archived(storage_class):
    assert restore_state(storage_class, None, now=NOW) == ('not_archived', None)
    # a restore header on a readable object changes nothing
    assert restore_state(storage_class, 'ongoing-request="true"', now=NOW)[0] == 'not_archived'


@pytest.mark.parametrize('storage_class', ['GLACIER', 'DEEP_ARCHIVE'])
def test_archive_classes(storage_class):
    assert restore_state(storage_class, None, now=NOW) == ('archived', None)
    assert restore_state(storage_class, '', now=NOW) == ('archived', None)
    assert restore_state(storage_class, 'ongoing-request="true"', now=NOW) == ('restore_in_progress', None)
    state, expiry = restore_state(
        storage_class, 'ongoing-request="false", expiry-date="Fri, 27 Nov 2026 00:00:00 GMT"', now=NOW)
    assert state == 'restored'
    assert expiry == datetime.datetime(2026, 11, 27, tzinfo=UTC)
    # an expired copy is archived again
    assert restore_state(
        storage_class, 'ongoing-request="false", expiry-date="Fri, 20 Nov 2026 00:00:00 GMT"', now=NOW
    ) == ('archived', None)


def test_intelligent_tiering_archive_tiers():
    assert archive_tier('INTELLIGENT_TIERING') is None
    assert archive_tier('INTELLIGENT_TIERING', 'ARCHIVE_ACCESS') == 'IT_ARCHIVE_ACCESS'
    assert archive_tier('INTELLIGENT_TIERING', 'DEEP_ARCHIVE_ACCESS') == 'IT_DEEP_ARCHIVE_ACCESS'
    assert restore_state('INTELLIGENT_TIERING', None, 'DEEP_ARCHIVE_ACCESS', NOW) == ('archived', None)
    assert restore_state('INTELLIGENT_TIERING', 'ongoing-request="true"', 'ARCHIVE_ACCESS', NOW)[0] == \
        'restore_in_progress'
    assert archive_tier('GLACIER') == 'GLACIER'
    assert archive_tier(None) is None


def test_restore_header_parsing():
    assert parse_restore_header(None) == (None, None)
    assert parse_restore_header('ongoing-request="true"') == (True, None)
    assert parse_restore_header('ongoing-request = "TRUE"') == (True, None)
    ongoing, expiry = parse_restore_header('ongoing-request="false", expiry-date="Tue, 24 Nov 2026 01:13:50 GMT"')
    assert ongoing is False
    assert expiry == datetime.datetime(2026, 11, 24, 1, 13, 50, tzinfo=UTC)
    # garbage dates do not break the state
    assert parse_restore_header('ongoing-request="false", expiry-date="soon"') == (False, None)
    assert restore_state('GLACIER', 'ongoing-request="false", expiry-date="soon"', now=NOW) == ('restored', None)


def test_classify():
    entry = {'key': 'k', 'size': 1, 'storage_class': 'STANDARD'}
    assert classify(entry)['state'] == 'not_archived'
    with pytest.raises(ValueError):
        classify({'key': 'k', 'storage_class': 'GLACIER'})
    info = classify({'key': 'k', 'storage_class': 'DEEP_ARCHIVE'}, {'storage_class': 'DEEP_ARCHIVE',
                                                                    'restore': 'ongoing-request="true"'})
    assert info['state'] == 'restore_in_progress' and info['archive_tier'] == 'DEEP_ARCHIVE'
    info = classify({'key': 'k', 'storage_class': 'GLACIER'}, {'error': '403: Forbidden'})
    assert info['state'] is None and info['error'] == '403: Forbidden'


# ---- times -------------------------------------------------------------------------

@pytest.mark.parametrize('value', [None, '', 'now', 'NOW', 'latest', ' now '])
def test_time_latest(value):
    assert parse_time(value, now=NOW) is None


@pytest.mark.parametrize('value, expected', [
    ('2026-11-22', datetime.datetime(2026, 11, 22, tzinfo=UTC)),
    ('2026-11-22T01:02:03', datetime.datetime(2026, 11, 22, 1, 2, 3, tzinfo=UTC)),
    ('2026-11-22T01:02:03Z', datetime.datetime(2026, 11, 22, 1, 2, 3, tzinfo=UTC)),
    ('2026-11-22 01:02:03', datetime.datetime(2026, 11, 22, 1, 2, 3, tzinfo=UTC)),
    ('2026-11-22T01:02', datetime.datetime(2026, 11, 22, 1, 2, tzinfo=UTC)),
    ('2026-11-22T01:02:03.250Z', datetime.datetime(2026, 11, 22, 1, 2, 3, 250000, tzinfo=UTC)),
    ('2026-11-22T03:02:03+02:00', datetime.datetime(2026, 11, 22, 1, 2, 3, tzinfo=UTC)),
    ('2026-11-21T20:02:03-0500', datetime.datetime(2026, 11, 22, 1, 2, 3, tzinfo=UTC)),
    ('20261122T010203Z', datetime.datetime(2026, 11, 22, 1, 2, 3, tzinfo=UTC)),
    ('2026/11/22', datetime.datetime(2026, 11, 22, tzinfo=UTC)),
    ('11/22/2026', datetime.datetime(2026, 11, 22, tzinfo=UTC)),
    ('1795309323', datetime.datetime(2026, 11, 22, 1, 2, 3, tzinfo=UTC)),
    (1795309323, datetime.datetime(2026, 11, 22, 1, 2, 3, tzinfo=UTC)),
    ('0', datetime.datetime(1970, 1, 1, tzinfo=UTC)),
])
def test_time_absolute(value, expected):
    assert parse_time(value, now=NOW) == expected


@pytest.mark.parametrize('value, delta', [
    ('30s', datetime.timedelta(seconds=30)),
    ('45m', datetime.timedelta(minutes=45)),
    ('1h30m', datetime.timedelta(hours=1, minutes=30)),
    ('3D', datetime.timedelta(days=3)),
    ('2W', datetime.timedelta(weeks=2)),
    ('1M', datetime.timedelta(days=30)),
    ('1Y', datetime.timedelta(days=365)),
    ('3D2h', datetime.timedelta(days=3, hours=2)),
])
def test_time_intervals_mean_that_long_ago(value, delta):
    assert parse_time(value, now=NOW) == NOW - delta


def test_time_interval_uses_the_current_time_by_default():
    before = datetime.datetime.now(UTC)
    parsed = parse_time('1D')
    after = datetime.datetime.now(UTC)
    assert before - datetime.timedelta(days=1) <= parsed <= after - datetime.timedelta(days=1)


@pytest.mark.parametrize('value', ['yesterday', '3d', '1 D', '2026-13-01', '2026-11-31', '2026-11-22T25:00:00',
                                   'D', '12/31', '2026-11-22T01:02:03+25:00', '99999999999999999999',
                                   '2026-11-22X', True, 1.5, ['now']])
def test_time_bad(value):
    with pytest.raises(ValueError) as error:
        parse_time(value, now=NOW)
    assert 'time' in str(error.value)


def test_time_key_and_iso():
    moment = datetime.datetime(2026, 11, 22, 3, 2, 3, 999999, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    assert time_key(moment) == '20261122T010203Z'
    assert iso('20261122T010203Z') == '2026-11-22T01:02:03Z'
    assert iso(moment) == '2026-11-22T01:02:03Z'
    assert iso(None) is None


def test_selection_with_an_interval_and_epoch():
    now = datetime.datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
    # 1D before 2026-11-03T12:00 is 2026-11-02T12:00: between A1 and A2
    selection = select(grouping(), parse_time('1D', now=now), P)
    assert [s.end_time for s in selection.sets] == [A0, A1]
    epoch = int(datetime.datetime(2026, 11, 2, 2, 0, tzinfo=UTC).timestamp())
    selection = select(grouping(), parse_time(str(epoch)), P)
    assert [s.end_time for s in selection.sets] == [A0, A1]


# ---- estimate ----------------------------------------------------------------------

GIB = 1 << 30


def test_estimate_glacier():
    result = estimate([('GLACIER', 10 * GIB)] * 100, days=7)
    standard = result['Standard']
    assert standard['available'] is True
    assert standard['objects'] == 100 and standard['bytes'] == 1000 * GIB
    assert standard['retrieval_usd'] == pytest.approx(1000 * 0.01)
    assert standard['requests_usd'] == pytest.approx(0.1 * 0.05)
    assert standard['total_usd'] == pytest.approx(10.005)
    assert standard['typical_time'] == 'GLACIER 3-5 hours'
    assert standard['max_hours'] == 5.0
    expedited = result['Expedited']
    assert expedited['available'] is True
    assert expedited['retrieval_usd'] == pytest.approx(30.0)
    assert expedited['requests_usd'] == pytest.approx(1.0)
    assert expedited['typical_time'] == 'GLACIER 1-5 minutes'
    assert result['Bulk']['retrieval_usd'] == 0.0
    assert result['Bulk']['requests_usd'] == pytest.approx(0.0025)
    assert result['Bulk']['max_hours'] == 12.0
    assert result['restored_copy_usd'] == pytest.approx(1000 * 0.023 * 7 / 30.0, abs=1e-4)
    assert result['prices_as_of'] and result['region'] == 'us-east-1'


def test_estimate_deep_archive_has_no_expedited():
    result = estimate([('DEEP_ARCHIVE', GIB)] * 2000 + [('GLACIER', GIB)] * 1000)
    expedited = result['Expedited']
    assert expedited['available'] is False
    assert 'DEEP_ARCHIVE' in expedited['reason']
    assert expedited['total_usd'] is None
    standard = result['Standard']
    assert standard['retrieval_usd'] == pytest.approx(2000 * 0.02 + 1000 * 0.01)
    assert standard['requests_usd'] == pytest.approx(2 * 0.10 + 1 * 0.05)
    assert standard['max_hours'] == 12.0
    assert standard['typical_time'] == 'GLACIER 3-5 hours; DEEP_ARCHIVE within 12 hours'
    bulk = result['Bulk']
    assert bulk['retrieval_usd'] == pytest.approx(2000 * 0.0025)
    assert bulk['requests_usd'] == pytest.approx(3 * 0.025)
    assert bulk['max_hours'] == 48.0


def test_estimate_nothing_and_intelligent_tiering():
    result = estimate([])
    for tier in dr.TIERS:
        assert result[tier]['available'] is True
        assert result[tier]['total_usd'] == 0.0
        assert result[tier]['typical_time'] == 'nothing to restore'
    result = estimate([('IT_DEEP_ARCHIVE_ACCESS', GIB)])
    assert result['Expedited']['available'] is False
    assert result['Standard']['total_usd'] == 0.0
    assert result['restored_copy_usd'] == 0.0
    with pytest.raises(ValueError):
        estimate([('STANDARD', 1)])


# ---- the engine, against a fake client ---------------------------------------------

class FakeClientError(Exception):
    def __init__(self, code, operation, status=400):
        super(FakeClientError, self).__init__(
            'An error occurred (%s) when calling the %s operation: %s' % (code, operation, code))
        self.response = {'Error': {'Code': code, 'Message': code}, 'ResponseMetadata': {'HTTPStatusCode': status}}


class FakeS3:
    """ListObjectsV2, HeadObject and RestoreObject over a dict of objects.

    A restore stays in progress for ``restore_polls`` HeadObjects, then completes.
    """

    def __init__(self, objects, page_size=1000, restore_polls=0, delay=0.0):
        self.objects = dict((key, dict(value)) for key, value in objects.items())
        self.page_size = page_size
        self.restore_polls = restore_polls
        self.delay = delay
        self.lock = threading.Lock()
        self.calls = []
        self.failures = {}
        self.in_flight = 0
        self.max_in_flight = 0

    def fail(self, operation, key, *errors):
        self.failures.setdefault((operation, key), []).extend(errors)

    def _enter(self, operation, key):
        with self.lock:
            self.calls.append((operation, key))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            errors = self.failures.get((operation, key))
            error = errors.pop(0) if errors else None
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            self.in_flight -= 1
        if error is not None:
            raise error

    def list_objects_v2(self, Bucket, Prefix='', ContinuationToken=None, **kwargs):
        self._enter('list', None)
        keys = sorted(key for key in self.objects if key.startswith(Prefix))
        start = int(ContinuationToken or 0)
        page = keys[start:start + self.page_size]
        response = {'Contents': [{'Key': key, 'Size': self.objects[key].get('size', 0),
                                  'StorageClass': self.objects[key].get('class', 'STANDARD')} for key in page],
                    'IsTruncated': start + self.page_size < len(keys)}
        if response['IsTruncated']:
            response['NextContinuationToken'] = str(start + self.page_size)
        return response

    def head_object(self, Bucket, Key, **kwargs):
        self._enter('head', Key)
        obj = self.objects[Key]
        response = {'ContentLength': obj.get('size', 0)}
        if obj.get('class', 'STANDARD') != 'STANDARD':
            response['StorageClass'] = obj['class']
        with self.lock:
            if obj.get('restore') == 'progress':
                obj['polls'] = obj.get('polls', 0) + 1
                if obj['polls'] > self.restore_polls:
                    obj['restore'] = 'done'
            state = obj.get('restore')
        if state == 'progress':
            response['Restore'] = 'ongoing-request="true"'
        elif state == 'done':
            response['Restore'] = 'ongoing-request="false", expiry-date="Fri, 01 Jan 2100 00:00:00 GMT"'
        return response

    def restore_object(self, Bucket, Key, RestoreRequest, **kwargs):
        self._enter('restore', Key)
        obj = self.objects[Key]
        with self.lock:
            obj['request'] = RestoreRequest
            if obj.get('restore') == 'progress':
                raise FakeClientError('RestoreAlreadyInProgress', 'RestoreObject', 409)
            if obj.get('restore') == 'done':
                return {'ResponseMetadata': {'HTTPStatusCode': 200}}
            obj['restore'] = 'progress' if self.restore_polls else 'done'
        return {'ResponseMetadata': {'HTTPStatusCode': 202}}


def test_list_objects_pages():
    client = FakeS3(dict(('p/k%04d' % n, {'size': n}) for n in range(25)), page_size=10)
    entries = dr.list_objects(client, 'b', 'p/')
    assert [entry['key'] for entry in entries] == ['p/k%04d' % n for n in range(25)]
    assert entries[3] == {'key': 'p/k0003', 'size': 3, 'storage_class': 'STANDARD'}
    assert client.calls.count(('list', None)) == 3


def test_list_objects_failure_is_an_engine_error():
    client = FakeS3({'p/a': {}})
    client.fail('list', None, FakeClientError('NoSuchBucket', 'ListObjectsV2', 404))
    with pytest.raises(dr.ListingError) as error:
        dr.list_objects(client, 'b', 'p/')
    assert 'NoSuchBucket' in str(error.value)


def test_classify_all_heads_only_what_needs_it():
    objects = {'a': {'class': 'GLACIER'}, 'b': {'class': 'STANDARD'}, 'c': {'class': 'DEEP_ARCHIVE', 'restore': 'done'},
               'd': {'class': 'INTELLIGENT_TIERING'}, 'e': {'class': 'GLACIER_IR'}}
    client = FakeS3(objects)
    entries = dr.list_objects(client, 'b', '')
    states, heads = dr.classify_all(client, 'bucket', entries, concurrency=4)
    assert heads == 3
    assert sorted(key for operation, key in client.calls if operation == 'head') == ['a', 'c', 'd']
    assert dict((key, info['state']) for key, info in states.items()) == {
        'a': 'archived', 'b': 'not_archived', 'c': 'restored', 'd': 'not_archived', 'e': 'not_archived'}


def test_restore_objects_outcomes():
    objects = dict(('k%d' % n, {'class': 'GLACIER'}) for n in range(40))
    objects['progress'] = {'class': 'GLACIER', 'restore': 'progress'}
    objects['done'] = {'class': 'GLACIER', 'restore': 'done'}
    objects['it'] = {'class': 'INTELLIGENT_TIERING'}
    client = FakeS3(objects, restore_polls=5, delay=0.01)
    client.fail('restore', 'k2', FakeClientError('AccessDenied', 'RestoreObject', 403))
    items = [('k%d' % n, 'GLACIER') for n in range(40)]
    items += [('progress', 'GLACIER'), ('done', 'GLACIER'), ('it', 'IT_ARCHIVE_ACCESS')]
    outcomes = dr.restore_objects(client, 'b', items, days=3, tier='Bulk', concurrency=8)
    assert outcomes['k2'][0] == 'failed' and 'AccessDenied' in outcomes['k2'][1]
    assert outcomes['progress'] == ('in_progress', None)
    assert outcomes['done'] == ('already_restored', None)
    assert sum(1 for value in outcomes.values() if value == ('requested', None)) == 40
    assert client.max_in_flight <= 8 and client.max_in_flight > 1
    assert client.objects['k0']['request'] == {'Days': 3, 'GlacierJobParameters': {'Tier': 'Bulk'}}
    assert client.objects['it']['request'] == {'GlacierJobParameters': {'Tier': 'Bulk'}}


def test_a_throttled_request_is_sent_once_the_client_retries():
    # Retries are the client's (AWSRetry, botocore's retry modes): the engine sends each
    # request once and reports what the client finally raised.
    client = FakeS3({'k': {'class': 'GLACIER'}, 'h': {'class': 'GLACIER'}})
    client.fail('restore', 'k', FakeClientError('SlowDown', 'RestoreObject', 503))
    client.fail('head', 'h', FakeClientError('503', 'HeadObject', 503))
    assert dr.restore_objects(client, 'b', [('k', 'GLACIER')], concurrency=1)['k'][0] == 'failed'
    assert dr.head_object(client, 'b', 'h')['code'] == '503'
    assert client.calls == [('restore', 'k'), ('head', 'h')]


def test_call_args_reach_every_request():
    seen = []

    class Client(FakeS3):
        def head_object(self, **kwargs):
            seen.append(kwargs.pop('aws_retry', None))
            return super(Client, self).head_object(**kwargs)

        def restore_object(self, **kwargs):
            seen.append(kwargs.pop('aws_retry', None))
            return super(Client, self).restore_object(**kwargs)

        def list_objects_v2(self, **kwargs):
            seen.append(kwargs.pop('aws_retry', None))
            return super(Client, self).list_objects_v2(**kwargs)
    client = Client({'a': {'class': 'GLACIER'}})
    args = {'aws_retry': True}
    entries = dr.list_objects(client, 'b', '', args)
    dr.classify_all(client, 'b', entries, 1, args)
    dr.restore_objects(client, 'b', [('a', 'GLACIER')], concurrency=1, call_args=args)
    assert seen == [True, True, True]


def test_a_programming_error_is_not_a_failed_object():
    class Broken(FakeS3):
        def restore_object(self, **kwargs):
            raise TypeError('restore_object() got an unexpected keyword argument')
    client = Broken({'k': {'class': 'GLACIER'}})
    with pytest.raises(TypeError):
        dr.restore_objects(client, 'b', [('k', 'GLACIER')], concurrency=2)

    class BrokenHead(FakeS3):
        def head_object(self, **kwargs):
            raise KeyError('Restore')
    with pytest.raises(KeyError):
        dr.wait_until_readable(BrokenHead({'k': {'class': 'GLACIER'}}), 'b', ['k'], timeout=1, interval=1)


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_until_readable():
    objects = dict(('k%d' % n, {'class': 'GLACIER', 'restore': 'progress'}) for n in range(10))
    client = FakeS3(objects, restore_polls=2)
    clock = Clock()
    lines = []
    result = dr.wait_until_readable(client, 'b', sorted(objects), timeout=600, interval=60, concurrency=4,
                                    log=lines.append, clock=clock, sleep=clock.sleep)
    assert result['readable'] is True and result['reason'] == 'readable'
    assert result['polls'] == 3
    assert clock.sleeps == [60, 60]
    assert [entry['readable'] for entry in result['history']] == [0, 0, 10]
    assert [entry['in_progress'] for entry in result['history']] == [10, 10, 0]
    assert result['unreadable'] == []
    assert len(lines) == 3 and '10 of 10 readable' in lines[-1]
    # readable keys are not polled again
    assert sum(1 for operation, dummy in client.calls if operation == 'head') == 30


def test_wait_times_out_with_the_unreadable_keys():
    objects = {'a': {'class': 'GLACIER', 'restore': 'progress'}, 'b': {'class': 'GLACIER', 'restore': 'done'}}
    client = FakeS3(objects, restore_polls=1000)
    clock = Clock()
    result = dr.wait_until_readable(client, 'b', ['a', 'b'], timeout=150, interval=60, clock=clock,
                                    sleep=clock.sleep)
    assert result['readable'] is False and result['reason'] == 'timeout'
    assert clock.sleeps == [60, 60, 30]
    assert result['unreadable'] == [{'key': 'a', 'state': 'restore_in_progress', 'error': None}]


def test_wait_stops_when_nothing_restores_an_object():
    objects = {'a': {'class': 'GLACIER'}}
    client = FakeS3(objects)
    clock = Clock()
    result = dr.wait_until_readable(client, 'b', ['a'], timeout=3600, interval=10, clock=clock, sleep=clock.sleep)
    assert result['reason'] == 'stalled' and result['polls'] == 3
    assert result['unreadable'][0]['state'] == 'archived'


def test_wait_history_is_bounded():
    client = FakeS3({'a': {'class': 'GLACIER', 'restore': 'progress'}}, restore_polls=10 ** 6)
    clock = Clock()
    result = dr.wait_until_readable(client, 'b', ['a'], timeout=1000, interval=1, clock=clock, sleep=clock.sleep,
                                    history_size=5)
    assert result['polls'] == 1001
    assert len(result['history']) == 5 and result['history_truncated'] is True
    assert result['history'][-1]['poll'] == 1001


def test_wait_with_nothing_to_wait_for():
    client = FakeS3({})
    result = dr.wait_until_readable(client, 'b', [], timeout=10, interval=1)
    assert result['readable'] is True and result['polls'] == 0 and client.calls == []


# ---- reports -----------------------------------------------------------------------

def test_describe_chain_counts():
    keys = SETS['A0'] + SETS['A1']
    classes = dict((key, 'GLACIER') for key in keys if 'difftar' in key)
    classes[SETS['A1'][-1]] = 'DEEP_ARCHIVE'
    found = inventory(listing(keys, classes, size=10))
    heads = {}
    for n, key in enumerate(sorted(classes)):
        restore = [None, 'ongoing-request="true"',
                   'ongoing-request="false", expiry-date="Fri, 27 Nov 2026 00:00:00 GMT"',
                   'ongoing-request="false", expiry-date="Sat, 28 Nov 2026 00:00:00 GMT"'][n % 4]
        heads[key] = {'storage_class': classes[key], 'restore': restore}
    states = dict((key, classify(entry, heads.get(key), now=NOW)) for key, entry in found.objects.items())
    chain = found.groupings[P].chains[0]
    report = dr.describe_chain(P, chain, found.objects, states)
    assert report['full_time'] == '2026-11-01T02:00:00Z'
    assert report['end_time'] == '2026-11-02T02:00:00Z'
    assert report['objects'] == 9 and report['volumes'] == 5 and report['bytes'] == 90
    assert report['storage_classes'] == {'STANDARD': 4, 'GLACIER': 4, 'DEEP_ARCHIVE': 1}
    assert sum(report['restore_states'].values()) == 9
    assert report['restore_states']['not_archived'] == 4
    assert report['restored_until'] == '2026-11-28T00:00:00Z'
    assert report['restored_first_expiry'] == '2026-11-27T00:00:00Z'
    assert [s['type'] for s in report['sets']] == ['full', 'inc']
    assert report['sets'][1]['start_time'] == '2026-11-01T02:00:00Z'
    assert report['sets'][0]['volumes'] == 3 and report['sets'][0]['complete'] is True


# ---- the time given to duplicity ----------------------------------------------------

def test_duplicity_time_is_the_moment_the_module_resolved():
    # An interval is counted back from the module's "now", once; duplicity gets epoch
    # seconds, which it reads the same way in every time zone and at any later hour.
    moment = parse_time('2M', NOW)
    assert moment == NOW - datetime.timedelta(days=60)
    assert dr.duplicity_time(moment) == str(int((NOW - datetime.timedelta(days=60)).timestamp()))
    # A date without offset is UTC midnight, not the host's.
    assert dr.duplicity_time(parse_time('2026-11-01', NOW)) == '1793491200'
    assert dr.duplicity_time(parse_time('2026-11-01T13:00:00+13:00', NOW)) == '1793491200'
    # The fraction is dropped as time_key() drops it, so select() and duplicity agree.
    fractional = datetime.datetime(2026, 11, 1, 0, 0, 0, 900000, tzinfo=UTC)
    assert dr.duplicity_time(fractional) == '1793491200'
    assert time_key(parse_time(dr.duplicity_time(fractional))) == time_key(fractional)


def test_duplicity_time_selects_what_the_module_selected():
    moment = parse_time('2026-11-02T12:00:00', NOW)
    again = parse_time(dr.duplicity_time(moment), NOW + datetime.timedelta(hours=48))
    assert select(grouping(), again, P).keys == select(grouping(), moment, P).keys


def test_requests_name_the_version_when_given():
    from ansible_collections.offsite.backup.plugins.module_utils import restore_requests

    class Client:
        def __init__(self):
            self.calls = []

        def head_object(self, **kwargs):
            self.calls.append(('head', kwargs))
            return {'StorageClass': 'DEEP_ARCHIVE', 'ContentLength': 5}

        def restore_object(self, **kwargs):
            self.calls.append(('restore', kwargs))
            return {'ResponseMetadata': {'HTTPStatusCode': 202}}

    client = Client()
    versions = {'k1': 'v1'}
    restore_requests.head_objects(client, 'b', ['k1', 'k2'], 2, None, versions)
    restore_requests.restore_objects(client, 'b', [('k1', None), ('k2', None)], 1, 'Bulk', 2, None, versions)
    named = sorted((kind, kwargs['Key'], kwargs.get('VersionId')) for kind, kwargs in client.calls)
    assert named == [('head', 'k1', 'v1'), ('head', 'k2', None), ('restore', 'k1', 'v1'), ('restore', 'k2', None)]


# --- restore states from the listing (OptionalObjectAttributes=RestoreStatus) ---

class AwsListing(FakeS3):
    """Lists RestoreStatus as AWS S3 does when asked: only for objects with a restore."""

    def list_objects_v2(self, **kwargs):
        asked = kwargs.pop('OptionalObjectAttributes', None)
        response = super(AwsListing, self).list_objects_v2(**kwargs)
        if asked is not None:
            assert asked == ['RestoreStatus']
            self.calls.append(('list-with-restore-status', None))
            for item in response['Contents']:
                state = self.objects[item['Key']].get('restore')
                if state == 'progress':
                    item['RestoreStatus'] = {'IsRestoreInProgress': True}
                elif state == 'done':
                    item['RestoreStatus'] = {'IsRestoreInProgress': False,
                                             'RestoreExpiryDate': datetime.datetime(2100, 1, 1)}
                elif state == 'expired':
                    item['RestoreStatus'] = {'IsRestoreInProgress': False,
                                             'RestoreExpiryDate': datetime.datetime(2020, 1, 1, tzinfo=UTC)}
        return response


def test_listing_states_need_no_head_for_glacier_and_deep_archive():
    objects = {'a': {'class': 'GLACIER'}, 'b': {'class': 'STANDARD'}, 'c': {'class': 'DEEP_ARCHIVE', 'restore': 'done'},
               'd': {'class': 'INTELLIGENT_TIERING'}, 'p': {'class': 'GLACIER', 'restore': 'progress'},
               'x': {'class': 'GLACIER', 'restore': 'expired'}}
    client = AwsListing(objects)
    entries = dr.list_objects(client, 'b', '', restore_status=True)
    assert ('list-with-restore-status', None) in client.calls
    states, heads = dr.classify_all(client, 'bucket', entries, concurrency=4, now=NOW)
    assert heads == 1
    assert [key for operation, key in client.calls if operation == 'head'] == ['d']
    assert dict((key, info['state']) for key, info in states.items()) == {
        'a': 'archived', 'b': 'not_archived', 'c': 'restored', 'd': 'not_archived', 'p': 'restore_in_progress',
        'x': 'archived'}
    assert states['c']['expiry'] == datetime.datetime(2100, 1, 1, tzinfo=UTC)
    assert states['a']['archive_tier'] == 'GLACIER' and states['c']['archive_tier'] == 'DEEP_ARCHIVE'
    # Without restore_status the same listing needs a HeadObject per archived object, as before.
    assert dr.classify_all(client, 'bucket', dr.list_objects(client, 'b', ''), concurrency=4)[1] == 5


def test_listing_states_first_run_and_rerun_requests():
    objects = dict(('vol%d' % n, {'class': 'DEEP_ARCHIVE'}) for n in range(30))
    objects['done'] = {'class': 'GLACIER', 'restore': 'done'}
    client = AwsListing(objects, restore_polls=3)

    def run():
        states, heads = dr.classify_all(client, 'b', dr.list_objects(client, 'b', '', restore_status=True), 8)
        wanted = [(key, info['archive_tier']) for key, info in states.items() if info['state'] == 'archived']
        return heads, dr.restore_objects(client, 'b', wanted, concurrency=8) if wanted else {}

    heads, outcomes = run()
    assert heads == 0 and len(outcomes) == 30 and set(outcomes.values()) == {('requested', None)}
    before = len(client.calls)
    heads, outcomes = run()
    assert heads == 0 and outcomes == {}
    assert set(operation for operation, key in client.calls[before:]) == {'list', 'list-with-restore-status'}


def test_an_endpoint_that_ignores_the_attribute_looks_never_restored():
    # Why states_from=auto uses HeadObject off AWS: moto and many S3-compatible stores
    # list no RestoreStatus at all, so a restored object would be requested again.
    client = FakeS3({'done': {'class': 'GLACIER', 'restore': 'done'}})
    states, heads = dr.classify_all(client, 'b', dr.list_objects(client, 'b', '', restore_status=True), 1)
    assert heads == 0 and states['done']['state'] == 'archived'
    states, heads = dr.classify_all(client, 'b', dr.list_objects(client, 'b', ''), 1)
    assert heads == 1 and states['done']['state'] == 'restored'


@pytest.mark.parametrize('choice, endpoint, expected', [
    ('auto', None, True),
    ('auto', '', True),
    ('auto', 'https://s3.eu-central-1.amazonaws.com', True),
    ('auto', 'https://bucket.s3.amazonaws.com.cn/', True),
    ('auto', 'http://127.0.0.1:18080', False),
    ('auto', 'https://s3.example.net', False),
    ('auto', 'https://notamazonaws.com', False),
    ('auto', 'https://s3.amazonaws.com.example.net', False),
    ('listing', 'http://127.0.0.1:18080', True),
    ('head', None, False),
])
def test_states_from_listing(choice, endpoint, expected):
    assert dr.states_from_listing(choice, endpoint) is expected


def test_states_from_listing_refuses_other_choices():
    with pytest.raises(ValueError, match='states_from must be one of auto, listing, head'):
        dr.states_from_listing('guess', None)


def test_listed_restore_matches_the_header_forms():
    assert dr.listed_restore(None) is None
    assert dr.listed_restore({}) is None
    assert parse_restore_header(dr.listed_restore({'IsRestoreInProgress': True})) == (True, None)
    expiry = datetime.datetime(2030, 5, 1, 10, 0, tzinfo=UTC)
    assert parse_restore_header(dr.listed_restore({'IsRestoreInProgress': False, 'RestoreExpiryDate': expiry})) == (
        False, expiry)
    assert parse_restore_header(dr.listed_restore({'IsRestoreInProgress': False})) == (False, None)
