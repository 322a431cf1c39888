import { type InferenceSession, Tensor } from 'onnxruntime-node';
import { InferenceError } from './inference-errors.ts';
import type { TensorMap } from './tensor-data.ts';

/** One onnxruntime run, plain tensors in and out. */
export async function runSession(
  session: InferenceSession,
  feeds: TensorMap,
  outputNames: readonly string[],
): Promise<TensorMap> {
  const inputs: Record<string, Tensor> = {};
  for (const [name, tensor] of Object.entries(feeds)) {
    inputs[name] = new Tensor(tensor.type, tensor.data, tensor.dims);
  }
  let results: InferenceSession.ReturnType;
  try {
    results = await session.run(inputs, outputNames);
  } catch (error) {
    throw new InferenceError(error instanceof Error ? error.message : String(error));
  }
  const outputs: TensorMap = {};
  for (const name of outputNames) {
    const tensor = results[name]!;
    outputs[name] = { type: tensor.type, dims: tensor.dims, data: tensor.data } as TensorMap[string];
  }
  return outputs;
}
