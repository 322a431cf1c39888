import type { NumericElementType } from './tensor-spec.ts';

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/**
 * A tensor as plain data: what crosses to an inference worker (onnxruntime's Tensor class does not
 * survive postMessage) and what batches are cut from. Row-major; `dims[0]` is the batch axis.
 */
export type TensorData = { type: NumericElementType; dims: readonly number[]; data: TypedArray };

export type TensorMap = Record<string, TensorData>;

export const TYPED_ARRAYS: Record<NumericElementType, { new (length: number): TypedArray }> = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
};

/** Elements in one row: the product of every axis after the first. */
export function rowSize(tensor: TensorData): number {
  let size = 1;
  for (let axis = 1; axis < tensor.dims.length; axis++) size *= tensor.dims[axis]!;
  return size;
}
