# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime

import pytest

from ansible_collections.offsite.backup.plugins.module_utils.s3_lifecycle_rules import (
    DIFFERENT,
    MATCHED,
    STALE,
    STORAGE_CLASSES,
    configuration,
    configurations_match,
    differences,
    filter_to_api,
    for_diff,
    normalize_api_rule,
    normalize_api_rules,
    normalize_rule,
    normalize_rules,
    plan_rules,
    remove_rules,
    rule_to_api,
    sort_rules,
    validate_rules,
    wait_for_configuration,
)


def option_rule(**kwargs):
    """A rule as the module's argument spec hands it over: every option present."""
    rule = {
        'id': 'r',
        'status': 'enabled',
        'filter': None,
        'transitions': None,
        'expiration': None,
        'noncurrent_version_transitions': None,
        'noncurrent_version_expiration': None,
        'abort_incomplete_multipart_upload_days': None,
    }
    rule.update(kwargs)
    return rule


def option_filter(**kwargs):
    result = {'prefix': None, 'tags': None, 'object_size_greater_than': None, 'object_size_less_than': None}
    result.update(kwargs)
    return result


def transitions(*pairs):
    return [{'days': days, 'storage_class': storage_class} for days, storage_class in pairs]


def one_error(rules):
    errors = validate_rules(rules)
    assert len(errors) == 1, errors
    return errors[0]


# ----------------------------------------------------------------------------- validation

def test_valid_rules_have_no_errors():
    rules = [
        option_rule(id='volumes', filter=option_filter(prefix='vol/'),
                    transitions=transitions((30, 'STANDARD_IA'), (60, 'INTELLIGENT_TIERING'), (90, 'ONEZONE_IA'),
                                            (120, 'GLACIER'), (300, 'DEEP_ARCHIVE')),
                    expiration={'days': 400, 'expired_object_delete_marker': None}),
        option_rule(id='ir', transitions=transitions((0, 'GLACIER_IR'), (90, 'GLACIER'), (180, 'DEEP_ARCHIVE'))),
        option_rule(id='lower-case-class', transitions=transitions((1, 'deep_archive'))),
        option_rule(id='versions', status='disabled',
                    noncurrent_version_transitions=[
                        {'noncurrent_days': 30, 'storage_class': 'STANDARD_IA', 'newer_noncurrent_versions': 2},
                        {'noncurrent_days': 60, 'storage_class': 'GLACIER', 'newer_noncurrent_versions': None}],
                    noncurrent_version_expiration={'noncurrent_days': 90, 'newer_noncurrent_versions': 100},
                    expiration={'days': None, 'expired_object_delete_marker': True}),
        option_rule(id='uploads', abort_incomplete_multipart_upload_days=7),
        option_rule(id='sizes', filter=option_filter(object_size_greater_than=0, object_size_less_than=1024,
                                                     tags={'a': 'b'}),
                    transitions=transitions((0, 'GLACIER'))),
    ]
    assert validate_rules(rules) == []
    assert validate_rules(None) == []
    assert validate_rules([]) == []


def test_unknown_storage_class_names_rule_and_field():
    message = one_error([option_rule(id='vols', transitions=transitions((1, 'GLACIER_DEEP')))])
    assert message.startswith("rules[0] (id 'vols'): transitions[0].storage_class 'GLACIER_DEEP'")
    assert 'DEEP_ARCHIVE' in message  # the choices are listed


def test_unknown_noncurrent_storage_class():
    message = one_error([option_rule(id='v', noncurrent_version_transitions=[
        {'noncurrent_days': 5, 'storage_class': 'STANDARD', 'newer_noncurrent_versions': None}])])
    assert "rules[0] (id 'v'): noncurrent_version_transitions[0].storage_class 'STANDARD'" in message


def test_duplicate_ids():
    rules = [option_rule(id='a', abort_incomplete_multipart_upload_days=1),
             option_rule(id='b', abort_incomplete_multipart_upload_days=1),
             option_rule(id='a', abort_incomplete_multipart_upload_days=2)]
    message = one_error(rules)
    assert message == "rules[2] (id 'a'): id 'a' is already used by rules[0]; rule ids must be unique"


