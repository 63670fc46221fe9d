"""Commands of annotation: terms, tag, untag, tags, claim, claims, describe."""
