# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The module's flow (plan, check mode, diff, writes, read-back) against a fake bucket.

No boto3 needed: reads go through a patched get_lifecycle, writes through a fake client
that records them.
"""

from __future__ import annotations

import copy
import datetime

import pytest

from ansible_collections.offsite.backup.plugins.modules import s3_lifecycle


class ExitJson(Exception):
    pass


class FailJson(Exception):
    pass


class FakeModule:
    def __init__(self, check_mode=False, diff=False, **params):
        self.params = {
            'bucket': 'bucket',
            'state': 'present',
            'purge_rules': True,
            'purge_rules_prefixes': [],
            'rules': None,
            'transition_default_minimum_object_size': None,
        }
        self.params.update(params)
        self.check_mode = check_mode
        self._diff = diff
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)

    def exit_json(self, **kwargs):
        raise ExitJson(kwargs)

    def fail_json(self, **kwargs):
        raise FailJson(kwargs)

    def fail_json_aws(self, exception, msg=None):
        raise FailJson({'msg': msg, 'exception': exception})


class FakeBucket:
    """A bucket's lifecycle configuration, with writes recorded and a read-after-write lag."""

    def __init__(self, rules=None, size='all_storage_classes_128K', lag=0, drop_size=False, report_size=True):
        self.rules = copy.deepcopy(rules)
        self.size = size if rules else None
        self.report_size = report_size
        self.drop_size = drop_size  # like moto: the setting is never stored
        self.lag = lag
        self.stale = None
        self.stale_reads = 0
        self.writes = []
        self.reads = 0

    # the client's API
    def put_bucket_lifecycle_configuration(self, aws_retry=False, **params):
        self.writes.append(('put', copy.deepcopy(params)))
        self.stale, self.stale_reads = (copy.deepcopy(self.rules), self.size), self.lag
        self.rules = copy.deepcopy(params['LifecycleConfiguration']['Rules'])
        if not self.drop_size:
            self.size = params.get('TransitionDefaultMinimumObjectSize', self.size or 'all_storage_classes_128K')
        elif self.size is None:
            self.size = 'all_storage_classes_128K'

    def delete_bucket_lifecycle(self, aws_retry=False, **params):
        self.writes.append(('delete', copy.deepcopy(params)))
        self.stale, self.stale_reads = (copy.deepcopy(self.rules), self.size), self.lag
        self.rules, self.size = None, None

    # what get_lifecycle returns
    def get(self, module, client, bucket):
        assert client is self
        self.reads += 1
        rules, size = self.rules, self.size
        if self.stale_reads:
            self.stale_reads -= 1
            rules, size = self.stale
        if rules is None:
            return None, None
        return copy.deepcopy(rules), (size if self.report_size else None)


@pytest.fixture
def bucket(monkeypatch):
    def make(*args, **kwargs):
        fake = FakeBucket(*args, **kwargs)
        monkeypatch.setattr(s3_lifecycle, 'get_lifecycle', fake.get)
        return fake
    monkeypatch.setattr(s3_lifecycle, 'SETTLE_DELAY', 0)
    return make


def rule(rule_id, **kwargs):
    result = {
        'id': rule_id,
        'status': 'enabled',
        'filter': None,
        'transitions': None,
        'expiration': None,
        'noncurrent_version_transitions': None,
        'noncurrent_version_expiration': None,
        'abort_incomplete_multipart_upload_days': None,
    }
    result.update(kwargs)
    return result


VOLUMES = rule('volumes', filter={'prefix': 'vol/', 'tags': None, 'object_size_greater_than': None,
                                  'object_size_less_than': None},
               transitions=[{'days': 1, 'storage_class': 'DEEP_ARCHIVE'}])
ABORT = rule('abort', abort_incomplete_multipart_upload_days=7)
VOLUMES_API = {'ID': 'volumes', 'Status': 'Enabled', 'Filter': {'And': {'Prefix': 'vol/'}},
               'Transitions': [{'Days': 1, 'StorageClass': 'DEEP_ARCHIVE'}]}
DATED_API = {'ID': 'dated', 'Status': 'Enabled', 'Filter': {'Prefix': 'old/'},
             'Expiration': {'Date': datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)}}


def run(module, client):
    with pytest.raises(ExitJson) as exit_info:
        s3_lifecycle.ensure_lifecycle(module, client)
    return exit_info.value.args[0]


