# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""For tests: every object under a prefix as JSON, with what HeadObject says of it.

Prints a list of {key, kind, size, storage_class, restore} (restore: the x-amz-restore
header, or null when no restore was ever requested). With --corrupt KIND, first
overwrites every object of that kind (``full-volume``, the collection's grammar) with as
many random bytes, as bit rot or a tampered copy would leave them.
"""

import checkout_env  # noqa: F401 pylint: disable=unused-import

import argparse
import json
import os

import boto3

from ansible_collections.offsite.backup.plugins.module_utils.duplicity_names import parse  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--prefix", default="")
    parser.add_argument("--endpoint-url")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--corrupt", metavar="KIND")
    args = parser.parse_args()
    s3 = boto3.client("s3", endpoint_url=args.endpoint_url, region_name=args.region)
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=args.bucket, Prefix=args.prefix):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    for victim in [key for key in keys if args.corrupt and parse(key) is not None and parse(key).kind == args.corrupt]:
        size = s3.head_object(Bucket=args.bucket, Key=victim)["ContentLength"]
        s3.put_object(Bucket=args.bucket, Key=victim, Body=os.urandom(size))
    out = []
    for key in sorted(keys):
        head = s3.head_object(Bucket=args.bucket, Key=key)
        parsed = parse(key)
        out.append({"key": key, "kind": parsed.kind if parsed else None, "size": head["ContentLength"],
                    "storage_class": head.get("StorageClass", "STANDARD"), "restore": head.get("Restore")})
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
