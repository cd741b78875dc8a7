"""Make the scenario's IAM users afresh: controller (may do anything) and pi-backup (no
policy; the bucket role attaches the generated one). Usage: iam_users.py ENDPOINT FILE,
with any keys in the environment while moto does not enforce IAM. Writes both users'
access keys to FILE (0600) as JSON: {"controller": {"id", "secret"}, "pi": {...}}.

boto3 rather than amazon.aws.iam_user: removing a user there asks for service-specific
credentials, which moto does not implement."""

import json
import os
import sys

import boto3

ADMIN = {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}]}


def main():
    endpoint, path = sys.argv[1:3]
    iam = boto3.client('iam', endpoint_url=endpoint, region_name='us-east-1')
    keys = {}
    for user, label in (('controller', 'controller'), ('pi-backup', 'pi')):
        try:
            for key in iam.list_access_keys(UserName=user)['AccessKeyMetadata']:
                iam.delete_access_key(UserName=user, AccessKeyId=key['AccessKeyId'])
            for name in iam.list_user_policies(UserName=user)['PolicyNames']:
                iam.delete_user_policy(UserName=user, PolicyName=name)
            iam.delete_user(UserName=user)
        except iam.exceptions.NoSuchEntityException:
            pass
        iam.create_user(UserName=user)
        key = iam.create_access_key(UserName=user)['AccessKey']
        keys[label] = {'id': key['AccessKeyId'], 'secret': key['SecretAccessKey']}
    iam.put_user_policy(UserName='controller', PolicyName='administrator', PolicyDocument=json.dumps(ADMIN))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as handle:
        json.dump(keys, handle)


if __name__ == '__main__':
    main()
