"""Container image references: repository, tag and digest."""

from __future__ import annotations


def image_reference(image: str) -> tuple[str, str | None, str | None]:
    """(repository, tag, digest); a registry port (`host:5000/app`) is not a tag."""
    name, _, digest = image.partition("@")
    last_slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > last_slash:
        return name[:colon], name[colon + 1 :], digest or None
    return name, None, digest or None


def unpinned_reason(image: str) -> str | None:
    """Why an image is not pinned ('no tag', "the 'latest' tag"), or None when it is."""
    _, tag, digest = image_reference(image)
    if digest is not None:
        return None
    if tag is None:
        return "no tag"
    if tag == "latest":
        return "the 'latest' tag"
    return None