@pytest.mark.parametrize('rule_id', ['', '   ', None])
def test_empty_id(rule_id):
    assert one_error([option_rule(id=rule_id, abort_incomplete_multipart_upload_days=1)]) == \
        'rules[0]: id must not be empty'


def test_long_id():
    assert 'at most 255 characters' in one_error([option_rule(id='x' * 256, abort_incomplete_multipart_upload_days=1)])


def test_transitions_must_increase_strictly():
    message = one_error([option_rule(id='t', transitions=transitions((90, 'GLACIER'), (90, 'DEEP_ARCHIVE')))])
    assert message.startswith("rules[0] (id 't'): transitions[1].days must be greater than 90")
    assert 'strictly increasing' in message
    errors = validate_rules([option_rule(id='t', transitions=transitions((180, 'DEEP_ARCHIVE'), (90, 'GLACIER')))])
    assert any('transitions[1].days must be greater than 180' in e for e in errors)


def test_glacier_ir_after_deep_archive():
    message = one_error([option_rule(id='cold', transitions=transitions((90, 'DEEP_ARCHIVE'), (180, 'GLACIER_IR')))])
    assert message.startswith("rules[0] (id 'cold'): transitions[1].storage_class GLACIER_IR cannot follow "
                              "DEEP_ARCHIVE (transitions[0])")


@pytest.mark.parametrize('first, second', [
    ('GLACIER', 'GLACIER_IR'),
    ('GLACIER', 'GLACIER'),
    ('DEEP_ARCHIVE', 'GLACIER'),
    ('GLACIER_IR', 'INTELLIGENT_TIERING'),
    ('INTELLIGENT_TIERING', 'STANDARD_IA'),
])
def test_warmer_class_after_colder_fails(first, second):
    message = one_error([option_rule(id='x', transitions=transitions((30, first), (120, second)))])
    assert 'transitions[1].storage_class %s cannot follow %s' % (second, first) in message


def test_onezone_ia_to_glacier_ir_is_unsupported():
    message = one_error([option_rule(id='x', transitions=transitions((30, 'ONEZONE_IA'), (90, 'GLACIER_IR')))])
    assert 'does not support a transition from ONEZONE_IA (transitions[0]) to GLACIER_IR' in message


@pytest.mark.parametrize('storage_class', ['STANDARD_IA', 'ONEZONE_IA'])
def test_infrequent_access_needs_30_days(storage_class):
    message = one_error([option_rule(id='ia', transitions=transitions((29, storage_class)))])
    assert message == "rules[0] (id 'ia'): transitions[0].days must be at least 30 for %s, got 29" % storage_class
    assert validate_rules([option_rule(id='ia', transitions=transitions((30, storage_class)))]) == []


def test_noncurrent_infrequent_access_needs_30_days():
    message = one_error([option_rule(id='nv', noncurrent_version_transitions=[
        {'noncurrent_days': 10, 'storage_class': 'STANDARD_IA', 'newer_noncurrent_versions': None}])])
    assert 'noncurrent_version_transitions[0].noncurrent_days must be at least 30 for STANDARD_IA' in message


def test_objects_stay_30_days_in_infrequent_access():
    message = one_error([option_rule(id='ia', transitions=transitions((30, 'STANDARD_IA'), (45, 'GLACIER')))])
    assert 'transitions[1].days must be at least 60' in message
    assert validate_rules([option_rule(id='ia', transitions=transitions((30, 'STANDARD_IA'), (60, 'GLACIER')))]) == []


def test_expiration_after_last_transition():
    message = one_error([option_rule(id='e', transitions=transitions((1, 'GLACIER'), (100, 'DEEP_ARCHIVE')),
                                     expiration={'days': 100, 'expired_object_delete_marker': None})])
    assert message == ("rules[0] (id 'e'): expiration.days (100) must be greater than the days of the last "
                       "transition (100)")


def test_noncurrent_expiration_after_last_noncurrent_transition():
    message = one_error([option_rule(
        id='n',
        noncurrent_version_transitions=[{'noncurrent_days': 30, 'storage_class': 'GLACIER',
                                         'newer_noncurrent_versions': None}],
        noncurrent_version_expiration={'noncurrent_days': 20, 'newer_noncurrent_versions': None})])
    assert 'noncurrent_version_expiration.noncurrent_days (20) must be greater than' in message


