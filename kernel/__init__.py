"""The kernel: what every layer may use and that uses none of them.

- `bus`: the event bus interface, an in-process implementation and one over Redis
- `clock`: UTC inside, Moscow time outside, and the fixed-width text stamps the database keeps
- `phones`: Russian mobile numbers in one form (+7XXXXXXXXXX)
- `ids`: random identifiers (the id of a running instance)
- `text`: text from outside made safe to keep (no lone surrogates or control characters)

It imports nothing of the product (an import-linter contract in pyproject.toml keeps it so).
"""
