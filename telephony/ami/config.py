"""Where one Asterisk server's AMI is and how to sign in to it."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr


class AmiServer(BaseModel):
    """One Asterisk server the engine talks to over AMI."""

    name: str = "pbx1"
    host: str = "127.0.0.1"
    port: int = Field(5038, ge=1, le=65535)
    username: str = "atende"
    secret: SecretStr = SecretStr("atende")

    @classmethod
    def from_url(cls, url: str) -> AmiServer:
        """Parse ``ami://user:secret@host:port/name`` (name optional).

        A malformed url is a ``ValueError`` that shows the url with its secret masked.
        """
        parts = urlsplit(url)
        if parts.scheme != "ami" or not parts.hostname:
            raise ValueError(f"not an AMI url (ami://user:secret@host:port/name): {masked(url)!r}")
        name = parts.path.strip("/") or parts.hostname
        return cls(
            name=name,
            host=parts.hostname,
            port=parts.port or 5038,
            username=parts.username or "atende",
            secret=SecretStr(parts.password or ""),
        )


def masked(url: str) -> str:
    """``url`` with the password of its ``user:password@`` part replaced by ``***``."""
    return re.sub(r"(//[^/@:]*:)[^/@]*@", r"\1***@", url)
