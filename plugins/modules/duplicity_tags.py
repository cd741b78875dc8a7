#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: duplicity_tags
short_description: Tag duplicity backup objects in S3 by kind, for tag-filtered lifecycle rules
version_added: 0.1.0
description:
  - Walks the objects of an S3 bucket under a prefix and gives each duplicity object one tag
    whose value says whether the object may move to a cold storage class such as
    C(GLACIER) or C(DEEP_ARCHIVE). A lifecycle rule filtered on that tag (see
    M(offsite.backup.s3_lifecycle)) then moves the volumes and never the metadata duplicity
    reads on every run.
  - Volumes (C(difftar)) get O(archive_value); manifests, signatures (C(sigtar)) and
    C(jsonstat) files get O(keep_value).
  - Objects are recognised by duplicity's filename grammar applied to the basename of the key,
    the one the whole collection shares, never by substring. Any C(--file-prefix*) in front of
    C(duplicity-) is found without being configured, so a volume under a folder named
    C(manifest) is a volume. Encrypted (C(.gpg)), compressed (C(.gz)), C(.p7m) and plain names
    are all recognised.
  - Objects that are not duplicity files are neither read nor written, only counted.
  - The object's other tags are kept. An object whose tag already has the right value is not
    written again, so a run over a tagged bucket only reads tags.
  - Requests run concurrently in O(concurrency) threads. Each object is handled on its own, so
    an interrupted run loses nothing that was tagged; run it again to finish.
  - An object that cannot be tagged (after retries of throttling errors) is never reported as
    tagged. The module fails and lists it in RV(failed_objects), after handling all other objects.
author:
  - offsite.backup maintainers (!UNKNOWN)
options:
  prefix:
    description:
      - Only objects whose key starts with this text are handled, for example C(pi/photos/).
      - The default handles the whole bucket.
    type: str
    default: ''
  tag_key:
    description:
      - Key of the tag to set.
      - At most 128 characters of letters, digits, spaces and C(+-=._:/@). Keys starting
        with C(aws:) are reserved by AWS.
    type: str
    default: glacierable
  archive_value:
    description:
      - Tag value for volumes, the objects that may go to a cold storage class.
      - At most 256 characters, the same characters as O(tag_key). Must differ from O(keep_value).
    type: str
    default: 'true'
  keep_value:
    description:
      - Tag value for manifests, signatures and C(jsonstat) files, the objects that must stay
        readable at once.
      - At most 256 characters, the same characters as O(tag_key).
    type: str
    default: 'false'
  concurrency:
    description:
      - Number of objects handled at the same time (worker threads, and the size of the client's
        connection pool).
      - From 1 to 64.
    type: int
    default: 16
notes:
  - Tagging is a read (GetObjectTagging) followed, when needed, by a write (PutObjectTagging) of
    the whole tag set. A change to the same object's tags made by someone else between the two
    requests can be lost.
  - S3 allows 10 tags per object. An object that already has 10 other tags cannot take this one
    and is reported in RV(failed_objects).
  - The credentials need C(s3:ListBucket) on the bucket and C(s3:GetObjectTagging) and
    C(s3:PutObjectTagging) on the objects. In check mode C(s3:PutObjectTagging) is not used.
  - Only the current version of each object is tagged in a versioned bucket.
seealso:
  - module: offsite.backup.s3_lifecycle
  - module: amazon.aws.s3_object
  - name: Categorizing your storage using tags
    description: Object tagging in Amazon S3, and how lifecycle rules filter on tags.
    link: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html
attributes:
  check_mode:
    support: full
    description: Reads the tags of every duplicity object and writes none; RV(counts) and C(changed) say what would be tagged.
  diff_mode:
    support: none
    description: The tags of thousands of objects make no useful diff; RV(counts) and RV(tagged_sample) say what changed.
extends_documentation_fragment:
  - offsite.backup.s3_bucket
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# Authentication, region and endpoint_url come from module_defaults for
# group/offsite.backup.aws (or group/amazon.aws.aws), or from the environment.

- name: Tag the duplicity objects of one profile (glacierable=true on volumes, false on the rest)
  offsite.backup.duplicity_tags:
    bucket: family-backups
    prefix: pi/photos/

- name: Report what would be tagged in the whole bucket, without writing
  offsite.backup.duplicity_tags:
    bucket: family-backups
  check_mode: true
  register: would_tag

- name: Use our own tag, against an S3-compatible service
  offsite.backup.duplicity_tags:
    bucket: nas-backups
    prefix: nas/
    tag_key: storage-tier
    archive_value: cold
    keep_value: hot
    concurrency: 8
    endpoint_url: https://s3.example.net
    region: eu-central-1
