import gc
import pickle
from functools import partial
from multiprocessing.reduction import ForkingPickler
from unittest import TestCase, skipUnless

import torch
from torch.utils.data import DataLoader, Dataset

from mmcpsp.datasets import shared_batch
from mmcpsp.datasets.collate import avel_collate
from mmcpsp.datasets.shared_batch import (
    SharedBatch,
    shared_memory_available,
    stack_into_shared,
)
from mmcpsp.datasets.transforms import PackAVELInputs
from mmcpsp.structures import BATCH_LABELS, GT_SEGMENT_LABELS

needs_memfd = skipUnless(shared_memory_available(), 'needs memfd (Linux)')


def features(value: float, size: int = 6) -> torch.Tensor:
    return torch.full((2, size), float(value))


def send(batch: SharedBatch) -> dict:
    """What the main process gets from a worker's result queue."""
    return pickle.loads(ForkingPickler.dumps(batch))


@needs_memfd
class TestSharedBatch(TestCase):

    def setUp(self):
        # A fresh pool for each test, in this process.
        shared_batch._POOL = None

    def make(self, values, max_slots=shared_batch.DEFAULT_MAX_SLOTS):
        tensors = {
            ('inputs', 'x'): [features(value) for value in values],
            ('labels', 'y'): [torch.tensor(int(value)) for value in values],
        }
        batch = {'inputs': {}, 'labels': {}, 'data_samples': list(values)}
        return stack_into_shared(batch, tensors, max_slots=max_slots)

    def pool(self):
        return shared_batch._pool(shared_batch.DEFAULT_MAX_SLOTS)

    def test_unpickles_as_a_plain_dict_of_the_stacked_tensors(self):
        batch = self.make([1, 2, 3])
        self.assertIsInstance(batch, SharedBatch)
        received = send(batch)
        self.assertIs(type(received), dict)
        self.assertEqual(received['data_samples'], [1, 2, 3])
        self.assertTrue(
            torch.equal(received['inputs']['x'],
                        torch.stack([features(v) for v in (1, 2, 3)])))
        self.assertTrue(
            torch.equal(received['labels']['y'], torch.tensor([1, 2, 3])))
        self.assertEqual(received['labels']['y'].dtype, torch.int64)

    def test_slot_is_leased_until_every_tensor_and_view_is_freed(self):
        received = send(self.make([1, 2]))
        (slot, ) = self.pool().slots
        self.assertFalse(slot.is_free())
        view = received['inputs']['x'][1, 0, :3]
        del received
        gc.collect()
        self.assertFalse(slot.is_free())
        self.assertTrue(torch.equal(view, torch.full((3, ), 2.)))
        del view
        self.assertTrue(slot.is_free())

    def test_a_free_slot_is_reused_and_a_leased_one_is_not(self):
        first = send(self.make([1, 2]))
        second = send(self.make([3, 4]))
        self.assertEqual(len(self.pool().slots), 2)
        # Writing the second batch left the first intact.
        self.assertTrue(torch.equal(first['labels']['y'], torch.tensor([1, 2])))
        del first
        third = send(self.make([5, 6]))
        self.assertEqual(len(self.pool().slots), 2)
        self.assertTrue(torch.equal(second['labels']['y'], torch.tensor([3, 4])))
        self.assertTrue(torch.equal(third['labels']['y'], torch.tensor([5, 6])))

    def test_keeps_one_free_slot_at_most(self):
        held = [send(self.make([value])) for value in range(4)]
        self.assertEqual(len(self.pool().slots), 4)
        del held
        kept = send(self.make([7]))
        # One slot for the new batch and one spare: two were closed.
        self.assertEqual(len(self.pool().slots), 2)
        self.assertEqual(sum(slot.is_free() for slot in self.pool().slots), 1)
        self.assertTrue(torch.equal(kept['labels']['y'], torch.tensor([7])))

    def test_smaller_batches_fit_in_a_larger_slot(self):
        del_me = send(self.make([1, 2, 3, 4]))
        del del_me
        last = send(self.make([9]))
        self.assertEqual(len(self.pool().slots), 1)
        self.assertTrue(torch.equal(last['inputs']['x'], features(9)[None]))

    def test_past_max_slots_batches_use_one_off_segments(self):
        held = [send(self.make([value], max_slots=2)) for value in range(4)]
        self.assertEqual(len(shared_batch._pool(2).slots), 2)
        for value, batch in enumerate(held):
            self.assertTrue(
                torch.equal(batch['labels']['y'], torch.tensor([value])))

    def test_mixed_shapes_or_dtypes_are_left_to_the_caller(self):
        batch = {'inputs': {}}
        mixed_shapes = {('inputs', 'x'): [features(1, 6), features(2, 5)]}
        mixed_dtypes = {('inputs', 'x'): [features(1), features(2).double()]}
        self.assertIsNone(stack_into_shared(batch, mixed_shapes))
        self.assertIsNone(stack_into_shared(batch, mixed_dtypes))
        self.assertEqual(self.pool().slots, [])


