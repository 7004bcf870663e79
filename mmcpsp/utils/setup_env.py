import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register mmcpsp's modules (and, through ``import mmcpsp``, mmaction's).

    Args:
        init_default_scope (bool): Whether to make ``mmcpsp`` the default
            scope of the current process. Defaults to True.
    """
    import mmcpsp.datasets  # noqa: F401
    import mmcpsp.engine  # noqa: F401
    import mmcpsp.evaluation  # noqa: F401
    import mmcpsp.models  # noqa: F401
    import mmcpsp.visualization  # noqa: F401

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance('mmcpsp', scope_name='mmcpsp')
    elif current.scope_name != 'mmcpsp':
        warnings.warn(f'The current default scope "{current.scope_name}" is '
                      'not "mmcpsp"; a new scope named "mmcpsp" is created.')
        name = f'mmcpsp-{datetime.datetime.now()}'
        DefaultScope.get_instance(name, scope_name='mmcpsp')