def test_create(bucket):
    fake = bucket()
    result = run(FakeModule(rules=[VOLUMES, ABORT]), fake)
    assert result['changed'] is True
    assert fake.writes == [('put', {'Bucket': 'bucket', 'LifecycleConfiguration': {'Rules': [
        {'ID': 'volumes', 'Status': 'Enabled', 'Filter': {'Prefix': 'vol/'},
         'Transitions': [{'Days': 1, 'StorageClass': 'DEEP_ARCHIVE'}]},
        {'ID': 'abort', 'Status': 'Enabled', 'Filter': {}, 'AbortIncompleteMultipartUpload': {'DaysAfterInitiation': 7}},
    ]}})]
    assert [r['id'] for r in result['rules']] == ['abort', 'volumes']
    assert result['transition_default_minimum_object_size'] == 'all_storage_classes_128K'
    assert 'diff' not in result


def test_no_change_makes_no_write(bucket):
    fake = bucket([VOLUMES_API])
    result = run(FakeModule(rules=[VOLUMES], diff=True), fake)
    assert result['changed'] is False
    assert fake.writes == []
    assert result['diff']['before'] == result['diff']['after']
    assert result['rules'][0]['filter'] == {'prefix': 'vol/'}


def test_check_mode_makes_no_write(bucket):
    fake = bucket([VOLUMES_API])
    result = run(FakeModule(rules=[ABORT], check_mode=True, diff=True), fake)
    assert result['changed'] is True
    assert fake.writes == []
    assert [r['id'] for r in result['diff']['before']['rules']] == ['volumes']
    assert [r['id'] for r in result['diff']['after']['rules']] == ['abort']
    assert result['rules'] == result['diff']['after']['rules']


def test_check_mode_delete(bucket):
    fake = bucket([VOLUMES_API])
    result = run(FakeModule(state='absent', check_mode=True, diff=True), fake)
    assert result['changed'] is True
    assert fake.writes == []
    assert result['diff']['after'] == {'rules': []}
    assert result['rules'] == []


def test_purge_false_keeps_other_rules_verbatim(bucket):
    fake = bucket([DATED_API, VOLUMES_API])
    result = run(FakeModule(rules=[ABORT, dict(VOLUMES, status='disabled')], purge_rules=False), fake)
    assert result['changed'] is True
    put = fake.writes[0][1]['LifecycleConfiguration']['Rules']
    assert [r['ID'] for r in put] == ['dated', 'volumes', 'abort']
    assert put[0] == DATED_API
    assert put[1]['Status'] == 'Disabled'
    # And again: nothing to do.
    result = run(FakeModule(rules=[ABORT, dict(VOLUMES, status='disabled')], purge_rules=False), fake)
    assert result['changed'] is False
    assert len(fake.writes) == 1


def test_absent_with_ids_removes_only_those(bucket):
    fake = bucket([DATED_API, VOLUMES_API])
    result = run(FakeModule(state='absent', rules=[{'id': 'volumes'}, {'id': 'unknown'}]), fake)
    assert result['changed'] is True
    assert fake.writes == [('put', {'Bucket': 'bucket', 'LifecycleConfiguration': {'Rules': [DATED_API]},
                                    'TransitionDefaultMinimumObjectSize': 'all_storage_classes_128K'})]
    result = run(FakeModule(state='absent', rules=[{'id': 'dated'}]), fake)
    assert result['changed'] is True
    assert fake.writes[-1] == ('delete', {'Bucket': 'bucket'})
    assert result['rules'] == []
    result = run(FakeModule(state='absent', rules=[{'id': 'dated'}]), fake)
    assert result['changed'] is False


def test_absent_and_empty_rules(bucket):
    fake = bucket()
    assert run(FakeModule(state='absent'), fake)['changed'] is False
    assert run(FakeModule(rules=[]), fake)['changed'] is False
    assert fake.writes == []
    fake = bucket([VOLUMES_API])
    assert run(FakeModule(rules=[]), fake)['changed'] is True
    assert fake.writes == [('delete', {'Bucket': 'bucket'})]
    fake = bucket([VOLUMES_API])
    assert run(FakeModule(rules=[], purge_rules=False), fake)['changed'] is False


def test_size_setting_is_kept_when_not_set(bucket):
    fake = bucket([VOLUMES_API], size='varies_by_storage_class')
    run(FakeModule(rules=[VOLUMES, ABORT]), fake)
    assert fake.writes[0][1]['TransitionDefaultMinimumObjectSize'] == 'varies_by_storage_class'


def test_size_setting_is_compared(bucket):
    fake = bucket([VOLUMES_API])
    result = run(FakeModule(rules=[VOLUMES], transition_default_minimum_object_size='all_storage_classes_128K'), fake)
    assert result['changed'] is False
    result = run(FakeModule(rules=[VOLUMES], transition_default_minimum_object_size='varies_by_storage_class',
                            diff=True), fake)
    assert result['changed'] is True
    assert fake.writes[0][1]['TransitionDefaultMinimumObjectSize'] == 'varies_by_storage_class'
    assert result['diff']['after']['transition_default_minimum_object_size'] == 'varies_by_storage_class'
    assert result['transition_default_minimum_object_size'] == 'varies_by_storage_class'


