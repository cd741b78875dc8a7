# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""S3 lifecycle rules: validation, normalisation and comparison.

Pure Python, shared by the ``offsite.backup.s3_lifecycle`` module and its tests. Nothing
here talks to S3 or imports boto3.

Two shapes of a rule meet here:

* the *API form*, as ``GetBucketLifecycleConfiguration`` returns a rule and
  ``PutBucketLifecycleConfiguration`` takes one (``ID``, ``Status``, ``Filter``, ...);
* the *canonical form*, snake_cased like the module's options, which is what the module
  compares, shows in a diff and returns::

      {'id': 'volumes',
       'status': 'enabled',                      # or 'disabled'
       'filter': {'prefix': 'vol/',              # each key only when set; {} = whole bucket
                  'tags': {'KEY': 'VALUE'},
                  'object_size_greater_than': 0,
                  'object_size_less_than': 0},
       # the keys below only when set
       'transitions': [{'days': 30, 'storage_class': 'STANDARD_IA'}],   # sorted by days
       'expiration': {'days': 365},              # or {'expired_object_delete_marker': True}
       'noncurrent_version_transitions': [{'noncurrent_days': 30, 'storage_class': 'GLACIER',
                                           'newer_noncurrent_versions': 2}],
       'noncurrent_version_expiration': {'noncurrent_days': 90, 'newer_noncurrent_versions': 2},
       'abort_incomplete_multipart_upload_days': 7}

