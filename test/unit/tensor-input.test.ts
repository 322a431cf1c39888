// predict's inputs, checked against the model before anything is allocated or run.
import { describe, expect, it } from 'vitest';
import { InputError, toFeeds } from '../../src/infra/inference/tensor-input.ts';
import type { TensorSpec } from '../../src/infra/inference/tensor-spec.ts';

const X: TensorSpec = { name: 'x', elementType: 'float32', shape: [null, 3] };
const IDS: TensorSpec = { name: 'ids', elementType: 'int64', shape: [null] };

const refusal = (specs: TensorSpec[], inputs: unknown, max = 1000) => {
  try {
    toFeeds(specs, inputs, max);
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
  throw new Error('accepted');
};

describe('toFeeds', () => {
  it('turns nested arrays into tensors, by name or bare for a one-input model', () => {
    const bare = toFeeds(
      [X],
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      1000,
    );
    expect(bare.x!.dims).toEqual([2, 3]);
    expect(Array.from(bare.x!.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    const named = toFeeds([X, IDS], { x: [[1, 2, 3]], ids: [7] }, 1000);
    expect(named.ids!.data).toEqual(BigInt64Array.of(7n));
  });

  it.each([
    ['an unknown input', [X], { y: [[1, 2, 3]] }, /unknown input "y"; the model takes "x" \[\?, 3\]/],
    ['a missing input', [X, IDS], { x: [[1, 2, 3]] }, /missing input "ids" \[\?\]/],
    ['a bare array for two inputs', [X, IDS], [[1, 2, 3]], /several inputs/],
    ['the wrong rank', [X], [1, 2, 3], /got 1 dimensions, expected 2/],
    ['a wrong fixed dimension', [X], [[1, 2]], /axis 1 has 2 elements, expected 3/],
    [
      'a ragged array',
      [X],
      [
        [1, 2, 3],
        [4, 5],
      ],
      /ragged array at \[1\]: expected 3 elements like the first row, got 2/,
    ],
    ['a string among numbers', [X], [[1, '2', 3]], /element at \[0\]\[1\] is a string, not a number/],
    ['null', [X], [[1, null, 3]], /element at \[0\]\[1\] is null/],
    ['a fraction for an integer input', [IDS], [1.5], /element at \[0\] must be an integer/],
    [
      'a number float32 cannot hold',
      [X],
      [[1, -1e39, 3]],
      /element at \[0\]\[1\] is beyond the range of float32/,
    ],
    ['an empty axis', [X], [], /axis 0 is empty/],
  ])('refuses %s, saying what the model expects', (_label, specs, inputs, message) => {
    expect(refusal(specs, inputs)).toMatch(message);
  });

  it('takes float32’s largest value as other languages print it', () => {
    // numpy and serde print float32's largest as 3.4028235e38, a double a little above it that rounds down.
    const feeds = toFeeds([X], [[3.4028235e38, -3.4028235e38, 0]], 1000);
    expect(Array.from(feeds.x!.data as Float32Array).map(Number.isFinite)).toEqual([true, true, true]);
  });

  it('refuses more elements than a request may send before allocating them', () => {
    const rows = Array.from({ length: 400 }, () => [1, 2, 3]);
    expect(refusal([X], rows, 1000)).toMatch(
      /too many elements \(1200\), the most a request may send is 1000/,
    );
    // The cap counts every input together.
    expect(refusal([X, IDS], { x: [[1, 2, 3]], ids: [1, 2] }, 4)).toMatch(/the most a request may send is 1/);
  });
});
