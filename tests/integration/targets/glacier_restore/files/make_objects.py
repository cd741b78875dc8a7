# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Test setup for the glacier_restore and duplicity_info targets: put objects with storage classes.

    python make_objects.py --endpoint-url URL --bucket B --prefix P --spec FILE

FILE is a JSON object mapping short names to objects: {"name": KEY under P, "size":
BYTES, "class": STORAGE CLASS, "restored_days": DAYS (optional)}. Each object is written
straight to moto with PutObject and its storage class (its body is BYTES times "x");
with restored_days, moto is then asked to restore it (moto completes restores at once).
Credentials come from the environment. Prints JSON: {"objects": N, "expiry": {short
name: ISO 8601 expiry of each restored copy, as HeadObject reports it}}.
"""

from __future__ import annotations

import argparse
import email.utils
import json
import re

import boto3


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--endpoint-url', required=True)
    parser.add_argument('--bucket', required=True)
    parser.add_argument('--prefix', default='')
    parser.add_argument('--spec', required=True)
    args = parser.parse_args()
    with open(args.spec, encoding='utf-8') as handle:
        spec = json.load(handle)

    client = boto3.session.Session().client('s3', endpoint_url=args.endpoint_url, region_name='us-east-1')
    expiry = {}
    for short, item in sorted(spec.items()):
        key = args.prefix + item['name']
        client.put_object(Bucket=args.bucket, Key=key, Body=b'x' * int(item.get('size') or 0),
                          StorageClass=item.get('class') or 'STANDARD')
        if item.get('restored_days'):
            client.restore_object(Bucket=args.bucket, Key=key, RestoreRequest={'Days': int(item['restored_days'])})
            header = client.head_object(Bucket=args.bucket, Key=key)['Restore']
            date = re.search(r'expiry-date="([^"]+)"', header).group(1)
            expiry[short] = email.utils.parsedate_to_datetime(date).strftime('%Y-%m-%dT%H:%M:%SZ')
    print(json.dumps({'objects': len(spec), 'expiry': expiry}, sort_keys=True))


if __name__ == '__main__':
    main()
