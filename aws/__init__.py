"""AWS edge: wrappers that take a boto3 client and return Gatehouse dataclasses."""
