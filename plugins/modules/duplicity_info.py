#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: duplicity_info
short_description: Report the duplicity backup chains in an S3 bucket, with storage classes and restore states
version_added: 0.1.0
description:
  - Lists the objects of an S3 bucket under a prefix and reports the duplicity backup chains
    found there. For every chain and every backup set in it, it reports its time, its type
    (full or incremental), its volume count and bytes, and how many of its objects are in
    each storage class and each restore state.
  - The restore state of an object is V(not_archived) (readable now, for example C(STANDARD),
    C(STANDARD_IA) or C(GLACIER_IR)), V(archived) (in C(GLACIER) or C(DEEP_ARCHIVE), or an
    archive access tier of C(INTELLIGENT_TIERING), with no restored copy),
    V(restore_in_progress) or V(restored) (a readable copy exists until an expiry date).
  - Objects are recognised by duplicity's filename grammar, the one the whole collection
    shares, whatever their C(--file-prefix*). Volumes the C(prefix) tiering strategy stores
    as C(archive-duplicity-...) belong to the same sets as their manifests and signatures.
  - A chain starts with a full backup set; each incremental set extends the chain that ends
    where it starts. Incremental sets that extend no chain are reported as RV(orphans).
  - The restore state of each object in C(GLACIER), C(DEEP_ARCHIVE) or C(INTELLIGENT_TIERING)
    comes from a HeadObject request, sent concurrently (16 at a time); other objects need
    none. ListObjectsV2 can report restore status too, but not every S3-compatible service
    does (moto's server ignores the request for it), so the module does not rely on it.
  - It estimates what storing the backups costs per month, by storage class (RV(monthly_cost)).
  - Read-only. It never writes to the bucket, so it runs the same in check mode.
author:
  - offsite.backup maintainers (!UNKNOWN)
options:
  prefix:
    description:
      - The folder of the bucket that holds the backups, as in the duplicity target
        C(boto3+s3://BUCKET/PREFIX), for example C(pi/photos). A trailing C(/) is added when
        missing, so C(pi/photos) does not take in C(pi/photos2/).
      - Backups in folders below it are reported too, as chains of their own with their
        folder in RV(chains[].prefix).
      - The default reads the whole bucket.
    type: str
    default: ''
notes:
  - The credentials need C(s3:ListBucket) on the bucket and C(s3:GetObject) on the archived
    objects (HeadObject).
  - Only the current version of each object is reported in a versioned bucket.
seealso:
  - module: offsite.backup.glacier_restore
  - module: offsite.backup.duplicity_tags
  - name: Working with archived objects
    description: Storage classes that need a restore, and the x-amz-restore header.
    link: https://docs.aws.amazon.com/AmazonS3/latest/userguide/archived-objects.html
attributes:
  check_mode:
    support: full
    description: The module only reads; check mode changes nothing in what it does.
  diff_mode:
    support: none
    description: The module changes nothing, so there is nothing to show.
extends_documentation_fragment:
  - offsite.backup.s3_bucket
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# Authentication, region and endpoint_url come from module_defaults for
# group/offsite.backup.aws (or group/amazon.aws.aws), or from the environment.

- name: Report the backups of one profile
  offsite.backup.duplicity_info:
    bucket: family-backups
    prefix: pi/photos
  register: photos

- name: Show each set of the latest chain with what is still archived
  ansible.builtin.debug:
    msg: >-
      {{ item.type }} {{ item.time }}: {{ item.volumes }} volumes, {{ item.bytes | human_readable }},
      {{ item.restore_states.archived }} archived, restored until {{ item.restored_until }}
  loop: "{{ (photos.chains | last).sets }}"

- name: Every chain of a host's profiles, against an S3-compatible service
  offsite.backup.duplicity_info:
    bucket: nas-backups
    prefix: nas/
    endpoint_url: https://s3.example.net
    region: eu-central-1
"""

RETURN = r"""
prefix:
  description: The prefix that was read, with its trailing C(/).
  returned: always
  type: str
  sample: pi/photos/
chains:
  description:
    - The backup chains, by folder and then by the time of their full set.
    - The counts of a chain are the sums over its sets.
  returned: always
  type: list
  elements: dict
  contains:
    prefix:
      description: The folder the chain's objects are in (C('') for the bucket's root).
      type: str
      sample: pi/photos/
    full_time:
      description: Time of the chain's full set, ISO 8601 UTC.
      type: str
      sample: "2026-11-01T02:17:00Z"
    end_time:
      description: Time of the chain's last set, ISO 8601 UTC.
      type: str
      sample: "2026-11-22T02:17:00Z"
    incrementals:
      description: Number of incremental sets in the chain.
      type: int
      sample: 21
    objects:
      description: Number of objects.
      type: int
      sample: 180
    volumes:
      description: Number of volumes (C(difftar)), not counting duplicity's C(.part) files.
      type: int
      sample: 150
    bytes:
      description: Total size of the objects in bytes.
      type: int
      sample: 31457280000
    storage_classes:
      description: Number of objects per storage class (only the classes present).
      type: dict
      sample: {"STANDARD": 30, "DEEP_ARCHIVE": 150}
    restore_states:
      description:
        - Number of objects per restore state, every state present, with zeros.
      type: dict
      sample: {"not_archived": 30, "archived": 100, "restore_in_progress": 20, "restored": 30}
    unknown_state:
      description:
        - Number of archived objects whose HeadObject failed. When not zero, the module fails
          and lists them in RV(errors).
      type: int
      sample: 0
    restored_until:
      description: The latest expiry date of the restored copies (ISO 8601 UTC), or V(null) when none is restored.
      type: str
      sample: "2026-11-29T00:00:00Z"
    restored_first_expiry:
      description:
        - The earliest expiry date of the restored copies (ISO 8601 UTC), or V(null). After it, a
          restore that needs all of them needs a new request.
      type: str
      sample: "2026-11-29T00:00:00Z"
    sets:
      description:
        - The chain's backup sets in order, each with RV(chains[].objects), RV(chains[].volumes),
          RV(chains[].bytes), RV(chains[].storage_classes), RV(chains[].restore_states),
          RV(chains[].unknown_state), RV(chains[].restored_until) and
          RV(chains[].restored_first_expiry) for the set, and C(type) (V(full) or V(inc)),
          C(time) (the set's time, ISO 8601 UTC), C(start_time) (where an incremental set
          starts; V(null) for a full set) and C(complete) (V(false) when the set has no
          manifest, as after an interrupted backup; duplicity ignores such sets).
      type: list
      elements: dict
      sample:
        - type: full
          time: "2026-11-01T02:17:00Z"
          start_time: null
          complete: true
          objects: 102
          volumes: 100
          bytes: 20971520000
          storage_classes: {"STANDARD": 2, "DEEP_ARCHIVE": 100}
          restore_states: {"not_archived": 2, "archived": 100, "restore_in_progress": 0, "restored": 0}
          unknown_state: 0
          restored_until: null
          restored_first_expiry: null
orphans:
  description:
    - Incremental sets that extend no chain (their full set or a set before them is missing),
      each with the keys of RV(chains[].sets) and the folder in C(prefix).
  returned: always
  type: list
  elements: dict
  sample: []
other_objects:
  description: Number of objects under the prefix whose names are not duplicity names.
  returned: always
  type: int
  sample: 2
totals:
  description:
    - Counts over every duplicity object under the prefix (chains and orphans), with the
      keys of RV(chains[].objects) to RV(chains[].restored_first_expiry), plus C(chains),
      C(listed) (every object listed) and C(head_requests) (HeadObject requests sent).
  returned: always
  type: dict
  sample:
    chains: 2
    listed: 362
    head_requests: 300
    objects: 360
    volumes: 300
    bytes: 62914560000
    storage_classes: {"STANDARD": 60, "DEEP_ARCHIVE": 300}
    restore_states: {"not_archived": 60, "archived": 300, "restore_in_progress": 0, "restored": 0}
    unknown_state: 0
    restored_until: null
    restored_first_expiry: null
monthly_cost:
  description:
    - What storing the duplicity objects under the prefix costs per month at list prices, by storage
      class. Archive classes include the 40 KB of metadata S3 keeps per object (8 KB billed as
      C(STANDARD)). Requests, retrievals and data transfer are left out.
    - The prices are AWS's for one region, as of a date, both in RV(monthly_cost.prices); other
      regions and S3-compatible stores charge differently.
  returned: always
  type: dict
  contains:
    by_class:
      description: Per storage class present, C(objects), C(bytes) and C(usd) (US dollars per month).
      type: dict
      sample: {"STANDARD": {"objects": 60, "bytes": 2097152, "usd": 0.000045},
               "DEEP_ARCHIVE": {"objects": 300, "bytes": 62912462848, "usd": 0.058089}}
    total_usd:
      description: The sum over the classes, in US dollars per month.
      type: float
      sample: 0.058134
    prices:
      description: The source of the prices, C(as_of) (year and month), C(region), C(source) (a URL) and C(currency).
      type: dict
      sample: {"as_of": "2025-06", "region": "us-east-1", "source": "https://aws.amazon.com/s3/pricing/", "currency": "USD"}
errors:
  description: The objects whose HeadObject failed, with the error; the module fails when there are any.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "pi/photos/archive-duplicity-full.20261101T021700Z.vol1.difftar.gpg",
            "error": "403: An error occurred (403) when calling the HeadObject operation: Forbidden"}]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.offsite.backup.plugins.module_utils.duplicity_names import parse