Both the module's options and the API form normalise to the canonical form, so a filter
written as an ``And`` of one condition, a plain ``Prefix``, the legacy rule-level
``Prefix`` or an empty prefix all compare equal when they mean the same objects, and tag
order never matters. Rules written with dates (``Date`` in a transition or expiration,
which the module's options do not offer) keep them as ``date`` (ISO 8601 text).
"""

from __future__ import annotations

# Storage classes in the order of AWS's transition waterfall: a rule's transitions must
# move objects down this list as days increase.
STORAGE_CLASSES = (
    'STANDARD_IA',
    'INTELLIGENT_TIERING',
    'ONEZONE_IA',
    'GLACIER_IR',
    'GLACIER',
    'DEEP_ARCHIVE',
)
_WATERFALL_RANK = dict((name, rank) for rank, name in enumerate(STORAGE_CLASSES))
# Further down the waterfall, yet not supported by S3.
UNSUPPORTED_TRANSITIONS = frozenset([('ONEZONE_IA', 'GLACIER_IR')])
# Objects must be this many days old (or noncurrent) before they move to these classes,
# and must stay in them this many days before they move on.
INFREQUENT_ACCESS_CLASSES = ('STANDARD_IA', 'ONEZONE_IA')
INFREQUENT_ACCESS_MINIMUM_DAYS = 30

TRANSITION_DEFAULT_MINIMUM_OBJECT_SIZES = ('all_storage_classes_128K', 'varies_by_storage_class')
STATUSES = ('enabled', 'disabled')
RULE_ID_MAX_LENGTH = 255
NEWER_NONCURRENT_VERSIONS_MAX = 100

ACTIONS = (
    'transitions',
    'expiration',
    'noncurrent_version_transitions',
    'noncurrent_version_expiration',
    'abort_incomplete_multipart_upload_days',
)


# --------------------------------------------------------------------------------------
# Validation of the module's rules (before any request)
# --------------------------------------------------------------------------------------

def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def rule_label(index, rule):
    """How messages name a rule: ``rules[2] (id 'volumes')``."""
    rule_id = rule.get('id') if isinstance(rule, dict) else None
    if isinstance(rule_id, str) and rule_id.strip():
        return "rules[%d] (id '%s')" % (index, rule_id)
    return 'rules[%d]' % index


def _check_count(errors, label, field, value, minimum, maximum=None):
    """Append an error unless value is None or an int in [minimum, maximum]."""
    if value is None:
        return True
    if not _is_int(value):
        errors.append('%s: %s must be an integer, not %r' % (label, field, value))
        return False
    if value < minimum:
        if minimum == 0:
            errors.append('%s: %s must not be negative, got %d' % (label, field, value))
        else:
            errors.append('%s: %s must be at least %d, got %d' % (label, field, minimum, value))
        return False
    if maximum is not None and value > maximum:
        errors.append('%s: %s must be at most %d, got %d' % (label, field, maximum, value))
        return False
    return True


def _check_transitions(errors, label, field, transitions, days_key):
    """Storage classes, minimum days and AWS's ordering rules for one list of transitions.

    Returns the days of the last well-formed transition, or None.
    """
    previous = None  # (index, days, storage_class) of the last well-formed transition
    for position, transition in enumerate(transitions):
        where = '%s[%d]' % (field, position)
        if not isinstance(transition, dict):
            errors.append('%s: %s must be a dictionary' % (label, where))
            continue
        days = transition.get(days_key)
        storage_class = transition.get('storage_class')
        ok = True
        if days is None:
            errors.append('%s: %s.%s is required' % (label, where, days_key))
            ok = False
        elif not _check_count(errors, label, '%s.%s' % (where, days_key), days, 0):
            ok = False
        if not isinstance(storage_class, str) or storage_class.upper() not in _WATERFALL_RANK:
            errors.append("%s: %s.storage_class %r is not a storage class lifecycle rules can move "
                          "objects to; use one of %s"
                          % (label, where, storage_class, ', '.join(STORAGE_CLASSES)))
            ok = False
        else:
            storage_class = storage_class.upper()
        if 'newer_noncurrent_versions' in transition:
            _check_count(errors, label, '%s.newer_noncurrent_versions' % where,
                         transition.get('newer_noncurrent_versions'), 1, NEWER_NONCURRENT_VERSIONS_MAX)
        if not ok:
            continue
        if storage_class in INFREQUENT_ACCESS_CLASSES and days < INFREQUENT_ACCESS_MINIMUM_DAYS:
            errors.append('%s: %s.%s must be at least %d for %s, got %d'
                          % (label, where, days_key, INFREQUENT_ACCESS_MINIMUM_DAYS, storage_class, days))
        if previous is not None:
            prev_position, prev_days, prev_class = previous
            prev_where = '%s[%d]' % (field, prev_position)
            if days <= prev_days:
                errors.append('%s: %s.%s must be greater than %d, the %s of %s: transitions must be '
                              'listed in strictly increasing order of %s'
                              % (label, where, days_key, prev_days, days_key, prev_where, days_key))
            elif prev_class in INFREQUENT_ACCESS_CLASSES and days < prev_days + INFREQUENT_ACCESS_MINIMUM_DAYS:
                errors.append('%s: %s.%s must be at least %d: objects must stay %d days in %s (%s) '
                              'before they move on'
                              % (label, where, days_key, prev_days + INFREQUENT_ACCESS_MINIMUM_DAYS,
                                 INFREQUENT_ACCESS_MINIMUM_DAYS, prev_class, prev_where))
            if _WATERFALL_RANK[storage_class] <= _WATERFALL_RANK[prev_class]:
                errors.append('%s: %s.storage_class %s cannot follow %s (%s): each transition must go to '
                              'a colder class, in the order %s'
                              % (label, where, storage_class, prev_class, prev_where, ' < '.join(STORAGE_CLASSES)))
            elif (prev_class, storage_class) in UNSUPPORTED_TRANSITIONS:
                errors.append('%s: %s.storage_class: S3 does not support a transition from %s (%s) to %s'
                              % (label, where, prev_class, prev_where, storage_class))
        previous = (position, days, storage_class)
    return previous[1] if previous else None


def _check_filter(errors, label, rule_filter):
    """Returns whether the filter has tags (some actions do not allow them)."""
    if rule_filter is None:
        return False
    if not isinstance(rule_filter, dict):
        errors.append('%s: filter must be a dictionary' % label)
        return False
    prefix = rule_filter.get('prefix')
    if prefix is not None and not isinstance(prefix, str):
        errors.append('%s: filter.prefix must be a string' % label)
    tags = rule_filter.get('tags')
    if tags is not None and not isinstance(tags, dict):
        errors.append('%s: filter.tags must be a dictionary of KEY: VALUE' % label)
        tags = None
    for key in tags or {}:
        if not isinstance(key, str) or not key:
            errors.append('%s: filter.tags has an empty key' % label)
    greater = rule_filter.get('object_size_greater_than')
    less = rule_filter.get('object_size_less_than')
    ok_greater = _check_count(errors, label, 'filter.object_size_greater_than', greater, 0)
    ok_less = _check_count(errors, label, 'filter.object_size_less_than', less, 1)
    if ok_greater and ok_less and greater is not None and less is not None and greater >= less:
        errors.append('%s: filter.object_size_greater_than (%d) must be less than '
                      'filter.object_size_less_than (%d)' % (label, greater, less))
    return bool(tags)


def _check_expiration(errors, label, expiration, last_transition, has_tags):
    days = expiration.get('days')
    marker = expiration.get('expired_object_delete_marker')
    if days is None and not marker:
        errors.append('%s: expiration needs days or expired_object_delete_marker: true' % label)
    if days is not None and marker:
        errors.append('%s: expiration.days and expiration.expired_object_delete_marker cannot '
                      'be used together' % label)
    if _check_count(errors, label, 'expiration.days', days, 1) and days is not None:
        if last_transition is not None and days <= last_transition:
            errors.append('%s: expiration.days (%s) must be greater than the days of the last '
                          'transition (%s)' % (label, days, last_transition))
    if marker and has_tags:
        errors.append('%s: expiration.expired_object_delete_marker cannot be used with a '
                      'filter on tags' % label)


def _check_noncurrent_expiration(errors, label, expiration, last_noncurrent):
    days = expiration.get('noncurrent_days')
    if days is None:
        errors.append('%s: noncurrent_version_expiration.noncurrent_days is required' % label)
    elif _check_count(errors, label, 'noncurrent_version_expiration.noncurrent_days', days, 1):
        if last_noncurrent is not None and days <= last_noncurrent:
            errors.append('%s: noncurrent_version_expiration.noncurrent_days (%s) must be greater '
                          'than the noncurrent_days of the last noncurrent version transition (%s)'
                          % (label, days, last_noncurrent))
    _check_count(errors, label, 'noncurrent_version_expiration.newer_noncurrent_versions',
                 expiration.get('newer_noncurrent_versions'), 1, NEWER_NONCURRENT_VERSIONS_MAX)


def _check_rule(errors, label, rule):
    status = rule.get('status')
    if status is not None and (not isinstance(status, str) or status.lower() not in STATUSES):
        errors.append('%s: status must be one of %s, got %r' % (label, ', '.join(STATUSES), status))
    has_tags = _check_filter(errors, label, rule.get('filter'))

    last_transition = None
    transitions = rule.get('transitions')
    if transitions is not None:
        if isinstance(transitions, list):
            last_transition = _check_transitions(errors, label, 'transitions', transitions, 'days')
        else:
            errors.append('%s: transitions must be a list' % label)

    expiration = rule.get('expiration')
    if expiration is not None:
        if isinstance(expiration, dict):
            _check_expiration(errors, label, expiration, last_transition, has_tags)
        else:
            errors.append('%s: expiration must be a dictionary' % label)

    last_noncurrent = None
    noncurrent_transitions = rule.get('noncurrent_version_transitions')
    if noncurrent_transitions is not None:
        if isinstance(noncurrent_transitions, list):
            last_noncurrent = _check_transitions(errors, label, 'noncurrent_version_transitions',
                                                 noncurrent_transitions, 'noncurrent_days')
        else:
            errors.append('%s: noncurrent_version_transitions must be a list' % label)

    noncurrent_expiration = rule.get('noncurrent_version_expiration')
    if noncurrent_expiration is not None:
        if isinstance(noncurrent_expiration, dict):
            _check_noncurrent_expiration(errors, label, noncurrent_expiration, last_noncurrent)
        else:
            errors.append('%s: noncurrent_version_expiration must be a dictionary' % label)

    abort_days = rule.get('abort_incomplete_multipart_upload_days')
    _check_count(errors, label, 'abort_incomplete_multipart_upload_days', abort_days, 1)
    if abort_days is not None and has_tags:
        errors.append('%s: abort_incomplete_multipart_upload_days cannot be used with a filter on tags' % label)

    if not any(rule.get(action) not in (None, [], {}) for action in ACTIONS):
        errors.append('%s: the rule has no action; set at least one of %s' % (label, ', '.join(ACTIONS)))


def validate_rules(rules, ids_only=False):
    """Check rules as the module receives them; return a list of messages (empty: valid).

    Every message starts with the rule it is about (``rules[N] (id 'ID')``) and names the
    field. With ids_only, only the ids are checked (state=absent needs nothing else).
    """
    errors = []
    if rules is None:
        return errors
    if not isinstance(rules, list):
        return ['rules must be a list']
    seen = {}
    for index, rule in enumerate(rules):
        label = rule_label(index, rule)
        if not isinstance(rule, dict):
            errors.append('%s must be a dictionary' % label)
            continue
        rule_id = rule.get('id')
        if not isinstance(rule_id, str) or not rule_id.strip():
            errors.append('%s: id must not be empty' % label)
        else:
            if len(rule_id) > RULE_ID_MAX_LENGTH:
                errors.append('%s: id must be at most %d characters long' % (label, RULE_ID_MAX_LENGTH))
            if rule_id in seen:
                errors.append("%s: id '%s' is already used by rules[%d]; rule ids must be unique"
                              % (label, rule_id, seen[rule_id]))
            else:
                seen[rule_id] = index
        if not ids_only:
            _check_rule(errors, label, rule)
    return errors


# --------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------

def _canonical_filter(prefix=None, tags=None, greater=None, less=None):
    result = {}
    if prefix:
        result['prefix'] = prefix
    if tags:
        result['tags'] = dict((str(key), '' if value is None else str(value)) for key, value in tags.items())
    if greater is not None:
        result['object_size_greater_than'] = greater
    if less is not None:
        result['object_size_less_than'] = less
    return result


def _sort_transitions(transitions, days_key):
    def key(transition):
        days = transition.get(days_key)
        return (days is None, days if days is not None else 0, transition.get('date') or '',
                transition.get('storage_class') or '')
    return sorted(transitions, key=key)


def _iso(value):
    return value.isoformat() if hasattr(value, 'isoformat') else str(value)


def _drop_none(values):
    return dict((key, value) for key, value in values.items() if value is not None)


def normalize_rule(rule):
    """A rule as the module's options give it (validated) -> canonical form."""
    result = {
        'id': rule['id'],
        'status': (rule.get('status') or 'enabled').lower(),
    }
    rule_filter = rule.get('filter') or {}
    result['filter'] = _canonical_filter(
        rule_filter.get('prefix'), rule_filter.get('tags'),
        rule_filter.get('object_size_greater_than'), rule_filter.get('object_size_less_than'))

    transitions = [{'days': t['days'], 'storage_class': t['storage_class'].upper()}
                   for t in rule.get('transitions') or []]
    if transitions:
        result['transitions'] = _sort_transitions(transitions, 'days')

    expiration = rule.get('expiration') or {}
    canonical_expiration = {}
    if expiration.get('days') is not None:
        canonical_expiration['days'] = expiration['days']
    if expiration.get('expired_object_delete_marker'):
        canonical_expiration['expired_object_delete_marker'] = True
    if canonical_expiration:
        result['expiration'] = canonical_expiration

    noncurrent_transitions = []
    for transition in rule.get('noncurrent_version_transitions') or []:
        noncurrent_transitions.append(_drop_none({
            'noncurrent_days': transition['noncurrent_days'],
            'storage_class': transition['storage_class'].upper(),
            'newer_noncurrent_versions': transition.get('newer_noncurrent_versions'),
        }))
    if noncurrent_transitions:
        result['noncurrent_version_transitions'] = _sort_transitions(noncurrent_transitions, 'noncurrent_days')

    noncurrent_expiration = _drop_none(rule.get('noncurrent_version_expiration') or {})
    if noncurrent_expiration:
        result['noncurrent_version_expiration'] = noncurrent_expiration

    if rule.get('abort_incomplete_multipart_upload_days') is not None:
        result['abort_incomplete_multipart_upload_days'] = rule['abort_incomplete_multipart_upload_days']
    return result


def normalize_rules(rules):
    return [normalize_rule(rule) for rule in rules or []]


def _api_filter_to_canonical(api_rule):
    api_filter = api_rule.get('Filter')
    if api_filter is None:
        # The legacy form: a Prefix on the rule itself.
        return _canonical_filter(prefix=api_rule.get('Prefix'))
    conditions = dict(api_filter)
    conditions.update(api_filter.get('And') or {})
    tags = {}
    for tag in conditions.get('Tags') or []:
        tags[tag['Key']] = tag.get('Value', '')
    if conditions.get('Tag'):
        tags[conditions['Tag']['Key']] = conditions['Tag'].get('Value', '')
    return _canonical_filter(conditions.get('Prefix'), tags,
                             conditions.get('ObjectSizeGreaterThan'), conditions.get('ObjectSizeLessThan'))


def _api_transition_to_canonical(transition, days_key, api_days_key):
    result = {}
    if transition.get(api_days_key) is not None:
        result[days_key] = transition[api_days_key]
    if transition.get('Date') is not None:
        result['date'] = _iso(transition['Date'])
    if transition.get('StorageClass') is not None:
        result['storage_class'] = transition['StorageClass']
    if transition.get('NewerNoncurrentVersions') is not None:
        result['newer_noncurrent_versions'] = transition['NewerNoncurrentVersions']
    return result


def normalize_api_rule(api_rule):
    """A rule as GetBucketLifecycleConfiguration returns it -> canonical form."""
    result = {
        'id': api_rule.get('ID', ''),
        'status': (api_rule.get('Status') or 'Enabled').lower(),
        'filter': _api_filter_to_canonical(api_rule),
    }
    transitions = [_api_transition_to_canonical(t, 'days', 'Days') for t in api_rule.get('Transitions') or []]
    if transitions:
        result['transitions'] = _sort_transitions(transitions, 'days')

    expiration = api_rule.get('Expiration') or {}
    canonical_expiration = {}
    if expiration.get('Days') is not None:
        canonical_expiration['days'] = expiration['Days']
    if expiration.get('Date') is not None:
        canonical_expiration['date'] = _iso(expiration['Date'])
    if expiration.get('ExpiredObjectDeleteMarker'):
        canonical_expiration['expired_object_delete_marker'] = True
    if canonical_expiration:
        result['expiration'] = canonical_expiration

    noncurrent_transitions = [_api_transition_to_canonical(t, 'noncurrent_days', 'NoncurrentDays')
                              for t in api_rule.get('NoncurrentVersionTransitions') or []]
    if noncurrent_transitions:
        result['noncurrent_version_transitions'] = _sort_transitions(noncurrent_transitions, 'noncurrent_days')

    noncurrent_expiration = api_rule.get('NoncurrentVersionExpiration') or {}
    canonical_noncurrent_expiration = _drop_none({
        'noncurrent_days': noncurrent_expiration.get('NoncurrentDays'),
        'newer_noncurrent_versions': noncurrent_expiration.get('NewerNoncurrentVersions'),
    })
    if canonical_noncurrent_expiration:
        result['noncurrent_version_expiration'] = canonical_noncurrent_expiration

    abort = api_rule.get('AbortIncompleteMultipartUpload') or {}
    if abort.get('DaysAfterInitiation') is not None:
        result['abort_incomplete_multipart_upload_days'] = abort['DaysAfterInitiation']
    return result


def normalize_api_rules(api_rules):
    return [normalize_api_rule(rule) for rule in api_rules or []]


def sort_rules(rules):
    """Rules in the canonical order (by id): S3 gives the order of rules no meaning."""
    return sorted(rules, key=lambda rule: rule.get('id') or '')


# --------------------------------------------------------------------------------------
# Canonical form -> API form
# --------------------------------------------------------------------------------------

def filter_to_api(canonical_filter):
    """One condition stays plain (Prefix, Tag, ObjectSize*), several become an And, none is {}."""
    conditions = []
    if canonical_filter.get('prefix'):
        conditions.append(('Prefix', canonical_filter['prefix']))
    tags = [{'Key': key, 'Value': value} for key, value in sorted((canonical_filter.get('tags') or {}).items())]
    for tag in tags:
        conditions.append(('Tag', tag))
    for key, api_key in (('object_size_greater_than', 'ObjectSizeGreaterThan'),
                         ('object_size_less_than', 'ObjectSizeLessThan')):
        if canonical_filter.get(key) is not None:
            conditions.append((api_key, canonical_filter[key]))
    if not conditions:
        return {}
    if len(conditions) == 1:
        return dict(conditions)
    conjunction = dict((key, value) for key, value in conditions if key != 'Tag')
    if tags:
        conjunction['Tags'] = tags
    return {'And': conjunction}


def _transition_to_api(transition, days_key, api_days_key):
    result = {}
    if transition.get(days_key) is not None:
        result[api_days_key] = transition[days_key]
    if transition.get('date') is not None:
        result['Date'] = transition['date']
    if transition.get('storage_class') is not None:
        result['StorageClass'] = transition['storage_class']
    if transition.get('newer_noncurrent_versions') is not None:
        result['NewerNoncurrentVersions'] = transition['newer_noncurrent_versions']
    return result


def rule_to_api(rule):
    """Canonical form -> the API form PutBucketLifecycleConfiguration takes."""
    result = {
        'ID': rule['id'],
        'Status': 'Enabled' if rule.get('status', 'enabled') == 'enabled' else 'Disabled',
        'Filter': filter_to_api(rule.get('filter') or {}),
    }
    if rule.get('transitions'):
        result['Transitions'] = [_transition_to_api(t, 'days', 'Days') for t in rule['transitions']]
    expiration = rule.get('expiration') or {}
    api_expiration = {}
    if expiration.get('days') is not None:
        api_expiration['Days'] = expiration['days']
    if expiration.get('date') is not None:
        api_expiration['Date'] = expiration['date']
    if expiration.get('expired_object_delete_marker'):
        # Only ever sent as true: S3 rejects Days next to ExpiredObjectDeleteMarker, even false.
        api_expiration['ExpiredObjectDeleteMarker'] = True
    if api_expiration:
        result['Expiration'] = api_expiration
    if rule.get('noncurrent_version_transitions'):
        result['NoncurrentVersionTransitions'] = [
            _transition_to_api(t, 'noncurrent_days', 'NoncurrentDays') for t in rule['noncurrent_version_transitions']]
    noncurrent_expiration = rule.get('noncurrent_version_expiration') or {}
    if noncurrent_expiration:
        result['NoncurrentVersionExpiration'] = _drop_none({
            'NoncurrentDays': noncurrent_expiration.get('noncurrent_days'),
            'NewerNoncurrentVersions': noncurrent_expiration.get('newer_noncurrent_versions'),
        })
    if rule.get('abort_incomplete_multipart_upload_days') is not None:
        result['AbortIncompleteMultipartUpload'] = {
            'DaysAfterInitiation': rule['abort_incomplete_multipart_upload_days']}
    return result


# --------------------------------------------------------------------------------------
# Planning and comparison
# --------------------------------------------------------------------------------------

def plan_rules(current_api_rules, desired_rules, purge_rules, purge_prefixes=()):
    """The rules to PUT, in API form, and the same rules in canonical form.

    current_api_rules: the bucket's rules as S3 returned them (API form).
    desired_rules: canonical rules from the module's options.
    With purge_rules, the result is exactly desired_rules. Without, the current rules are
    kept in their order, a desired rule replaces the current rule with its id, and desired
    rules with new ids are appended; current rules whose id starts with one of
    purge_prefixes and that are not desired are dropped. Rules kept from the bucket are
    sent back exactly as S3 returned them, so fields the module does not model survive.
    """
    desired_by_id = dict((rule['id'], rule) for rule in desired_rules)
    planned = []  # (api, canonical)
    if not purge_rules:
        for api_rule in current_api_rules or []:
            rule_id = api_rule.get('ID', '')
            if rule_id in desired_by_id:
                rule = desired_by_id.pop(rule_id)
                planned.append((rule_to_api(rule), rule))
            elif any(rule_id.startswith(prefix) for prefix in purge_prefixes or ()):
                continue
            else:
                planned.append((api_rule, normalize_api_rule(api_rule)))
    for rule in desired_rules:
        if purge_rules or rule['id'] in desired_by_id:
            planned.append((rule_to_api(rule), rule))
    return [pair[0] for pair in planned], [pair[1] for pair in planned]


def remove_rules(current_api_rules, rule_ids):
    """The rules left, in API form and canonical form, after removing rule_ids."""
    kept = [api_rule for api_rule in current_api_rules or [] if api_rule.get('ID', '') not in set(rule_ids)]
    return kept, normalize_api_rules(kept)


def configuration(rules, transition_default_minimum_object_size=None):
    """A lifecycle configuration in the form the module compares, diffs and returns.

    None stands for "no lifecycle configuration" and is returned when rules is None.
    """
    if rules is None:
        return None
    result = {'rules': sort_rules(rules)}
    if transition_default_minimum_object_size is not None:
        result['transition_default_minimum_object_size'] = transition_default_minimum_object_size
    return result


def configurations_match(observed, expected):
    """Whether an observed configuration is the expected one.

    Configurations from configuration(); None and a configuration without rules both mean
    no lifecycle configuration. transition_default_minimum_object_size is compared only
    when both sides have one (S3 reports it only with a configuration, older endpoints never).
    """
    observed_rules = sort_rules((observed or {}).get('rules') or [])
    expected_rules = sort_rules((expected or {}).get('rules') or [])
    if observed_rules != expected_rules:
        return False
    if not observed_rules:
        return True
    observed_size = (observed or {}).get('transition_default_minimum_object_size')
    expected_size = (expected or {}).get('transition_default_minimum_object_size')
    return observed_size is None or expected_size is None or observed_size == expected_size


def differences(observed, expected):
    """What differs between two configurations: rule ids, and the size setting's name.

    Sorted; used to name what an endpoint did not store as written.
    """
    observed_by_id = dict((rule.get('id'), rule) for rule in (observed or {}).get('rules') or [])
    expected_by_id = dict((rule.get('id'), rule) for rule in (expected or {}).get('rules') or [])
    result = sorted(rule_id for rule_id in set(observed_by_id) | set(expected_by_id)
                    if observed_by_id.get(rule_id) != expected_by_id.get(rule_id))
    observed_size = (observed or {}).get('transition_default_minimum_object_size')
    expected_size = (expected or {}).get('transition_default_minimum_object_size')
    if observed_size is not None and expected_size is not None and observed_size != expected_size:
        result.append('transition_default_minimum_object_size')
    return result


def for_diff(config):
    """The before/after form of a diff: {'rules': [...] (sorted by id), and the size setting if known}."""
    return config if config is not None else {'rules': []}


MATCHED = 'matched'
STALE = 'stale'
DIFFERENT = 'different'


def wait_for_configuration(read, expected, before, tries=10, delay=1.0, sleep=None):
    """Re-read a configuration after a write until it shows the write (bounded).

    read() returns the bucket's configuration (configuration() form, or None).
    S3 may serve the previous configuration for a while after a write; as long as a read
    still shows `before`, wait `delay` seconds and read again, at most `tries` reads in all.
    A read that shows neither `before` nor `expected` means the endpoint stored something
    else than what was sent (e.g. an S3-compatible service without some field): waiting
    would not help.

    Returns (outcome, observed): MATCHED, STALE (still `before` after all tries) or DIFFERENT.
    """
    if sleep is None:
        import time
        sleep = time.sleep
    observed = None
    for attempt in range(max(1, tries)):
        if attempt:
            sleep(delay)
        observed = read()
        if configurations_match(observed, expected):
            return MATCHED, observed
        if not configurations_match(observed, before):
            return DIFFERENT, observed
    return STALE, observed
