# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Test check for the duplicity_tags target: compare every object's tags with the spec.

    python check_objects.py --endpoint-url URL --spec FILE --state expected|initial

Lists the spec's prefix (the keys must be exactly the spec's), reads the tags of every
object and compares them with the spec's `expected` (after tagging) or `initial` (nothing
written) tags. Prints a JSON report; exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--endpoint-url', required=True)
    parser.add_argument('--region', default='us-east-1')
    parser.add_argument('--spec', required=True)
    parser.add_argument('--state', choices=('expected', 'initial'), required=True)
    parser.add_argument('--workers', type=int, default=16)
    args = parser.parse_args()

    with open(args.spec, encoding='utf-8') as handle:
        spec = json.load(handle)
    bucket, objects = spec['bucket'], spec['objects']
    client = boto3.client('s3', endpoint_url=args.endpoint_url, region_name=args.region,
                          config=Config(max_pool_connections=args.workers))

    listed = []
    for page in client.get_paginator('list_objects_v2').paginate(Bucket=bucket, Prefix=spec['prefix']):
        listed.extend(item['Key'] for item in page.get('Contents', []))

    def tags(key):
        tag_set = client.get_object_tagging(Bucket=bucket, Key=key)['TagSet']
        return key, dict((tag['Key'], tag['Value']) for tag in tag_set)

    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        actual = dict(pool.map(tags, listed))

    mismatches = [
        {'key': key, 'kind': objects[key]['kind'], 'want': objects[key][args.state], 'have': actual[key]}
        for key in sorted(actual) if key in objects and actual[key] != objects[key][args.state]
    ]
    report = {
        'checked': len(actual),
        'missing': sorted(set(objects) - set(actual)),
        'unexpected': sorted(set(actual) - set(objects)),
        'mismatches': mismatches[:20],
        'mismatch_count': len(mismatches),
        'kept_unrelated_tags': sum(1 for key in actual if actual[key].get('owner') == 'ops'),
        'duplicity_tagged': sum(1 for key in actual if objects.get(key, {}).get('kind') and 'glacierable' in actual[key]),
    }
    print(json.dumps(report))
    return 1 if report['missing'] or report['unexpected'] or mismatches else 0


if __name__ == '__main__':
    sys.exit(main())
