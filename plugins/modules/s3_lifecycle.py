#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: s3_lifecycle
version_added: 0.1.0
short_description: Manage the whole lifecycle configuration of an S3 bucket
description:
  - Manages the lifecycle configuration of an S3 bucket declaratively, as a list of rules
    in the terms of the S3 API, snake_cased, with a filter, transitions to other storage classes,
    expiration, noncurrent-version rules and the abort of incomplete multipart uploads.
  - The desired and the current configuration are normalised before they are compared, so
    the module reports a change, and writes, only when the bucket's rules differ in meaning.
    The order of rules, the order of tags, a filter written as an C(And) of one condition or
    as a legacy rule-level C(Prefix), and an empty prefix make no difference.
  - Every rule is checked before any request is made; a bad rule fails the task with a
    message naming the rule and the field, and leaves the bucket untouched.
  - After a write, the module reads the configuration back until S3 shows it, because S3
    may serve the previous configuration for a short while (at most 10 reads, one second
    apart; then it returns with a warning).
  - Works with S3-compatible services through O(endpoint_url).
author:
  - offsite.backup maintainers (!UNKNOWN)
options:
  bucket:
    description:
      - Name of the S3 bucket. The bucket must exist.
    required: true
    type: str
    aliases: ['name']
  state:
    description:
      - V(present) makes the bucket's lifecycle configuration hold O(rules).
      - V(absent) without O(rules) deletes the bucket's whole lifecycle configuration.
        V(absent) with O(rules) removes only the rules with those ids (only O(rules[].id)
        is used); when no rule is left, the configuration is deleted.
    choices: ['present', 'absent']
    default: present
    type: str
  purge_rules:
    description:
      - With V(true), the bucket ends up with exactly the rules in O(rules); rules not
        listed are removed. An empty O(rules) then deletes the lifecycle configuration.
      - With V(false), the rules in O(rules) are added, or replace the bucket's rules with
        the same id, and the bucket's other rules are kept as they are.
      - Ignored with O(state=absent).
    type: bool
    default: true
  purge_rules_prefixes:
    description:
      - With O(purge_rules=false), rules whose id starts with one of these prefixes and that are
        not in O(rules) are removed; the bucket's other rules are kept as they are.
      - Lets a caller own the rules it names (for example every id starting with
        C(offsite-backup/)) and prune the ones it no longer wants, without touching rules
        written by anyone else. An empty O(rules) then removes just those rules.
      - Ignored with O(purge_rules=true) and with O(state=absent).
    type: list
    elements: str
    default: []
    version_added: 0.1.0
  transition_default_minimum_object_size:
    description:
      - The bucket's default minimum object size for transitions, sent as
        C(TransitionDefaultMinimumObjectSize) with the configuration.
      - V(all_storage_classes_128K) keeps objects smaller than 128 KB from moving to any
        storage class; V(varies_by_storage_class) lets small objects move to the Glacier
        classes, which then cost the minimum object size of the class.
      - When not set, the bucket's current setting is kept (a new configuration gets the
        S3 default, V(all_storage_classes_128K)).
      - Compared with the bucket's setting only when S3 reports one.
    choices: ['all_storage_classes_128K', 'varies_by_storage_class']
    type: str
  rules:
    description:
      - The lifecycle rules. Required with O(state=present).
      - Each rule needs at least one action (O(rules[].transitions), O(rules[].expiration),
        O(rules[].noncurrent_version_transitions), O(rules[].noncurrent_version_expiration)
        or O(rules[].abort_incomplete_multipart_upload_days)).
    type: list
    elements: dict
    suboptions:
      id:
        description:
          - Unique identifier of the rule, at most 255 characters. Rules are matched by id.
        required: true
        type: str
      status:
        description:
          - Whether S3 applies the rule.
        choices: ['enabled', 'disabled']
        default: enabled
        type: str
      filter:
        description:
          - Which objects the rule applies to. Without a filter, or with an empty one, the
            rule applies to every object in the bucket.
          - One condition is sent as that condition, several as an C(And) of them.
        type: dict
        suboptions:
          prefix:
            description:
              - Key prefix of the objects. An empty prefix means every object.
            type: str
          tags:
            description:
              - Tags an object must all have, as a dictionary of tag keys and values.
              - Cannot be used with O(rules[].expiration.expired_object_delete_marker) or
                O(rules[].abort_incomplete_multipart_upload_days).
            type: dict
          object_size_greater_than:
            description:
              - Minimum object size in bytes (exclusive).
            type: int
          object_size_less_than:
            description:
              - Maximum object size in bytes (exclusive). Must be greater than
                O(rules[].filter.object_size_greater_than).
            type: int
      transitions:
        description:
          - When objects move to another storage class, in strictly increasing order of
            days.
          - The storage classes must follow S3's waterfall as days increase, in the order
            C(STANDARD_IA) < C(INTELLIGENT_TIERING) < C(ONEZONE_IA) < C(GLACIER_IR) <
            C(GLACIER) < C(DEEP_ARCHIVE); S3 does not support C(ONEZONE_IA) to C(GLACIER_IR).
          - C(STANDARD_IA) and C(ONEZONE_IA) need O(rules[].transitions[].days) of at least
            30, and objects must stay in them 30 days before the next transition.
        type: list
        elements: dict
        suboptions:
          days:
            description:
              - Age of the object in days when it moves. Required, not negative.
            type: int
          storage_class:
            description:
              - The storage class the object moves to. Required. One of C(STANDARD_IA),
                C(INTELLIGENT_TIERING), C(ONEZONE_IA), C(GLACIER_IR), C(GLACIER),
                C(DEEP_ARCHIVE) (case does not matter).
            type: str
      expiration:
        description:
          - When objects expire. Set exactly one of O(rules[].expiration.days) and
            O(rules[].expiration.expired_object_delete_marker=true).
        type: dict
        suboptions:
          days:
            description:
              - Age of the object in days when it expires. At least 1, and greater than the
                days of the rule's last transition.
            type: int
          expired_object_delete_marker:
            description:
              - Whether S3 removes delete markers that have no noncurrent versions left
                (versioned buckets).
            type: bool
      noncurrent_version_transitions:
        description:
          - When noncurrent object versions move to another storage class, in strictly
            increasing order of O(rules[].noncurrent_version_transitions[].noncurrent_days);
            the same storage class rules as O(rules[].transitions) apply.
        type: list
        elements: dict
        suboptions:
          noncurrent_days:
            description:
              - Days since the version became noncurrent. Required, not negative.
            type: int
          storage_class:
            description:
              - The storage class the version moves to. Required; the same choices as
                O(rules[].transitions[].storage_class).
            type: str
          newer_noncurrent_versions:
            description:
              - How many newer noncurrent versions S3 keeps in their storage class (1 to 100).
            type: int
      noncurrent_version_expiration:
        description:
          - When noncurrent object versions are deleted.
        type: dict
        suboptions:
          noncurrent_days:
            description:
              - Days since the version became noncurrent. Required, at least 1, and greater
                than the last noncurrent version transition's.
            type: int
          newer_noncurrent_versions:
            description:
              - How many newer noncurrent versions S3 keeps (1 to 100).
            type: int
      abort_incomplete_multipart_upload_days:
        description:
          - Days after which S3 aborts an incomplete multipart upload and deletes its parts.
            At least 1. Cannot be used with O(rules[].filter.tags).
        type: int
