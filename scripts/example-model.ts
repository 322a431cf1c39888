// Writes examples/iris.onnx: a logistic-regression classifier for the Iris data (sepal length, sepal width,
// petal length, petal width in cm -> setosa, versicolor, virginica), for trying mlp by hand.
import { writeFileSync } from 'node:fs';
import { linearModel } from '../test/fixtures/onnx-models.ts';

const coefficients = [
  [-0.42, 0.97, -2.4, -1.03],
  [0.53, -0.32, -0.2, -0.94],
  [-0.11, -0.65, 2.6, 1.97],
];
const intercepts = [9.85, 2.23, -12.08];
const weights = coefficients[0]!.map((_, feature) => coefficients.map((row) => row[feature]!));
writeFileSync(
  new URL('../examples/iris.onnx', import.meta.url),
  linearModel(weights, intercepts, { softmax: true }),
);
console.log('wrote examples/iris.onnx');
