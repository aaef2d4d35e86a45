"""Test data from the product page this project implements (``shared/seed``, "the seed"): its
two example IAM users in the collector's raw shape, and the event its mapping table gives them."""

# The two "API Response Examples" of the seed page, in the collector's raw shape.
PROGRAMMATIC_USER = {
    "UserId": "AIDAI23HZ27SI6FQMGNHQ",
    "UserName": "lambda-execution-role",
    "Arn": "arn:aws:iam::123456789012:user/service-role/lambda-execution-role",
    "Path": "/service-role/",
    "CreateDate": "2020-06-04T10:00:00Z",
    "PasswordLastUsed": None,
    "AccessKeys": [
        {
            "AccessKeyId": "AKIA123456789EXAMPLE",
            "Status": "Active",
            "CreateDate": "2020-06-04T10:00:00Z",
        },
        {
            "AccessKeyId": "AKIA987654321EXAMPLE",
            "Status": "Active",
            "CreateDate": "2021-03-15T14:30:00Z",
        },
    ],
    "MFADevices": [],
    "ConsoleAccessEnabled": False,
    "Tags": [
        {"Key": "Purpose", "Value": "Lambda Execution"},
        {"Key": "Environment", "Value": "Production"},
    ],
    "Groups": [],
    "AttachedPolicies": [],
    "InlinePolicies": [],
    "UnknownFields": {},
}
CONSOLE_USER = {
    "UserId": "AIDACKCEVSQ6C2EXAMPLE",
    "UserName": "aws-developer-team",
    "Arn": "arn:aws:iam::123456789012:user/engineering/aws-developer-team",
    "Path": "/engineering/",
    "CreateDate": "2020-06-04T10:00:00Z",
    "PasswordLastUsed": "2025-08-26T09:30:00Z",
    "AccessKeys": [
        {
            "AccessKeyId": "AKIAIOSFODNN7EXAMPLE",
            "Status": "Active",
            "CreateDate": "2025-01-10T11:00:00Z",
        },
    ],
    "MFADevices": [
        {
            "SerialNumber": "arn:aws:iam::123456789012:mfa/aws-developer-team",
            "EnableDate": "2020-07-15T14:00:00Z",
        },
    ],
    "ConsoleAccessEnabled": True,
    "Tags": [
        {"Key": "Department", "Value": "Engineering"},
        {"Key": "Environment", "Value": "Development"},
    ],
    "Groups": [],
    "AttachedPolicies": [],
    "InlinePolicies": [],
    "UnknownFields": {},
}

# The seed's example event, except `time` and `created_time`: the seed prints 1591275600, which is
# 2020-06-04T13:00:00Z; CreateDate 2020-06-04T10:00:00Z is 1591264800 in UTC.
CREATED_EPOCH = 1591264800
# The constant fields of every event the table prescribes, in the table's order.
TABLE_CONSTANTS = {
    "activity_id": 2,
    "activity_name": "Collect",
    "category_name": "Discovery",
    "category_uid": 5,
    "class_name": "User Inventory Info",
    "class_uid": 5003,
    "type_name": "User Inventory Info: Collect",
    "type_uid": 500302,
    "severity": "Informational",
    "severity_id": 1,
}
SEED_TABLE_EVENT = {
    **TABLE_CONSTANTS,
    "time": CREATED_EPOCH,
    "metadata": {"product": {"name": "AWS IAM", "version": "1.6.0"}, "version": "1.6.0"},
    "user": {
        "uid": "AIDAI23HZ27SI6FQMGNHQ",
        "name": "lambda-execution-role",
        "full_name": "lambda-execution-role",
        "path": "/service-role/",
        "is_console_user": False,
        "has_mfa": False,
        "access_keys_count": 2,
        "password_last_used_time": None,
        "created_time": CREATED_EPOCH,
        "tags": {"Purpose": "Lambda Execution", "Environment": "Production"},
        "account": {
            "uid": "arn:aws:iam::123456789012:user/service-role/lambda-execution-role",
            "name": "lambda-execution-role",
            "type": "AWS IAM",
            "type_id": 40,
        },
    },
}
# Beyond the seed's table, every event names the user's AWS account where OCSF puts it.
ACCOUNT_CLOUD = {
    "provider": "AWS",
    "account": {"uid": "123456789012", "type": "AWS Account", "type_id": 10},
}
SEED_EVENT = {**SEED_TABLE_EVENT, "cloud": ACCOUNT_CLOUD}
