# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Do, for tests, what S3 would do when a bucket's lifecycle transitions fall due.

moto stores lifecycle configurations but never runs them. This reads the bucket's
configuration, evaluates every enabled rule's filter (prefix, tag, object size, or an
And of them) against each object under --prefix, and copies each object that a rule
with a transition matches onto itself with that rule's coldest storage class, ignoring
the days (everything the rules would ever move, moves now). It prints JSON: the moved
keys with their class, and every key's storage class afterwards, with the kind the
collection's filename grammar gives it.
"""

# First: re-runs this script in the harness venv if need be, and makes this checkout
# importable as the collection.
import checkout_env  # noqa: F401 pylint: disable=unused-import

import argparse
import json

import boto3
from botocore.exceptions import ClientError


from ansible_collections.offsite.backup.plugins.module_utils.duplicity_names import parse

COLDNESS = ["STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"]


def conditions(rule):
    """The rule's filter as (prefix, tags, size_gt, size_lt)."""
    flt = rule.get("Filter")
    if flt is None:
        return rule.get("Prefix", ""), {}, None, None
    if "And" in flt:
        flt = flt["And"]
        tags = {t["Key"]: t["Value"] for t in flt.get("Tags", [])}
    else:
        tags = {flt["Tag"]["Key"]: flt["Tag"]["Value"]} if "Tag" in flt else {}
    return flt.get("Prefix", ""), tags, flt.get("ObjectSizeGreaterThan"), flt.get("ObjectSizeLessThan")


def matches(rule, obj, object_tags):
    prefix, tags, size_gt, size_lt = conditions(rule)
    if not obj["Key"].startswith(prefix):
        return False
    if size_gt is not None and not obj["Size"] > size_gt:
        return False
    if size_lt is not None and not obj["Size"] < size_lt:
        return False
    return all(object_tags().get(k) == v for k, v in tags.items())


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--prefix", default="")
    parser.add_argument("--endpoint-url")
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args()

    s3 = boto3.client("s3", endpoint_url=args.endpoint_url, region_name=args.region)
    try:
        rules = s3.get_bucket_lifecycle_configuration(Bucket=args.bucket)["Rules"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchLifecycleConfiguration":
            raise
        rules = []
    rules = [r for r in rules if r.get("Status") == "Enabled" and r.get("Transitions")]

    moved = {}
    objects = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=args.bucket, Prefix=args.prefix):
        objects.extend(page.get("Contents", []))
    for obj in objects:
        # Already moved: S3 keeps archived objects' tags readable, but moto answers
        # InvalidObjectState, and a moved object has nowhere colder to go here.
        if obj.get("StorageClass", "STANDARD") in ("GLACIER", "DEEP_ARCHIVE"):
            continue
        cache = {}

        def object_tags(key=obj["Key"]):
            if "tags" not in cache:
                tag_set = s3.get_object_tagging(Bucket=args.bucket, Key=key)["TagSet"]
                cache["tags"] = {t["Key"]: t["Value"] for t in tag_set}
            return cache["tags"]

        classes = [t["StorageClass"] for r in rules if matches(r, obj, object_tags) for t in r["Transitions"]]
        if not classes:
            continue
        target = max(classes, key=COLDNESS.index)
        if obj.get("StorageClass", "STANDARD") == target:
            continue
        s3.copy_object(Bucket=args.bucket, Key=obj["Key"], StorageClass=target, MetadataDirective="COPY",
                       TaggingDirective="COPY", CopySource={"Bucket": args.bucket, "Key": obj["Key"]})
        moved[obj["Key"]] = target

    after = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=args.bucket, Prefix=args.prefix):
        for obj in page.get("Contents", []):
            parsed = parse(obj["Key"])
            after.append({"key": obj["Key"], "storage_class": obj.get("StorageClass", "STANDARD"),
                          "kind": parsed.kind if parsed else None,
                          "category": parsed.category if parsed else None})
    print(json.dumps({"rules": [r["ID"] for r in rules], "moved": moved, "objects": after}))


if __name__ == "__main__":
    main()
