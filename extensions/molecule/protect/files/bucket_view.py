"""The controller's view of a prefix: current objects (class, whether the archive tag says true), versions and
delete markers. Usage: bucket_view.py ENDPOINT BUCKET PREFIX TAG_KEY, with the controller's
keys in the environment. Prints JSON."""

import json
import sys

import boto3


def main():
    endpoint, bucket, prefix, tag_key = sys.argv[1:5]
    s3 = boto3.client('s3', endpoint_url=endpoint, region_name='us-east-1')
    current = []
    for page in s3.get_paginator('list_objects_v2').paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get('Contents', []):
            tags = s3.get_object_tagging(Bucket=bucket, Key=item['Key'])['TagSet']
            current.append({'key': item['Key'][len(prefix):], 'class': item.get('StorageClass', 'STANDARD'),
                            'archive': any(tag['Key'] == tag_key and tag['Value'] == 'true' for tag in tags)})
    versions = markers = 0
    try:
        for page in s3.get_paginator('list_object_versions').paginate(Bucket=bucket, Prefix=prefix):
            versions += len(page.get('Versions', []))
            markers += len(page.get('DeleteMarkers', []))
    except s3.exceptions.ClientError:
        pass
    print(json.dumps({'current': current, 'versions': versions, 'markers': markers}, sort_keys=True))


if __name__ == '__main__':
    main()