notes:
  - Check mode makes no write request; diff mode shows the configuration before and after,
    normalised, with the rules sorted by id.
  - Some S3-compatible services store less than S3 does (moto's server, for example, drops
    object size filters and C(NewerNoncurrentVersions) of a noncurrent version expiration).
    When a read-back shows such a difference, the module returns what the service reports,
    with a warning, and a re-run reports a change again.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# Note: These examples do not set authentication details, see the AWS Guide for details.

# Move duplicity's volumes to DEEP_ARCHIVE after a day; manifests and signatures,
# stored under their own prefix, stay in STANDARD. Clean up failed uploads.
- offsite.backup.s3_lifecycle:
    bucket: family-backups
    rules:
      - id: volumes-to-deep-archive
        filter:
          prefix: pi/photos/volumes/
        transitions:
          - days: 1
            storage_class: DEEP_ARCHIVE
      - id: abort-incomplete-uploads
        abort_incomplete_multipart_upload_days: 7

# Tag-filtered tiering through the colder classes, with expiration
- offsite.backup.s3_lifecycle:
    bucket: family-backups
    transition_default_minimum_object_size: varies_by_storage_class
    rules:
      - id: glacierable
        filter:
          prefix: nas/
          tags:
            glacierable: "true"
        transitions:
          - days: 30
            storage_class: STANDARD_IA
          - days: 90
            storage_class: GLACIER
          - days: 180
            storage_class: DEEP_ARCHIVE
        expiration:
          days: 1095

