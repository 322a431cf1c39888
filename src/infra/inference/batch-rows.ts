import { rowSize, type TensorData, type TensorMap, TYPED_ARRAYS } from './tensor-data.ts';

/**
 * Requests may share one run when every input has the same shape after the batch axis: this key says
 * which. (Most models fix those axes, so all their requests share a key.)
 */
export function batchKey(feeds: TensorMap): string {
  let key = '';
  for (const name of Object.keys(feeds).sort()) key += `${name}:${feeds[name]!.dims.slice(1).join('x')};`;
  return key;
}

export function rowCount(feeds: TensorMap): number {
  return Object.values(feeds)[0]!.dims[0]!;
}

/** Stacks requests' inputs along the batch axis, in order. All of them must share a `batchKey`. */
export function concatRows(requests: TensorMap[]): TensorMap {
  const first = requests[0]!;
  const stacked: TensorMap = {};
  for (const name of Object.keys(first)) {
    const parts = requests.map((feeds) => feeds[name]!);
    const rows = parts.reduce((sum, part) => sum + part.dims[0]!, 0);
    const { type, dims } = parts[0]!;
    const data = new TYPED_ARRAYS[type](rows * rowSize(parts[0]!));
    let offset = 0;
    for (const part of parts) {
      data.set(part.data as never, offset);
      offset += part.data.length;
    }
    stacked[name] = { type, dims: [rows, ...dims.slice(1)], data };
  }
  return stacked;
}

/**
 * Cuts a batched run's outputs back into each request's rows. Null when an output does not have one row
 * per input row (the model is not batchable after all): its requests must then run one by one.
 */
export function splitRows(outputs: TensorMap, rowCounts: number[]): TensorMap[] | null {
  const total = rowCounts.reduce((sum, rows) => sum + rows, 0);
  const results: TensorMap[] = rowCounts.map(() => ({}));
  for (const [name, tensor] of Object.entries(outputs)) {
    if (tensor.dims.length === 0 || tensor.dims[0] !== total) return null;
    const width = rowSize(tensor);
    let row = 0;
    rowCounts.forEach((rows, i) => {
      const part: TensorData = {
        type: tensor.type,
        dims: [rows, ...tensor.dims.slice(1)],
        data: tensor.data.subarray(row * width, (row + rows) * width),
      };
      results[i]![name] = part;
      row += rows;
    });
  }
  return results;
}
