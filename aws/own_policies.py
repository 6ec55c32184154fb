"""IAM edge: the identity policies of the principal Gatehouse itself runs as."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

from botocore.client import BaseClient

from aws.errors import AwsError, aws_errors

Document = dict[str, Any]
_USER = re.compile(r"^arn:aws[\w-]*:iam::\d{12}:user/(?:[\w+=,.@/-]*/)?([\w+=,.@-]{1,64})$")
_SESSION = re.compile(r"^arn:aws[\w-]*:sts::\d{12}:assumed-role/([\w+=,.@-]{1,64})/.+$")


def own_policy_documents(iam: BaseClient, caller_arn: str) -> list[Document]:
    """Every identity policy document of `caller_arn` (GetCallerIdentity's ARN): inline and
    attached, and for a user those of its groups too. AwsError when they cannot be read."""
    if user := _USER.match(caller_arn):
        return _user_documents(iam, user.group(1), caller_arn)
    if role := _SESSION.match(caller_arn):
        return _role_documents(iam, role.group(1), caller_arn)
    raise AwsError(f"{caller_arn} is neither an IAM user nor an assumed role, so its "
                   "policies cannot be listed", "UnknownPrincipal")


def _user_documents(iam: BaseClient, name: str, arn: str) -> list[Document]:
    with aws_errors(arn):
        inline = [_decoded(iam.get_user_policy(UserName=name, PolicyName=p)["PolicyDocument"])
                  for p in _listed(iam, "list_user_policies", "PolicyNames", UserName=name)]
        attached = _listed(iam, "list_attached_user_policies", "AttachedPolicies", UserName=name)
        groups = [g["GroupName"] for g in _listed(iam, "list_groups_for_user", "Groups",
                                                  UserName=name)]
        for group in groups:
            inline += [_decoded(iam.get_group_policy(GroupName=group, PolicyName=p)
                                ["PolicyDocument"])
                       for p in _listed(iam, "list_group_policies", "PolicyNames",
                                        GroupName=group)]
            attached += _listed(iam, "list_attached_group_policies", "AttachedPolicies",
                                GroupName=group)
        return inline + [_managed(iam, p["PolicyArn"]) for p in attached]


def _role_documents(iam: BaseClient, name: str, arn: str) -> list[Document]:
    with aws_errors(arn):
        inline = [_decoded(iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"])
                  for p in _listed(iam, "list_role_policies", "PolicyNames", RoleName=name)]
        attached = _listed(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name)
        return inline + [_managed(iam, p["PolicyArn"]) for p in attached]


def _listed(iam: BaseClient, operation: str, field: str, **kwargs: str) -> list[Any]:
    pages = iam.get_paginator(operation).paginate(**kwargs)
    return [item for page in pages for item in page[field]]


def _managed(iam: BaseClient, policy_arn: str) -> Document:
    version = iam.get_policy(PolicyArn=policy_arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=policy_arn, VersionId=version)
    return _decoded(document["PolicyVersion"]["Document"])


def _decoded(document: Document | str) -> Document:
    """IAM returns documents URL-encoded; boto3 usually decodes them, not always."""
    if isinstance(document, str):
        return json.loads(unquote(document))
    return document
