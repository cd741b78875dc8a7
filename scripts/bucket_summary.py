# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print what landed in a bucket: per prefix, the duplicity chains and sets found there,
with volume counts, sizes and storage classes, what storing them costs per month at the
collection's list prices (module_utils/offsite_costs.py), and whatever else the bucket holds.

Names are read with the collection's own grammar (module_utils/duplicity_names.py) from
the installed collection on ANSIBLE_COLLECTIONS_PATH.
"""

# First: re-runs this script in the harness venv if need be, and makes this checkout
# importable as the collection.
import checkout_env  # noqa: F401 pylint: disable=unused-import

import argparse
import collections

import boto3


from ansible_collections.offsite.backup.plugins.module_utils.duplicity_names import (  # noqa: E402
    group_sets,
    parse,
    time_to_datetime,
)
from ansible_collections.offsite.backup.plugins.module_utils.offsite_costs import monthly_estimate  # noqa: E402


def human(size):
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{size} B"
        size /= 1000.0


def list_objects(s3, bucket):
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        yield from page.get("Contents", [])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--endpoint-url")
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args()

    s3 = boto3.client("s3", endpoint_url=args.endpoint_url, region_name=args.region)
    objects = {o["Key"]: o for o in list_objects(s3, args.bucket)}
    by_target = collections.defaultdict(list)
    others = []
    for key in sorted(objects):
        parsed = parse(key)
        if parsed is None:
            others.append(key)
        else:
            by_target[parsed.dirname].append(parsed)

    total = sum(o["Size"] for o in objects.values())
    print(f"Bucket {args.bucket} ({args.endpoint_url or 'AWS'}): {len(objects)} objects, {human(total)}")
    try:
        rules = s3.get_bucket_lifecycle_configuration(Bucket=args.bucket).get("Rules", [])
    except s3.exceptions.ClientError:
        rules = []
    for rule in rules:
        flt = rule.get("Filter", {})
        where = flt.get("Prefix", flt.get("And", {}).get("Prefix", "")) or "(whole bucket)"
        moves = ", ".join(f"{t['StorageClass']} after {t.get('Days', 0)} days" for t in rule.get("Transitions", []))
        print(f"  lifecycle rule {rule['ID']}: {where} -> {moves or 'no transition'}")
    for target, files in sorted(by_target.items()):
        grouping = group_sets(files)
        size = sum(objects[f.key]["Size"] for f in files)
        print(f"\n  {target or '(bucket root)'}  {len(grouping.chains)} chain(s), {len(files)} objects, {human(size)}")
        for chain in grouping.chains:
            for backup_set in chain.sets:
                when = time_to_datetime(backup_set.end_time).strftime("%Y-%m-%d %H:%M:%S UTC")
                set_size = sum(objects[f.key]["Size"] for f in backup_set.files)
                classes = collections.Counter(objects[f.key].get("StorageClass", "STANDARD") for f in backup_set.files)
                print(
                    f"    {backup_set.type:<4} {when}  {len(backup_set.volumes):>3} volume(s)"
                    f"  {len(backup_set.manifests)} manifest  {len(backup_set.signatures)} signature"
                    f"  {human(set_size):>9}  "
                    + ", ".join(f"{name} x{count}" for name, count in sorted(classes.items()))
                )
        for orphan in grouping.orphans:
            print(f"    orphan incremental {orphan.start_time} -> {orphan.end_time}")
        cost = monthly_estimate((objects[f.key].get("StorageClass", "STANDARD"), objects[f.key]["Size"]) for f in files)
        prices = cost["prices"]
        print(f"    monthly cost about ${cost['total_usd']:.6f} ("
              + ", ".join(f"{name} ${entry['usd']:.6f}" for name, entry in sorted(cost["by_class"].items()))
              + f"; {prices['region']} list prices as of {prices['as_of']}, {prices['source']})")
    if others:
        print(f"\n  {len(others)} object(s) that are not duplicity files, e.g. {others[0]}")


if __name__ == "__main__":
    main()
