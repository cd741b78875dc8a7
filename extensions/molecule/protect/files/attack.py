"""What ransomware with a backup host's keys would try against its bucket.

Usage: attack.py ENDPOINT BUCKET PREFIX OTHER_PREFIX, with the host's keys in
AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Prints a JSON object: for each attempt,
"ok" or the error code S3 answered, and for the deletes, one answer per key.
"""

import json
import sys

import boto3
from botocore.exceptions import ClientError


def outcome(call, **kwargs):
    try:
        call(**kwargs)
        return 'ok'
    except ClientError as exc:
        return exc.response['Error']['Code']


def main():
    endpoint, bucket, prefix, other = sys.argv[1:5]
    s3 = boto3.client('s3', endpoint_url=endpoint, region_name='us-east-1')
    keys = [item['Key'] for page in s3.get_paginator('list_objects_v2').paginate(Bucket=bucket, Prefix=prefix)
            for item in page.get('Contents', [])]
    result = {'keys': len(keys)}
    # Versions cannot be listed with the host's keys; a guess at one is as good.
    result['delete_objects_versions'] = sorted({
        error['Code'] for error in s3.delete_objects(
            Bucket=bucket, Delete={'Objects': [{'Key': key, 'VersionId': 'null'} for key in keys]}).get('Errors', [])})
    result['delete_object_version'] = outcome(s3.delete_object, Bucket=bucket, Key=keys[0], VersionId='null')
    result['list_object_versions'] = outcome(s3.list_object_versions, Bucket=bucket, Prefix=prefix)
    result['put_bucket_versioning'] = outcome(
        s3.put_bucket_versioning, Bucket=bucket, VersioningConfiguration={'Status': 'Suspended'})
    result['put_bucket_lifecycle_configuration'] = outcome(
        s3.put_bucket_lifecycle_configuration, Bucket=bucket, LifecycleConfiguration={'Rules': [
            {'ID': 'expire-everything', 'Status': 'Enabled', 'Filter': {},
             'Expiration': {'Days': 1}, 'NoncurrentVersionExpiration': {'NoncurrentDays': 1}}]})
    result['delete_bucket_lifecycle'] = outcome(s3.delete_bucket_lifecycle, Bucket=bucket)
    result['delete_bucket_policy'] = outcome(s3.delete_bucket_policy, Bucket=bucket)
    result['put_other_prefix'] = outcome(s3.put_object, Bucket=bucket, Key=other + 'ransom.txt', Body=b'pay')
    result['delete_other_prefix'] = outcome(s3.delete_object, Bucket=bucket, Key=other + 'keep.txt')
    result['get_other_prefix'] = outcome(s3.get_object, Bucket=bucket, Key=other + 'keep.txt')
    # What the keys may do: overwrite one object, then delete every one.
    result['overwrite'] = outcome(s3.put_object, Bucket=bucket, Key=keys[-1], Body=b'encrypted by ransomware')
    result['delete_object'] = sorted({outcome(s3.delete_object, Bucket=bucket, Key=key) for key in keys})
    result['left'] = sum(page.get('KeyCount', 0) for page in
                         s3.get_paginator('list_objects_v2').paginate(Bucket=bucket, Prefix=prefix))
    print(json.dumps(result, sort_keys=True))


if __name__ == '__main__':
    main()
