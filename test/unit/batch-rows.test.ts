// Stacking callers' rows into one run and cutting the outputs apart again, on plain tensors.
import { describe, expect, it } from 'vitest';
import { batchKey, concatRows, rowCount, splitRows } from '../../src/infra/inference/batch-rows.ts';
import type { TensorMap } from '../../src/infra/inference/tensor-data.ts';

const rows = (values: number[][]): TensorMap => ({
  x: { type: 'float32', dims: [values.length, values[0]!.length], data: Float32Array.from(values.flat()) },
});

describe('batch rows', () => {
  it('stacks requests in order and gives each its own rows back', () => {
    const a = rows([[1, 2]]);
    const b = rows([
      [3, 4],
      [5, 6],
    ]);
    const stacked = concatRows([a, b]);
    expect(stacked.x!.dims).toEqual([3, 2]);
    expect(Array.from(stacked.x!.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rowCount(stacked)).toBe(3);

    // A model that doubles its input, as onnxruntime would answer the stacked run.
    const doubled: TensorMap = {
      y: { type: 'float32', dims: [3, 2], data: (stacked.x!.data as Float32Array).map((v) => v * 2) },
    };
    const [first, second] = splitRows(doubled, [1, 2])!;
    expect(first!.y!.dims).toEqual([1, 2]);
    expect(Array.from(first!.y!.data as Float32Array)).toEqual([2, 4]);
    expect(second!.y!.dims).toEqual([2, 2]);
    expect(Array.from(second!.y!.data as Float32Array)).toEqual([6, 8, 10, 12]);
  });

  it('refuses to split outputs that have no row per input row', () => {
    const summary: TensorMap = { total: { type: 'float32', dims: [1], data: Float32Array.of(21) } };
    expect(splitRows(summary, [1, 2])).toBeNull();
    const scalar: TensorMap = { total: { type: 'float32', dims: [], data: Float32Array.of(21) } };
    expect(splitRows(scalar, [3])).toBeNull();
  });

  it('keys requests by everything but the batch axis, so only stackable ones share a run', () => {
    expect(batchKey(rows([[1, 2]]))).toBe(
      batchKey(
        rows([
          [3, 4],
          [5, 6],
        ]),
      ),
    );
    expect(batchKey(rows([[1, 2]]))).not.toBe(batchKey(rows([[1, 2, 3]])));
  });
});
