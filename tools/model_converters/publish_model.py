"""Publish a checkpoint: its weights and what inference needs, hash-named.

    python tools/model_converters/publish_model.py IN OUT [--trust-checkpoint]

MMAction2's and MMDetection's convention. The optimizer, the message hub,
the parameter schedulers and whatever else only resumes training are
dropped; ``state_dict`` and ``meta`` are kept (the config in ``meta['cfg']``
and the class names in ``meta['dataset_meta']``, from which
``init_localizer(None, FILE)`` builds the model and names its classes). The
file is written as ``OUT`` with the first 8 hex digits of its SHA-256 before
``.pth`` (``OUT=work_dirs/cpsp_fully_ave.pth`` ->
``work_dirs/cpsp_fully_ave-1a2b3c4d.pth``), whole or not at all. A
checkpoint of ``tools/train.py`` and the output of
``convert_official_cpsp.py`` / ``convert_official_avvp.py`` publish alike.
mmcpsp checks such a name whenever it loads the file (``init_localizer``,
``tools/test.py``, ``load_from``) and stops with one line if the file does
not match it.
"""
import argparse
import os.path as osp
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)
from mmcpsp.utils.checkpoint import (  # noqa: E402
    CheckpointError,
    load_checkpoint_file,
    trust_checkpoints,
)
from mmcpsp.utils.published_checkpoint import (  # noqa: E402
    save_published,
    sha256_of,
    strip_for_publishing,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Keep the weights and the inference meta of a '
        'checkpoint and name the file by its SHA-256')
    parser.add_argument('in_file', help='the checkpoint to publish')
    parser.add_argument(
        'out_file',
        help='NAME.pth: the file written is NAME-<sha256[:8]>.pth')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='load IN even if it needs types beyond those of runner '
        'checkpoints: its pickle may run code, so only for files you trust')
    return parser.parse_args()


def publish(in_file: str, out_file: str) -> str:
    """Publish ``in_file`` as ``out_file`` with its hash; the path written.

    Raises:
        CheckpointError: ``in_file`` cannot be read or holds no
            ``state_dict``.
    """
    checkpoint = load_checkpoint_file(in_file, map_location='cpu')
    if not isinstance(checkpoint, dict) or 'state_dict' not in checkpoint:
        raise CheckpointError(
            f'{in_file} holds no state_dict: publish a checkpoint of '
            'tools/train.py or of a model converter.')
    published, dropped = strip_for_publishing(checkpoint)
    final_path = save_published(published, out_file)
    kept = ', '.join(published)
    dropped_text = ', '.join(dropped) if dropped else 'nothing'
    print(f'Published {in_file} as {final_path} (sha256 '
          f'{sha256_of(final_path)}): kept {kept}; dropped {dropped_text}.')
    meta = published.get('meta') or {}
    missing = [key for key in ('cfg', 'dataset_meta') if key not in meta]
    if missing:
        print(f'Its meta holds no {" or ".join(missing)}: give '
              'init_localizer and tools/test.py the config, whose dataset '
              'names the classes.')
    return final_path


def main() -> None:
    args = parse_args()
    try:
        with trust_checkpoints(args.trust_checkpoint):
            publish(args.in_file, args.out_file)
    except CheckpointError as error:
        raise SystemExit(f'Checkpoint error: {error}') from None


if __name__ == '__main__':
    main()