# Add or update one rule, keep the bucket's other rules
- offsite.backup.s3_lifecycle:
    bucket: family-backups
    purge_rules: false
    rules:
      - id: old-versions
        noncurrent_version_transitions:
          - noncurrent_days: 30
            storage_class: GLACIER
        noncurrent_version_expiration:
          noncurrent_days: 365
          newer_noncurrent_versions: 3
        expiration:
          expired_object_delete_marker: true

# Own the rules named offsite-backup/...: prune those not listed, keep everyone else's
- offsite.backup.s3_lifecycle:
    bucket: family-backups
    purge_rules: false
    purge_rules_prefixes:
      - offsite-backup/
    rules:
      - id: offsite-backup/pi/photos
        filter:
          prefix: pi/photos/archive-
        transitions:
          - days: 30
            storage_class: DEEP_ARCHIVE

# Remove one rule, keep the others
- offsite.backup.s3_lifecycle:
    bucket: family-backups
    state: absent
    rules:
      - id: old-versions

# Against an S3-compatible endpoint, with every AWS module's settings in one place
- hosts: localhost
  module_defaults:
    group/offsite.backup.aws:
      endpoint_url: http://127.0.0.1:9000
      region: us-east-1
  tasks:
    - offsite.backup.s3_lifecycle:
        bucket: family-backups
        state: absent
"""

RETURN = r"""
rules:
  description:
    - The bucket's lifecycle rules after the task, normalised and sorted by id; empty when
      the bucket has no lifecycle configuration.
    - In check mode, the rules the bucket would have.
    - Keys other than RV(rules[].id), RV(rules[].status) and RV(rules[].filter) are present
      only when set.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The rule's id.
      type: str
      returned: always
      sample: volumes-to-deep-archive
    status:
      description: V(enabled) or V(disabled).
      type: str
      returned: always
      sample: enabled
    filter:
      description:
        - The rule's filter, with keys C(prefix), C(tags), C(object_size_greater_than) and
          C(object_size_less_than), each only when set. Empty for the whole bucket.
      type: dict
      returned: always
      sample: {"prefix": "pi/photos/volumes/"}
    transitions:
      description:
        - Transitions, sorted by C(days), each with C(days) and C(storage_class). Rules
          written elsewhere with a date have C(date) (ISO 8601) instead of C(days).
      type: list
      elements: dict
      returned: when set
      sample: [{"days": 1, "storage_class": "DEEP_ARCHIVE"}]
    expiration:
      description:
        - C(days), or C(expired_object_delete_marker=true). Rules written elsewhere with a
          date have C(date) (ISO 8601).
      type: dict
      returned: when set
      sample: {"days": 365}
    noncurrent_version_transitions:
      description:
        - Sorted by C(noncurrent_days), each with C(noncurrent_days), C(storage_class) and,
          when set, C(newer_noncurrent_versions).
      type: list
      elements: dict
      returned: when set
      sample: [{"noncurrent_days": 30, "storage_class": "GLACIER"}]
    noncurrent_version_expiration:
      description: C(noncurrent_days) and, when set, C(newer_noncurrent_versions).
      type: dict
      returned: when set
      sample: {"noncurrent_days": 365, "newer_noncurrent_versions": 3}
    abort_incomplete_multipart_upload_days:
      description: Days after which incomplete multipart uploads are aborted.
      type: int
      returned: when set
      sample: 7
transition_default_minimum_object_size:
  description:
    - The bucket's default minimum object size for transitions, as S3 reports it with the
      configuration (or as it would be set, in check mode).
  returned: when the bucket has a lifecycle configuration and the endpoint reports the setting
  type: str
  sample: all_storage_classes_128K