class IndexedSamples(Dataset):
    """Packed AVEL samples whose features and labels encode the index."""

    def __len__(self):
        return 20

    def __getitem__(self, index):
        return PackAVELInputs().transform(
            dict(
                audio=torch.full((10, 128), float(index)).numpy(),
                visual=torch.full((10, 7, 7, 4), float(index)).numpy(),
                segment_labels=torch.full((10, ), index),
                sample_idx=index))


def check_batch(test: TestCase, batch: dict) -> None:
    indices = [sample.sample_idx for sample in batch['data_samples']]
    expected = torch.tensor(indices, dtype=torch.float32)
    test.assertIs(type(batch), dict)
    test.assertTrue(
        torch.equal(batch['inputs']['visual'],
                    expected[:, None, None, None, None].expand(
                        -1, 10, 7, 7, 4)))
    test.assertTrue(
        torch.equal(batch['inputs']['audio'],
                    expected[:, None, None].expand(-1, 10, 128)))
    test.assertTrue(
        torch.equal(batch[BATCH_LABELS][GT_SEGMENT_LABELS],
                    expected.long()[:, None].expand(-1, 10)))


class TestThroughDataLoaderWorkers(TestCase):

    def loader(self):
        return DataLoader(
            IndexedSamples(),
            batch_size=3,
            num_workers=2,
            persistent_workers=True,
            collate_fn=avel_collate)

    def test_batches_held_across_epochs_stay_intact(self):
        loader = self.loader()
        held = [batch for _ in range(3) for batch in loader]
        self.assertEqual(len(held), 21)
        for batch in held:
            check_batch(self, batch)

    def test_dropped_batches_are_right_when_received(self):
        loader = self.loader()
        for _ in range(4):
            for batch in loader:
                check_batch(self, batch)


def collate_and_tell(data_batch, reuse_memory=True):
    batch = avel_collate(data_batch, reuse_memory=reuse_memory)
    batch['collated_as'] = type(batch).__name__
    return batch


@needs_memfd
class TestWorkersUseTheSlots(TestCase):

    def test_a_worker_collates_into_a_slot(self):
        loader = DataLoader(
            IndexedSamples(),
            batch_size=4,
            num_workers=1,
            collate_fn=collate_and_tell)
        for batch in loader:
            self.assertEqual(batch.pop('collated_as'), 'SharedBatch')
            check_batch(self, batch)

    def test_reuse_memory_false_collates_as_pytorch_does(self):
        loader = DataLoader(
            IndexedSamples(),
            batch_size=4,
            num_workers=1,
            collate_fn=partial(collate_and_tell, reuse_memory=False))
        for batch in loader:
            self.assertEqual(batch.pop('collated_as'), 'dict')
            self.assertTrue(batch['inputs']['visual'].is_shared())
            check_batch(self, batch)
