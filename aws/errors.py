"""AwsError, and the one place where AWS and network failures become plain words."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from domain.errors import AwsError  # services catch it without importing aws/

__all__ = ["AwsError", "aws_errors"]

# Why AWS said no, keyed by (operation, code) first and by code alone second.
_HINTS: dict[tuple[str, str] | str, str] = {
    ("AssumeRole", "AccessDenied"): (
        "the role's trust policy does not allow the Gatehouse principal"
    ),
    ("AssumeRole", "PackedPolicyTooLarge"): "the session policy and tags are too large",
    ("AssumeRole", "RegionDisabledException"): "STS is not enabled in this region",
    ("CreateAccessKey", "LimitExceeded"): "the user already has two access keys",
    ("PutRolePolicy", "LimitExceeded"): (
        "the role's inline policies are full (10,240 characters); old revoke denies must go first"
    ),
    "AccessDenied": "Gatehouse's AWS identity is not allowed to do this",
    "AccessDeniedException": "Gatehouse's AWS identity is not allowed to do this",
    "NoSuchEntity": "it does not exist",
    "ExpiredToken": "Gatehouse's own AWS credentials have expired",
    "ExpiredTokenException": "Gatehouse's own AWS credentials have expired",
    "InvalidClientTokenId": "Gatehouse's AWS credentials are not valid",
    "SignatureDoesNotMatch": "Gatehouse's AWS secret key is wrong",
    "Throttling": "AWS is limiting the request rate; try again in a minute",
    "ThrottlingException": "AWS is limiting the request rate; try again in a minute",
    "LimitExceeded": "an AWS account limit was reached",
    "MalformedPolicyDocument": "AWS rejected the policy document",
    "ServiceFailure": "AWS had an internal failure; try again later",
}


@contextmanager
def aws_errors(target: str) -> Iterator[None]:
    """Turn any AWS or network failure inside the block into an AwsError about `target`."""
    try:
        yield
    except ClientError as error:
        raise _from_client_error(error, target) from error
    except (EndpointConnectionError, ConnectTimeoutError) as error:
        message = f"Could not reach AWS about {target}: no connection"
        raise AwsError(message, "Unreachable") from error
    except ReadTimeoutError as error:
        raise AwsError(f"AWS did not answer in time about {target}", "Timeout") from error
    except (NoCredentialsError, PartialCredentialsError) as error:
        message = f"Gatehouse has no usable AWS credentials, so it cannot act on {target}"
        raise AwsError(message, "NoCredentials") from error
    except BotoCoreError as error:
        raise AwsError(f"AWS call about {target} failed: {error}", type(error).__name__) from error
    except OSError:
        # Plain HTTP calls (the federation endpoint) fail as OSError; their text holds the
        # request URL, which may carry session credentials, so neither text nor cause is kept.
        raise AwsError(f"Could not reach {target}: network failure", "Unreachable") from None


def _from_client_error(error: ClientError, target: str) -> AwsError:
    details = error.response.get("Error", {})
    code = str(details.get("Code") or "Unknown")
    operation = error.operation_name
    hint = _HINTS.get((operation, code)) or _HINTS.get(code)
    reason = hint or str(details.get("Message") or "no reason given").rstrip(".")
    return AwsError(f"AWS refused {operation} on {target}: {code} — {reason}", code)