@pytest.mark.parametrize('rule, field', [
    (option_rule(transitions=transitions((-1, 'GLACIER'))), 'transitions[0].days must not be negative'),
    (option_rule(expiration={'days': -3, 'expired_object_delete_marker': None}), 'expiration.days must be at least 1'),
    (option_rule(expiration={'days': 0, 'expired_object_delete_marker': None}), 'expiration.days must be at least 1'),
    (option_rule(abort_incomplete_multipart_upload_days=-1), 'abort_incomplete_multipart_upload_days must be at least 1'),
    (option_rule(noncurrent_version_transitions=[{'noncurrent_days': -1, 'storage_class': 'GLACIER',
                                                  'newer_noncurrent_versions': None}]),
     'noncurrent_version_transitions[0].noncurrent_days must not be negative'),
    (option_rule(noncurrent_version_expiration={'noncurrent_days': 0, 'newer_noncurrent_versions': None}),
     'noncurrent_version_expiration.noncurrent_days must be at least 1'),
    (option_rule(noncurrent_version_expiration={'noncurrent_days': 5, 'newer_noncurrent_versions': 101}),
     'noncurrent_version_expiration.newer_noncurrent_versions must be at most 100'),
    (option_rule(filter=option_filter(object_size_greater_than=-1), abort_incomplete_multipart_upload_days=1),
     'filter.object_size_greater_than must not be negative'),
])
def test_out_of_range_numbers(rule, field):
    message = one_error([rule])
    assert message.startswith("rules[0] (id 'r'): " + field)


def test_missing_transition_fields():
    errors = validate_rules([option_rule(transitions=[{'days': None, 'storage_class': 'GLACIER'},
                                                      {'days': 5, 'storage_class': None}])])
    assert "rules[0] (id 'r'): transitions[0].days is required" in errors
    assert any(e.startswith("rules[0] (id 'r'): transitions[1].storage_class None") for e in errors)


def test_size_filter_bounds():
    message = one_error([option_rule(filter=option_filter(object_size_greater_than=100, object_size_less_than=100),
                                     abort_incomplete_multipart_upload_days=1)])
    assert 'filter.object_size_greater_than (100) must be less than filter.object_size_less_than (100)' in message


def test_expiration_needs_exactly_one_of_days_and_marker():
    no_action = option_rule(expiration={'days': None, 'expired_object_delete_marker': False})
    assert 'expiration needs days' in one_error([no_action])
    both = option_rule(expiration={'days': 3, 'expired_object_delete_marker': True})
    assert 'cannot be used together' in one_error([both])


def test_tag_filters_exclude_marker_and_abort():
    tags = option_filter(tags={'k': 'v'})
    assert 'expired_object_delete_marker cannot be used with a filter on tags' in one_error(
        [option_rule(filter=tags, expiration={'days': None, 'expired_object_delete_marker': True})])
    assert 'abort_incomplete_multipart_upload_days cannot be used with a filter on tags' in one_error(
        [option_rule(filter=tags, abort_incomplete_multipart_upload_days=3)])


def test_rule_without_action():
    assert 'the rule has no action' in one_error([option_rule(id='idle', transitions=[])])


def test_all_errors_are_reported():
    errors = validate_rules([
        option_rule(id='a', transitions=transitions((1, 'TAPE'))),
        option_rule(id='b', transitions=transitions((10, 'STANDARD_IA'))),
    ])
    assert len(errors) == 2
    assert errors[0].startswith("rules[0] (id 'a')") and errors[1].startswith("rules[1] (id 'b')")


def test_ids_only_for_absent():
    assert validate_rules([{'id': 'a', 'transitions': transitions((1, 'TAPE'))}], ids_only=True) == []
    assert validate_rules([{'id': 'a'}, {'id': 'a'}], ids_only=True) == [
        "rules[1] (id 'a'): id 'a' is already used by rules[0]; rule ids must be unique"]


def test_validation_of_wrong_types():
    assert validate_rules('nope') == ['rules must be a list']
    assert validate_rules(['nope']) == ['rules[0] must be a dictionary']
    errors = validate_rules([{'id': 'a', 'status': 'on', 'transitions': [{'days': True, 'storage_class': 'GLACIER'}]}])
    assert "rules[0] (id 'a'): status must be one of enabled, disabled, got 'on'" in errors
    assert "rules[0] (id 'a'): transitions[0].days must be an integer, not True" in errors


