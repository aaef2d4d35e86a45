"""What the two collection strategies must agree on: a raw user without what only one of them
can know (key and certificate ids: the credential report has none), its keys and certificates in
a stable order. Policies and their documents must be the same."""

IGNORED_BY_COMPARISON = (
    "AccessKeys[].AccessKeyId",
    "SigningCertificates[].CertificateId",
)


def comparable(user: dict) -> dict:
    """``user`` as both strategies must read it alike (when a carried fact was read is not
    the fact)."""
    user = dict(user)
    user.pop("FactsReadAt", None)
    for listing, id_key, order in (
        ("AccessKeys", "AccessKeyId", ("CreateDate", "Status")),
        ("SigningCertificates", "CertificateId", ("UploadDate", "Status")),
    ):
        if user[listing] is not None:
            user[listing] = sorted(
                ({k: v for k, v in item.items() if k != id_key} for item in user[listing]),
                key=lambda item, order=order: tuple(item[k] or "" for k in order),
            )
    return user