"""

RETURN = r"""
counts:
  description: How many objects were seen, by action and by kind of duplicity file.
  returned: always
  type: dict
  contains:
    total:
      description: Number of objects listed under O(prefix).
      type: int
      sample: 3000
    by_action:
      description:
        - Number of objects per action. In check mode C(tagged) counts the objects that would be tagged.
        - C(skipped_not_duplicity) counts the objects whose names are not duplicity names; they are
          neither read nor written.
        - C(skipped_archived) counts the duplicity objects the listing shows in GLACIER or DEEP_ARCHIVE;
          they have already moved, so they are neither read nor written.
        - C(skipped_earlier) is always 0 here, since the module reads every object. The host-side
          pass after each backup (duply role, C(tags) strategy) uses it for the sets an earlier pass tagged.
      type: dict
      sample: {"tagged": 2400, "already_correct": 0, "skipped_archived": 0, "skipped_earlier": 0,
               "skipped_not_duplicity": 600, "failed": 0}
    by_kind:
      description:
        - For each kind of duplicity file (C(full-manifest), C(inc-manifest), C(full-signatures),
          C(new-signatures), C(full-volume), C(inc-volume), C(jsonstat)), the number of objects
          (C(total)) and how many were C(tagged), C(already_correct), C(skipped_archived),
          C(skipped_earlier) or C(failed).
        - Every kind is present, with zeros when the prefix holds none.
      type: dict
      sample:
        full-manifest: {"total": 3, "tagged": 3, "already_correct": 0, "failed": 0}
        full-volume: {"total": 1500, "tagged": 1500, "already_correct": 0, "failed": 0}
failed_objects:
  description:
    - The duplicity objects that could not be tagged (or, in check mode, whose tags could not be
      read), sorted by key. When the list is not empty the module fails.
  returned: always
  type: list
  elements: dict
  contains:
    key:
      description: Object key.
      type: str
    kind:
      description: Kind of duplicity file.
      type: str
    error:
      description: The last error from S3.
      type: str
  sample: [{"key": "pi/photos/duplicity-full.20240101T000000Z.vol1.difftar.gpg", "kind": "full-volume",
            "error": "AccessDenied: An error occurred (AccessDenied) when calling the PutObjectTagging operation: Access Denied"}]
tagged_sample:
  description:
    - Up to 20 of the objects that were (in check mode, would be) tagged, with the tag's previous
      value (V(null) when the object did not have the tag) and the new one.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "pi/photos/duplicity-full.20240101T000000Z.manifest.gpg", "kind": "full-manifest",
            "previous": null, "value": "false"}]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.offsite.backup.plugins.module_utils.duplicity_tagging import (
    DEFAULT_ARCHIVE_VALUE,
    DEFAULT_CONCURRENCY,
    DEFAULT_KEEP_VALUE,
    DEFAULT_TAG_KEY,
    MAX_CONCURRENCY,
    TaggingError,
    new_counts,
    tag_objects,
    validate_tag,
)
from ansible_collections.offsite.backup.plugins.module_utils.s3_client import CALL_ARGS, connect


RESULT_KEYS = ('changed', 'counts', 'failed_objects', 'tagged_sample')


def validate(module):
    """Check the tag and the concurrency before any request."""
    params = module.params
    empty = dict(changed=False, counts=new_counts(), failed_objects=[], tagged_sample=[])
    try:
        validate_tag(params['tag_key'], params['archive_value'], params['keep_value'])
    except ValueError as e:
        module.fail_json(msg='Invalid tag: %s' % e, **empty)
    if not 1 <= params['concurrency'] <= MAX_CONCURRENCY:
        module.fail_json(
            msg='concurrency must be from 1 to %d, got %d' % (MAX_CONCURRENCY, params['concurrency']), **empty)


def main():
    argument_spec = dict(
        bucket=dict(type='str', required=True),
        prefix=dict(type='str', default=''),
        tag_key=dict(type='str', default=DEFAULT_TAG_KEY, no_log=False),
        archive_value=dict(type='str', default=DEFAULT_ARCHIVE_VALUE),
        keep_value=dict(type='str', default=DEFAULT_KEEP_VALUE, no_log=False),
        concurrency=dict(type='int', default=DEFAULT_CONCURRENCY),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    validate(module)
    client = connect(module, module.params['concurrency'])
    try:
        result = tag_objects(
            client,
            params['bucket'],
            prefix=params['prefix'],
            tag_key=params['tag_key'],
            archive_value=params['archive_value'],
            keep_value=params['keep_value'],
            concurrency=params['concurrency'],
            check_mode=module.check_mode,
            call_args=CALL_ARGS,
        )
    except TaggingError as e:
        partial = dict((name, e.result[name]) for name in RESULT_KEYS)
        module.fail_json_aws(e.cause, msg='Failed to list s3://%s/%s' % (params['bucket'], params['prefix']), **partial)

    output = dict((name, result[name]) for name in RESULT_KEYS)
    failed = result['counts']['by_action']['failed']
    if failed:
        module.fail_json(
            msg='%d of %d duplicity objects in s3://%s/%s could not be %s; first: %s: %s' % (
                failed, result['counts']['total'] - result['counts']['by_action']['skipped_not_duplicity'],
                params['bucket'], params['prefix'], 'read' if module.check_mode else 'tagged',
                result['failed_objects'][0]['key'], result['failed_objects'][0]['error']),
            **output
        )
    module.exit_json(**output)


if __name__ == '__main__':
    main()