def test_every_storage_class_is_accepted_first():
    for storage_class in STORAGE_CLASSES:
        assert validate_rules([option_rule(transitions=transitions((30, storage_class)))]) == []


# -------------------------------------------------------------------------- normalisation

def test_normalize_option_rule_drops_unset_and_sorts():
    rule = option_rule(
        id='x', status='disabled',
        filter=option_filter(prefix='p/', tags={'b': 2, 'a': '1'}),
        transitions=transitions((90, 'glacier'), (30, 'STANDARD_IA')),
        expiration={'days': 400, 'expired_object_delete_marker': False},
        noncurrent_version_expiration={'noncurrent_days': 5, 'newer_noncurrent_versions': None},
    )
    assert normalize_rule(rule) == {
        'id': 'x',
        'status': 'disabled',
        'filter': {'prefix': 'p/', 'tags': {'a': '1', 'b': '2'}},
        'transitions': [{'days': 30, 'storage_class': 'STANDARD_IA'}, {'days': 90, 'storage_class': 'GLACIER'}],
        'expiration': {'days': 400},
        'noncurrent_version_expiration': {'noncurrent_days': 5},
    }


def test_normalize_minimal_rule():
    assert normalize_rule({'id': 'm', 'abort_incomplete_multipart_upload_days': 3}) == {
        'id': 'm', 'status': 'enabled', 'filter': {}, 'abort_incomplete_multipart_upload_days': 3}
    # An empty prefix is the whole bucket.
    assert normalize_rule(option_rule(filter=option_filter(prefix=''), abort_incomplete_multipart_upload_days=3))[
        'filter'] == {}


@pytest.mark.parametrize('api_rule', [
    {'ID': 'a', 'Status': 'Enabled', 'Filter': {'Prefix': 'logs/'}},
    {'ID': 'a', 'Status': 'Enabled', 'Filter': {'And': {'Prefix': 'logs/'}}},
    {'ID': 'a', 'Status': 'Enabled', 'Prefix': 'logs/'},
    {'ID': 'a', 'Status': 'Enabled', 'Filter': {'And': {'Prefix': 'logs/', 'Tags': []}}},
])
def test_equivalent_prefix_filters(api_rule):
    assert normalize_api_rule(api_rule)['filter'] == {'prefix': 'logs/'}


@pytest.mark.parametrize('api_rule', [
    {'ID': 'a', 'Status': 'Enabled', 'Filter': {}},
    {'ID': 'a', 'Status': 'Enabled', 'Filter': {'Prefix': ''}},
    {'ID': 'a', 'Status': 'Enabled', 'Prefix': ''},
    {'ID': 'a', 'Status': 'Enabled'},
])
def test_equivalent_empty_filters(api_rule):
    assert normalize_api_rule(api_rule)['filter'] == {}


def test_tag_order_and_single_tag():
    one = normalize_api_rule({'ID': 'a', 'Status': 'Enabled', 'Filter': {'And': {
        'Prefix': 'p', 'Tags': [{'Key': 'b', 'Value': '2'}, {'Key': 'a', 'Value': '1'}]}}})
    two = normalize_api_rule({'ID': 'a', 'Status': 'Enabled', 'Filter': {'And': {
        'Prefix': 'p', 'Tags': [{'Key': 'a', 'Value': '1'}, {'Key': 'b', 'Value': '2'}]}}})
    assert one == two
    assert normalize_api_rule({'ID': 'a', 'Status': 'Enabled', 'Filter': {'Tag': {'Key': 'k', 'Value': 'v'}}})[
        'filter'] == {'tags': {'k': 'v'}}