"""

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.offsite.backup.plugins.module_utils.s3_lifecycle_rules import (
    MATCHED,
    STALE,
    TRANSITION_DEFAULT_MINIMUM_OBJECT_SIZES,
    configuration,
    configurations_match,
    differences,
    for_diff,
    normalize_api_rules,
    normalize_rules,
    plan_rules,
    remove_rules,
    validate_rules,
    wait_for_configuration,
)

SETTLE_TRIES = 10
SETTLE_DELAY = 1.0


def get_lifecycle(module, client, bucket):
    """(rules in API form, TransitionDefaultMinimumObjectSize); (None, None) without a configuration."""
    try:
        response = client.get_bucket_lifecycle_configuration(aws_retry=True, Bucket=bucket)
    except is_boto3_error_code("NoSuchLifecycleConfiguration"):
        return None, None
    except is_boto3_error_code("NoSuchBucket") as e:  # pylint: disable=duplicate-except
        if module.check_mode:
            # In check mode a play may be about to create the bucket (amazon.aws.s3_bucket
            # in check mode creates nothing): report against an empty configuration.
            module.warn(f"Bucket {bucket} does not exist (yet); compared with no lifecycle configuration")
            return None, None
        module.fail_json_aws(e, msg=f"Bucket {bucket} does not exist")
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to get the lifecycle configuration of bucket {bucket}")
    return response.get("Rules") or [], response.get("TransitionDefaultMinimumObjectSize")


def put_lifecycle(module, client, bucket, api_rules, transition_default_minimum_object_size):
    params = dict(Bucket=bucket, LifecycleConfiguration={"Rules": api_rules})
    if transition_default_minimum_object_size is not None:
        params["TransitionDefaultMinimumObjectSize"] = transition_default_minimum_object_size
    try:
        client.put_bucket_lifecycle_configuration(aws_retry=True, **params)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to put the lifecycle configuration of bucket {bucket}")


def delete_lifecycle(module, client, bucket):
    try:
        client.delete_bucket_lifecycle(aws_retry=True, Bucket=bucket)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to delete the lifecycle configuration of bucket {bucket}")


def supports_transition_default_minimum_object_size(client):
    try:
        operation = client.meta.service_model.operation_model("PutBucketLifecycleConfiguration")
        return "TransitionDefaultMinimumObjectSize" in operation.input_shape.members
    except (AttributeError, botocore.exceptions.OperationNotFoundError):
        return False


def read_configuration(module, client, bucket):
    api_rules, size = get_lifecycle(module, client, bucket)
    if not api_rules:
        return None
    return configuration(normalize_api_rules(api_rules), size)


def plan_change(module, current_api_rules, current_size):
    """What to send: (api_rules, planned_rules, size to send)."""
    rules = module.params["rules"]
    wanted_size = module.params["transition_default_minimum_object_size"]
    if module.params["state"] == "absent":
        if rules is None:
            return [], [], current_size
        api_rules, planned_rules = remove_rules(current_api_rules, [rule["id"] for rule in rules])
        return api_rules, planned_rules, current_size
    api_rules, planned_rules = plan_rules(current_api_rules, normalize_rules(rules), module.params["purge_rules"],
                                          module.params["purge_rules_prefixes"])
    if wanted_size is not None and not planned_rules:
        module.warn(
            "transition_default_minimum_object_size is stored with the lifecycle rules; "
            "without rules there is nothing to set it on"
        )
    return api_rules, planned_rules, wanted_size if wanted_size is not None else current_size


def apply_change(module, client, bucket, api_rules, after, before, send_size):
    """Write the configuration and return what the bucket then reports."""
    if after is not None:
        put_lifecycle(module, client, bucket, api_rules, send_size)
    else:
        delete_lifecycle(module, client, bucket)
    outcome, observed = wait_for_configuration(
        lambda: read_configuration(module, client, bucket),
        after,
        before,
        tries=SETTLE_TRIES,
        delay=SETTLE_DELAY,
    )
    if outcome == MATCHED:
        return observed
    if outcome == STALE:
        module.warn(
            f"Bucket {bucket} still showed its previous lifecycle configuration "
            f"{SETTLE_TRIES} reads after the change; S3 may take longer to show it"
        )
        return after
    module.warn(
        f"Bucket {bucket} reports a lifecycle configuration that differs from the one written, in "
        f"{', '.join(differences(observed, after))} (the endpoint may not store every field); "
        "the result's rules are what it reports"
    )
    return observed


def ensure_lifecycle(module, client):
    """Bring the bucket's lifecycle configuration to the desired state and exit."""
    bucket = module.params["bucket"]
    current_api_rules, current_size = get_lifecycle(module, client, bucket)
    before = configuration(normalize_api_rules(current_api_rules), current_size) if current_api_rules else None

    api_rules, planned_rules, send_size = plan_change(module, current_api_rules, current_size)
    if planned_rules:
        after = configuration(planned_rules, send_size)
        # The size setting counts only when S3 reports one (configurations_match).
        changed = before is None or not configurations_match(before, after)
    else:
        after = None
        changed = before is not None

    result = dict(changed=changed)
    if module._diff:
        result["diff"] = dict(before=for_diff(before), after=for_diff(after))

    final = after if changed else before
    if changed and not module.check_mode:
        final = apply_change(module, client, bucket, api_rules, after, before, send_size)

    final = for_diff(final)
    result["rules"] = final["rules"]
    if final.get("transition_default_minimum_object_size") is not None:
        result["transition_default_minimum_object_size"] = final["transition_default_minimum_object_size"]
    module.exit_json(**result)


