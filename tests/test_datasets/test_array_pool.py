import pickle
from unittest import TestCase

import numpy as np
import torch

from mmcpsp.datasets.array_pool import ArrayRecycler


class TestArrayRecycler(TestCase):

    def test_reuses_an_array_nobody_holds(self):
        recycler = ArrayRecycler()
        first = recycler.empty((4, 3), np.float32)
        address = first.ctypes.data
        del first
        again = recycler.empty((4, 3), np.float32)
        self.assertEqual(again.ctypes.data, address)
        self.assertEqual((again.shape, again.dtype), ((4, 3), np.float32))

    def test_never_hands_out_an_array_still_held(self):
        recycler = ArrayRecycler()
        holders = {
            'the array': lambda array: array,
            'a numpy view': lambda array: array[1:],
            'a tensor': torch.from_numpy,
            'a view of a tensor': lambda array: torch.from_numpy(array)[0],
        }
        for name, hold in holders.items():
            with self.subTest(holder=name):
                array = recycler.empty((2, 5), np.float64)
                array[:] = 7
                held = hold(array)
                del array
                other = recycler.empty((2, 5), np.float64)
                other[:] = 0
                self.assertTrue(bool((np.asarray(held) == 7).all()))
                del held, other

    def test_shapes_and_dtypes_are_kept_apart(self):
        recycler = ArrayRecycler()
        array = recycler.empty((3, ), np.float32)
        address = array.ctypes.data
        del array
        other = recycler.empty((3, ), np.float64)
        self.assertNotEqual(other.ctypes.data, address)
        self.assertEqual(other.dtype, np.float64)

    def test_keeps_at_most_max_arrays(self):
        recycler = ArrayRecycler(max_arrays=2)
        held = [recycler.empty((8, ), np.int64) for _ in range(3)]
        addresses = [array.ctypes.data for array in held]
        del held
        again = [recycler.empty((8, ), np.int64) for _ in range(2)]
        self.assertEqual(
            sorted(array.ctypes.data for array in again),
            sorted(addresses[:2]))

    def test_pickles_without_its_arrays(self):
        recycler = ArrayRecycler(max_arrays=3)
        kept = recycler.empty((1000, ), np.float64)
        copy = pickle.loads(pickle.dumps(recycler))
        self.assertEqual(copy.max_arrays, 3)
        self.assertLess(len(pickle.dumps(recycler)), 200)
        self.assertIsNot(copy.empty((1000, ), np.float64), kept)