def test_normalize_full_api_rule():
    api_rule = {
        'ID': 'full',
        'Status': 'Disabled',
        'Filter': {'And': {'Prefix': 'p/', 'Tags': [{'Key': 'k', 'Value': 'v'}],
                           'ObjectSizeGreaterThan': 10, 'ObjectSizeLessThan': 20}},
        'Transitions': [{'Days': 120, 'StorageClass': 'DEEP_ARCHIVE'}, {'Days': 30, 'StorageClass': 'STANDARD_IA'}],
        'Expiration': {'Days': 365, 'ExpiredObjectDeleteMarker': False},
        'NoncurrentVersionTransitions': [{'NoncurrentDays': 10, 'StorageClass': 'GLACIER',
                                          'NewerNoncurrentVersions': 2}],
        'NoncurrentVersionExpiration': {'NoncurrentDays': 40, 'NewerNoncurrentVersions': 3},
        'AbortIncompleteMultipartUpload': {'DaysAfterInitiation': 7},
    }
    assert normalize_api_rule(api_rule) == {
        'id': 'full',
        'status': 'disabled',
        'filter': {'prefix': 'p/', 'tags': {'k': 'v'}, 'object_size_greater_than': 10, 'object_size_less_than': 20},
        'transitions': [{'days': 30, 'storage_class': 'STANDARD_IA'}, {'days': 120, 'storage_class': 'DEEP_ARCHIVE'}],
        'expiration': {'days': 365},
        'noncurrent_version_transitions': [{'noncurrent_days': 10, 'storage_class': 'GLACIER',
                                            'newer_noncurrent_versions': 2}],
        'noncurrent_version_expiration': {'noncurrent_days': 40, 'newer_noncurrent_versions': 3},
        'abort_incomplete_multipart_upload_days': 7,
    }


def test_dates_are_kept_as_iso_text():
    when = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
    rule = normalize_api_rule({'ID': 'd', 'Status': 'Enabled', 'Filter': {},
                               'Transitions': [{'Date': when, 'StorageClass': 'GLACIER'}],
                               'Expiration': {'Date': when}})
    assert rule['transitions'] == [{'date': '2030-01-01T00:00:00+00:00', 'storage_class': 'GLACIER'}]
    assert rule['expiration'] == {'date': '2030-01-01T00:00:00+00:00'}
    assert rule_to_api(rule)['Expiration'] == {'Date': '2030-01-01T00:00:00+00:00'}


# ------------------------------------------------------------------------- API form

def test_filter_to_api_forms():
    assert filter_to_api({}) == {}
    assert filter_to_api({'prefix': 'p'}) == {'Prefix': 'p'}
    assert filter_to_api({'tags': {'k': 'v'}}) == {'Tag': {'Key': 'k', 'Value': 'v'}}
    assert filter_to_api({'object_size_greater_than': 5}) == {'ObjectSizeGreaterThan': 5}
    assert filter_to_api({'object_size_less_than': 5}) == {'ObjectSizeLessThan': 5}
    assert filter_to_api({'tags': {'b': '2', 'a': '1'}}) == {
        'And': {'Tags': [{'Key': 'a', 'Value': '1'}, {'Key': 'b', 'Value': '2'}]}}
    assert filter_to_api({'prefix': 'p', 'tags': {'k': 'v'}, 'object_size_greater_than': 1,
                          'object_size_less_than': 9}) == {
        'And': {'Prefix': 'p', 'Tags': [{'Key': 'k', 'Value': 'v'}], 'ObjectSizeGreaterThan': 1,
                'ObjectSizeLessThan': 9}}


def test_rule_to_api():
    rule = normalize_rule(option_rule(
        id='x', filter=option_filter(prefix='p/'),
        transitions=transitions((1, 'GLACIER'), (100, 'DEEP_ARCHIVE')),
        expiration={'days': None, 'expired_object_delete_marker': True},
        noncurrent_version_transitions=[{'noncurrent_days': 3, 'storage_class': 'GLACIER_IR',
                                         'newer_noncurrent_versions': None}],
        noncurrent_version_expiration={'noncurrent_days': 9, 'newer_noncurrent_versions': 1},
        abort_incomplete_multipart_upload_days=2))
    assert rule_to_api(rule) == {
        'ID': 'x',
        'Status': 'Enabled',
        'Filter': {'Prefix': 'p/'},
        'Transitions': [{'Days': 1, 'StorageClass': 'GLACIER'}, {'Days': 100, 'StorageClass': 'DEEP_ARCHIVE'}],
        'Expiration': {'ExpiredObjectDeleteMarker': True},
        'NoncurrentVersionTransitions': [{'NoncurrentDays': 3, 'StorageClass': 'GLACIER_IR'}],
        'NoncurrentVersionExpiration': {'NoncurrentDays': 9, 'NewerNoncurrentVersions': 1},
        'AbortIncompleteMultipartUpload': {'DaysAfterInitiation': 2},
    }
    assert rule_to_api({'id': 'y', 'status': 'disabled', 'filter': {}, 'expiration': {'days': 1}}) == {
        'ID': 'y', 'Status': 'Disabled', 'Filter': {}, 'Expiration': {'Days': 1}}