RULE_OPTIONS = dict(
    id=dict(type="str", required=True),
    status=dict(type="str", default="enabled", choices=["enabled", "disabled"]),
    filter=dict(
        type="dict",
        options=dict(
            prefix=dict(type="str"),
            tags=dict(type="dict"),
            object_size_greater_than=dict(type="int"),
            object_size_less_than=dict(type="int"),
        ),
    ),
    transitions=dict(
        type="list",
        elements="dict",
        options=dict(
            days=dict(type="int"),
            storage_class=dict(type="str"),
        ),
    ),
    expiration=dict(
        type="dict",
        options=dict(
            days=dict(type="int"),
            expired_object_delete_marker=dict(type="bool"),
        ),
    ),
    noncurrent_version_transitions=dict(
        type="list",
        elements="dict",
        options=dict(
            noncurrent_days=dict(type="int"),
            storage_class=dict(type="str"),
            newer_noncurrent_versions=dict(type="int"),
        ),
    ),
    noncurrent_version_expiration=dict(
        type="dict",
        options=dict(
            noncurrent_days=dict(type="int"),
            newer_noncurrent_versions=dict(type="int"),
        ),
    ),
    abort_incomplete_multipart_upload_days=dict(type="int"),
)
ARGUMENT_SPEC = dict(
    bucket=dict(type="str", required=True, aliases=["name"]),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    purge_rules=dict(type="bool", default=True),
    purge_rules_prefixes=dict(type="list", elements="str", default=[], no_log=False),
    transition_default_minimum_object_size=dict(type="str", choices=list(TRANSITION_DEFAULT_MINIMUM_OBJECT_SIZES)),
    rules=dict(type="list", elements="dict", options=RULE_OPTIONS),
)


def main():
    module = AnsibleAWSModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
        required_if=[("state", "present", ["rules"])],
    )

    # Everything is checked before the first request.
    errors = validate_rules(module.params["rules"], ids_only=module.params["state"] == "absent")
    if errors:
        module.fail_json(
            msg=f"Invalid lifecycle rules for bucket {module.params['bucket']}: " + "; ".join(errors),
            errors=errors,
        )

    client = module.client("s3", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=["OperationAborted"]))
    if module.params["transition_default_minimum_object_size"] is not None and not (
        supports_transition_default_minimum_object_size(client)
    ):
        module.fail_json(
            msg="transition_default_minimum_object_size needs a newer botocore, one that knows "
            "TransitionDefaultMinimumObjectSize"
        )

    ensure_lifecycle(module, client)


if __name__ == "__main__":
    main()
