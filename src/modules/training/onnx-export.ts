import onnxProto from 'onnx-proto';
import type { TrainedNetwork } from './trainer.ts';

const { onnx } = onnxProto;

function floats(name: string, dims: number[], values: ArrayLike<number>) {
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(Float32Array.from(values).buffer),
  });
}

function tensorInfo(name: string, type: number, dims: (number | string)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: type,
        shape: { dim: dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) },
      },
    },
  });
}

/**
 * The trained network as an ONNX graph, standardisation included, so it takes raw feature values:
 * input `x` [batch, features]; a classifier outputs `probabilities` [batch, classes] and `label`
 * [batch] (the index of the likeliest class); a regressor outputs `value` [batch, 1].
 */
export function exportOnnx(network: TrainedNetwork): Uint8Array {
  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const features = network.mean.length;
  const initializer = [floats('mean', [features], network.mean), floats('std', [features], network.std)];
  const node = [
    onnx.NodeProto.create({ opType: 'Sub', input: ['x', 'mean'], output: ['centred'] }),
    onnx.NodeProto.create({ opType: 'Div', input: ['centred', 'std'], output: ['h0'] }),
  ];
  let previous = 'h0';
  network.layers.forEach((layer, i) => {
    initializer.push(
      floats(`W${i}`, [layer.inputs, layer.outputs], layer.w),
      floats(`b${i}`, [layer.outputs], layer.b),
    );
    const last = i === network.layers.length - 1;
    const output = last ? (network.output === 'softmax' ? 'logits' : 'value') : `z${i}`;
    node.push(
      onnx.NodeProto.create({ opType: 'Gemm', input: [previous, `W${i}`, `b${i}`], output: [output] }),
    );
    if (!last) {
      node.push(onnx.NodeProto.create({ opType: 'Relu', input: [output], output: [`a${i}`] }));
      previous = `a${i}`;
    }
  });
  const width = network.layers.at(-1)!.outputs;
  const output = [];
  if (network.output === 'softmax') {
    const axis = { name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 };
    node.push(
      onnx.NodeProto.create({
        opType: 'Softmax',
        input: ['logits'],
        output: ['probabilities'],
        attribute: [axis],
      }),
    );
    node.push(
      onnx.NodeProto.create({
        opType: 'ArgMax',
        input: ['probabilities'],
        output: ['label'],
        attribute: [axis, { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
      }),
    );
    output.push(tensorInfo('probabilities', FLOAT, ['batch', width]));
    output.push(tensorInfo('label', onnx.TensorProto.DataType.INT64, ['batch']));
  } else {
    output.push(tensorInfo('value', FLOAT, ['batch', 1]));
  }
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'mlp-trainer',
    graph: onnx.GraphProto.create({
      name: 'trained',
      node,
      input: [tensorInfo('x', FLOAT, ['batch', features])],
      output,
      initializer,
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}