@pytest.mark.parametrize('rule', [
    option_rule(id='a', filter=option_filter(prefix='p', tags={'z': '1', 'y': '2'}),
                transitions=transitions((30, 'STANDARD_IA'), (60, 'GLACIER')), expiration={'days': 90}),
    option_rule(id='b', filter=option_filter(object_size_less_than=10), abort_incomplete_multipart_upload_days=1),
    option_rule(id='c', status='disabled', expiration={'expired_object_delete_marker': True},
                noncurrent_version_transitions=[{'noncurrent_days': 1, 'storage_class': 'DEEP_ARCHIVE',
                                                 'newer_noncurrent_versions': 4}],
                noncurrent_version_expiration={'noncurrent_days': 200, 'newer_noncurrent_versions': 4}),
])
def test_round_trip(rule):
    canonical = normalize_rule(rule)
    assert normalize_api_rule(rule_to_api(canonical)) == canonical


# ------------------------------------------------------------------ planning, comparison

CURRENT = [
    {'ID': 'b', 'Status': 'Enabled', 'Filter': {'And': {'Prefix': 'b/'}}, 'Expiration': {'Days': 5}},
    {'ID': 'a', 'Status': 'Enabled', 'Filter': {}, 'Expiration': {'Date': datetime.datetime(2030, 1, 1)}},
]


def test_plan_with_purge_is_exactly_desired():
    desired = normalize_rules([option_rule(id='c', abort_incomplete_multipart_upload_days=1)])
    api_rules, planned = plan_rules(CURRENT, desired, purge_rules=True)
    assert planned == desired
    assert api_rules == [rule_to_api(desired[0])]


def test_plan_without_purge_keeps_others_verbatim():
    desired = normalize_rules([option_rule(id='c', abort_incomplete_multipart_upload_days=1),
                               option_rule(id='b', expiration={'days': 6})])
    api_rules, planned = plan_rules(CURRENT, desired, purge_rules=False)
    assert [rule['id'] for rule in planned] == ['b', 'a', 'c']
    assert api_rules[0] == rule_to_api(desired[1])
    assert api_rules[1] is CURRENT[1]  # untouched, Date and all
    assert api_rules[2] == rule_to_api(desired[0])
    assert planned[1] == normalize_api_rule(CURRENT[1])


def test_plan_without_purge_and_nothing_new_matches_current():
    desired = normalize_rules([option_rule(id='b', filter=option_filter(prefix='b/'), expiration={'days': 5})])
    _api_rules, planned = plan_rules(CURRENT, desired, purge_rules=False)
    assert configurations_match(configuration(planned), configuration(normalize_api_rules(CURRENT)))


def test_remove_rules():
    api_rules, planned = remove_rules(CURRENT, ['b', 'nope'])
    assert api_rules == [CURRENT[1]]
    assert [rule['id'] for rule in planned] == ['a']
    assert remove_rules(None, ['a']) == ([], [])


def test_configuration_and_match():
    one = normalize_rules([option_rule(id='b', expiration={'days': 1}), option_rule(id='a', expiration={'days': 2})])
    config = configuration(one, 'all_storage_classes_128K')
    assert [rule['id'] for rule in config['rules']] == ['a', 'b']
    assert configurations_match(config, configuration(list(reversed(one))))
    assert configurations_match(config, configuration(one, 'all_storage_classes_128K'))
    assert not configurations_match(config, configuration(one, 'varies_by_storage_class'))
    assert not configurations_match(config, configuration(one[:1], 'all_storage_classes_128K'))
    assert configuration(None) is None
    assert configurations_match(None, None)
    assert configurations_match(None, {'rules': []})
    assert not configurations_match(None, config)
    changed = normalize_rules([option_rule(id='b', expiration={'days': 3}), option_rule(id='a', expiration={'days': 2})])
    assert not configurations_match(config, configuration(changed))