from ansible_collections.offsite.backup.plugins.module_utils.offsite_costs import monthly_estimate
from ansible_collections.offsite.backup.plugins.module_utils.restore_reports import report
from ansible_collections.offsite.backup.plugins.module_utils.restore_requests import classify_all, list_objects
from ansible_collections.offsite.backup.plugins.module_utils.restore_selection import normalise_prefix
from ansible_collections.offsite.backup.plugins.module_utils.s3_client import CALL_ARGS, connect
from ansible_collections.offsite.backup.plugins.module_utils.s3_engine import (
    DEFAULT_CONCURRENCY,
    ListingError,
)


def main():
    argument_spec = dict(
        bucket=dict(type='str', required=True),
        prefix=dict(type='str', default=''),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    bucket = module.params['bucket']
    prefix = normalise_prefix(module.params['prefix'])

    client = connect(module, DEFAULT_CONCURRENCY)

    try:
        listing = list_objects(client, bucket, prefix, CALL_ARGS)
    except ListingError as e:
        module.fail_json_aws(e.cause, msg='Failed to list s3://%s/%s' % (bucket, prefix))

    # Only duplicity objects are read; other objects are just counted.
    duplicity_objects = [entry for entry in listing if parse(entry['key']) is not None]
    states, heads = classify_all(client, bucket, duplicity_objects, DEFAULT_CONCURRENCY, CALL_ARGS)
    chains, orphans, other, totals = report(listing, states)
    totals['head_requests'] = heads
    errors = sorted(
        ({'key': key, 'error': info['error']} for key, info in states.items() if info['error']),
        key=lambda item: item['key'])
    cost = monthly_estimate((entry['storage_class'], entry['size']) for entry in duplicity_objects)
    result = dict(changed=False, prefix=prefix, chains=chains, orphans=orphans, other_objects=other,
                  totals=totals, monthly_cost=cost, errors=errors)
    if errors:
        module.fail_json(
            msg='The restore state of %d archived objects in s3://%s/%s could not be read; first: %s: %s' % (
                len(errors), bucket, prefix, errors[0]['key'], errors[0]['error']),
            **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
