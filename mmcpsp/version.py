__version__ = '0.1.0'


def parse_version_info(version_str: str) -> tuple:
    """Parse ``'1.2.0rc1'`` into ``(1, 2, 0, 'rc1')``."""
    parts = []
    for part in version_str.split('.'):
        digits = ''.join(ch for ch in part if ch.isdigit())
        rest = part[len(digits):]
        parts.append(int(digits) if digits else 0)
        if rest:
            parts.append(rest)
    return tuple(parts)


version_info = parse_version_info(__version__)