def test_status_and_filter_changes_are_differences():
    base = option_rule(id='a', filter=option_filter(prefix='p/'), expiration={'days': 2})
    config = configuration(normalize_rules([base]))
    for variant in (dict(base, status='disabled'), dict(base, filter=option_filter(prefix='q/')),
                    dict(base, filter=option_filter(prefix='p/', tags={'k': 'v'}))):
        assert not configurations_match(config, configuration(normalize_rules([variant])))


def test_differences():
    one = normalize_rules([option_rule(id='a', expiration={'days': 1}), option_rule(id='b', expiration={'days': 2})])
    two = normalize_rules([option_rule(id='b', expiration={'days': 3}), option_rule(id='c', expiration={'days': 2}),
                           option_rule(id='a', expiration={'days': 1})])
    assert differences(configuration(one), configuration(two)) == ['b', 'c']
    assert differences(configuration(one, 'varies_by_storage_class'), configuration(one, 'all_storage_classes_128K')) == [
        'transition_default_minimum_object_size']
    assert differences(configuration(one, 'varies_by_storage_class'), configuration(one)) == []
    assert differences(None, configuration(one)) == ['a', 'b']


def test_for_diff_and_sort():
    assert for_diff(None) == {'rules': []}
    assert sort_rules([{'id': 'b'}, {'id': 'a'}]) == [{'id': 'a'}, {'id': 'b'}]


# ----------------------------------------------------------------------------- settling

class Reads:
    def __init__(self, *results):
        self.results = list(results)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.results.pop(0) if len(self.results) > 1 else self.results[0]


OLD = configuration(normalize_rules([option_rule(id='a', expiration={'days': 1})]))
NEW = configuration(normalize_rules([option_rule(id='a', expiration={'days': 2})]))
ODD = configuration(normalize_rules([option_rule(id='a', expiration={'days': 3})]))


def test_wait_matches_after_lag():
    sleeps = []
    read = Reads(OLD, OLD, NEW)
    assert wait_for_configuration(read, NEW, OLD, tries=10, delay=1.0, sleep=sleeps.append) == (MATCHED, NEW)
    assert read.calls == 3
    assert sleeps == [1.0, 1.0]


def test_wait_is_bounded():
    sleeps = []
    read = Reads(OLD)
    assert wait_for_configuration(read, NEW, OLD, tries=4, delay=0.5, sleep=sleeps.append) == (STALE, OLD)
    assert read.calls == 4
    assert sleeps == [0.5, 0.5, 0.5]


def test_wait_stops_when_the_endpoint_stored_something_else():
    read = Reads(ODD)
    assert wait_for_configuration(read, NEW, OLD, tries=10, sleep=lambda _: None) == (DIFFERENT, ODD)
    assert read.calls == 1


def test_wait_for_delete_and_create():
    assert wait_for_configuration(Reads(OLD, None), None, OLD, sleep=lambda _: None) == (MATCHED, None)
    assert wait_for_configuration(Reads(None, NEW), NEW, None, sleep=lambda _: None) == (MATCHED, NEW)


def test_plan_without_purge_drops_unwanted_rules_with_an_owned_prefix():
    current = CURRENT + [{'ID': 'offsite-backup/x', 'Status': 'Enabled', 'Filter': {}, 'Expiration': {'Days': 1}},
                         {'ID': 'offsite-backup/keep', 'Status': 'Enabled', 'Filter': {}, 'Expiration': {'Days': 1}}]
    desired = normalize_rules([option_rule(id='offsite-backup/keep', expiration={'days': 2})])
    api_rules, planned = plan_rules(current, desired, purge_rules=False, purge_prefixes=['offsite-backup/'])
    assert [rule['id'] for rule in planned] == ['b', 'a', 'offsite-backup/keep']
    assert api_rules[:2] == CURRENT
    # Without prefixes nothing is dropped.
    _api, planned = plan_rules(current, desired, purge_rules=False)
    assert [rule['id'] for rule in planned] == ['b', 'a', 'offsite-backup/x', 'offsite-backup/keep']