def test_size_setting_not_reported_is_not_compared(bucket):
    fake = bucket([VOLUMES_API], report_size=False)
    result = run(FakeModule(rules=[VOLUMES], transition_default_minimum_object_size='varies_by_storage_class'), fake)
    assert result['changed'] is False


def test_size_setting_without_rules_warns(bucket):
    fake = bucket()
    module = FakeModule(rules=[], transition_default_minimum_object_size='varies_by_storage_class')
    assert run(module, fake)['changed'] is False
    assert len(module.warnings) == 1


def test_read_after_write_lag_is_waited_out(bucket):
    fake = bucket([VOLUMES_API], lag=3)
    module = FakeModule(rules=[ABORT])
    result = run(module, fake)
    assert result['changed'] is True
    assert [r['id'] for r in result['rules']] == ['abort']
    assert module.warnings == []
    assert fake.reads == 1 + 4  # before, then three stale reads and the good one


def test_the_wait_is_bounded(bucket):
    fake = bucket([VOLUMES_API], lag=100)
    module = FakeModule(rules=[ABORT])
    result = run(module, fake)
    assert result['changed'] is True
    assert fake.reads == 1 + s3_lifecycle.SETTLE_TRIES
    assert len(module.warnings) == 1 and 'previous lifecycle configuration' in module.warnings[0]
    assert [r['id'] for r in result['rules']] == ['abort']


def test_the_wait_for_a_delete(bucket):
    fake = bucket([VOLUMES_API], lag=2)
    module = FakeModule(state='absent')
    result = run(module, fake)
    assert result['changed'] is True and result['rules'] == []
    assert module.warnings == []
    assert fake.reads == 1 + 3


def test_an_endpoint_that_stores_less_is_reported(bucket):
    # Like moto: the size setting is never stored. The previous configuration had the
    # same rules, so the read-back looks stale until the bound.
    fake = bucket([VOLUMES_API], drop_size=True)
    module = FakeModule(rules=[VOLUMES], transition_default_minimum_object_size='varies_by_storage_class')
    result = run(module, fake)
    assert result['changed'] is True
    assert len(module.warnings) == 1
    # A fresh bucket: the read-back differs from before and from what was written, at once.
    fake = bucket(drop_size=True)
    module = FakeModule(rules=[VOLUMES], transition_default_minimum_object_size='varies_by_storage_class')
    result = run(module, fake)
    assert fake.reads == 2
    assert len(module.warnings) == 1
    assert 'differs from the one written, in transition_default_minimum_object_size' in module.warnings[0]
    assert result['transition_default_minimum_object_size'] == 'all_storage_classes_128K'


OWNED_API = {'ID': 'offsite-backup/pi/old', 'Status': 'Enabled', 'Filter': {'Prefix': 'pi/old/archive-'},
             'Transitions': [{'Days': 30, 'StorageClass': 'DEEP_ARCHIVE'}]}


def test_purge_prefixes_drop_only_owned_rules_not_listed(bucket):
    fake = bucket([DATED_API, OWNED_API, VOLUMES_API])
    params = dict(rules=[VOLUMES], purge_rules=False, purge_rules_prefixes=['offsite-backup/'])
    result = run(FakeModule(check_mode=True, diff=True, **params), fake)
    assert result['changed'] is True
    assert fake.writes == []
    assert [r['id'] for r in result['diff']['before']['rules']] == ['dated', 'offsite-backup/pi/old', 'volumes']
    assert [r['id'] for r in result['diff']['after']['rules']] == ['dated', 'volumes']
    result = run(FakeModule(**params), fake)
    assert result['changed'] is True
    put = fake.writes[0][1]['LifecycleConfiguration']['Rules']
    assert [r['ID'] for r in put] == ['dated', 'volumes']
    assert put[0] == DATED_API
    assert run(FakeModule(**params), fake)['changed'] is False


def test_purge_prefixes_without_rules_left_delete_the_configuration(bucket):
    fake = bucket([OWNED_API])
    result = run(FakeModule(rules=[], purge_rules=False, purge_rules_prefixes=['offsite-backup/']), fake)
    assert result['changed'] is True
    assert fake.writes[0][0] == 'delete'
    assert result['rules'] == []


def test_purge_prefixes_keep_rules_of_others(bucket):
    fake = bucket([DATED_API])
    result = run(FakeModule(rules=[], purge_rules=False, purge_rules_prefixes=['offsite-backup/']), fake)
    assert result['changed'] is False
    assert fake.writes == []
