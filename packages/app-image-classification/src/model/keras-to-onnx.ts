import { ContinuumError } from '@continuum/plugin-api';
import {
  encodeModel,
  TensorType,
  type AttributeValue,
  type GraphInit,
  type NodeInit,
  type TensorInit,
} from './onnx-proto.js';

/**
 * Converts a Keras "layers" model (the format tfjs-layers stores, as nsfwjs ships MobileNetV2 and
 * InceptionV3) into ONNX opset 13. The graph takes an NHWC float input (as Keras does), transposes
 * once to NCHW, and keeps NCHW inside, which is what ONNX Runtime's CPU kernels are fastest at.
 */

export interface KerasLayer {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: unknown[];
}

export interface KerasModelConfig {
  layers: KerasLayer[];
  input_layers: [string, number, number][];
  output_layers: [string, number, number][];
}

export interface Weight {
  shape: number[];
  values: Float32Array;
}

export const INPUT_NAME = 'input';
export const OUTPUT_NAME = 'probabilities';

const floatTensor = (name: string, dims: number[], values: Float32Array): TensorInit => ({
  name,
  dims,
  type: TensorType.FLOAT,
  raw: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
});

const int64Tensor = (name: string, values: number[]): TensorInit => {
  const data = BigInt64Array.from(values.map((v) => BigInt(v)));
  return { name, dims: [values.length], type: TensorType.INT64, raw: new Uint8Array(data.buffer) };
};

const ints = (value: number[]): AttributeValue => ({ kind: 'ints', value });

/** Keras kernel [kh, kw, in, out] → ONNX [out, in, kh, kw]. */
function hwioToOihw(w: Weight): Weight {
  const [kh, kw, ci, co] = w.shape as [number, number, number, number];
  const out = new Float32Array(w.values.length);
  for (let h = 0; h < kh; h++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++)
          out[((o * ci + i) * kh + h) * kw + x] = w.values[((h * kw + x) * ci + i) * co + o] as number;
  return { shape: [co, ci, kh, kw], values: out };
}

/** Keras depthwise kernel [kh, kw, C, M] → ONNX grouped conv [C*M, 1, kh, kw]. */
function depthwiseToOnnx(w: Weight): Weight {
  const [kh, kw, c, m] = w.shape as [number, number, number, number];
  const out = new Float32Array(w.values.length);
  for (let h = 0; h < kh; h++)
    for (let x = 0; x < kw; x++)
      for (let ch = 0; ch < c; ch++)
        for (let k = 0; k < m; k++)
          out[((ch * m + k) * kh + h) * kw + x] = w.values[((h * kw + x) * c + ch) * m + k] as number;
  return { shape: [c * m, 1, kh, kw], values: out };
}

function unsupported(layer: KerasLayer, why: string): never {
  throw new ContinuumError(
    'APP_MODEL_UNSUPPORTED_LAYER',
    `Cannot convert Keras layer ${layer.name} (${layer.class_name}): ${why}.`,
    {
      hint: 'Only the layers of MobileNetV2/InceptionV3-style models are supported; export other models to ONNX yourself and pass model: {onnx, labels}.',
    },
  );
}

export function convertKerasToOnnx(
  model: KerasModelConfig,
  weights: ReadonlyMap<string, Weight>,
  options: { graphName: string; producer: string },
): { bytes: Uint8Array; inputShape: number[]; outputSize: number } {
  const nodes: NodeInit[] = [];
  const initializers: TensorInit[] = [];
  /** Layer name → output tensor name and rank (4 = NCHW feature map, 2 = flat). */
  const outputs = new Map<string, { tensor: string; rank: number; channels: number }>();
  let inputShape: number[] | undefined;
  let lastUnits = 0;

  const weight = (layer: KerasLayer, key: string): Weight => {
    const w = weights.get(`${layer.name}/${key}`);
    if (w === undefined)
      throw new ContinuumError(
        'APP_MODEL_BAD_WEIGHTS',
        `Weight ${layer.name}/${key} is missing from the weights manifest.`,
      );
    return w;
  };
  const inputsOf = (layer: KerasLayer): { tensor: string; rank: number; channels: number }[] => {
    const calls = layer.inbound_nodes as [string, number, number, unknown][][];
    if (calls.length !== 1) unsupported(layer, 'layers called more than once (shared layers)');
    return (calls[0] ?? []).map(([name]) => {
      const o = outputs.get(name);
      if (o === undefined) unsupported(layer, `input ${name} is not produced by an earlier layer`);
      return o;
    });
  };
  const addActivation = (layer: KerasLayer, input: string, activation: string): string => {
    if (activation === 'linear') return input;
    const out = `${layer.name}/${activation}`;
    const op = { relu: 'Relu', softmax: 'Softmax', sigmoid: 'Sigmoid', tanh: 'Tanh' }[activation];
    if (op === undefined) unsupported(layer, `activation ${activation}`);
    nodes.push({ op, name: out, inputs: [input], outputs: [out] });
    return out;
  };
  const spatial = (layer: KerasLayer, padding: unknown): Record<string, AttributeValue> => {
    if (padding === 'same') return { auto_pad: { kind: 'string', value: 'SAME_UPPER' } };
    if (padding === 'valid') return { auto_pad: { kind: 'string', value: 'VALID' } };
    return unsupported(layer, `padding ${String(padding)}`);
  };

  for (const layer of model.layers) {
    const c = layer.config;
    const name = layer.name;
    switch (layer.class_name) {
      case 'InputLayer': {
        const shape = c['batch_input_shape'] as (number | null)[];
        if (shape.length !== 4) unsupported(layer, 'only image inputs [batch, h, w, c] are supported');
        inputShape = shape.slice(1) as number[];
        nodes.push({
          op: 'Transpose',
          name: `${name}/nchw`,
          inputs: [INPUT_NAME],
          outputs: [`${name}/nchw`],
          attributes: { perm: ints([0, 3, 1, 2]) },
        });
        outputs.set(name, { tensor: `${name}/nchw`, rank: 4, channels: shape[3] as number });
        break;
      }
      case 'ZeroPadding2D': {
        const [x] = inputsOf(layer);
        const [[top, bottom], [left, right]] = c['padding'] as [[number, number], [number, number]];
        initializers.push(int64Tensor(`${name}/pads`, [0, 0, top, left, 0, 0, bottom, right]));
        nodes.push({ op: 'Pad', name, inputs: [x!.tensor, `${name}/pads`], outputs: [name] });
        outputs.set(name, { ...x!, tensor: name });
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const [x] = inputsOf(layer);
        const depthwise = layer.class_name === 'DepthwiseConv2D';
        const dilation = (c['dilation_rate'] as number[] | undefined) ?? [1, 1];
        const kernel = depthwise
          ? depthwiseToOnnx(weight(layer, 'depthwise_kernel'))
          : hwioToOihw(weight(layer, 'kernel'));
        initializers.push(floatTensor(`${name}/W`, kernel.shape, kernel.values));
        const inputs = [x!.tensor, `${name}/W`];
        if (c['use_bias'] === true) {
          const b = weight(layer, 'bias');
          initializers.push(floatTensor(`${name}/B`, b.shape, b.values));
          inputs.push(`${name}/B`);
        }
        nodes.push({
          op: 'Conv',
          name,
          inputs,
          outputs: [name],
          attributes: {
            kernel_shape: ints(c['kernel_size'] as number[]),
            strides: ints(c['strides'] as number[]),
            dilations: ints(dilation),
            group: { kind: 'int', value: depthwise ? x!.channels : 1 },
            ...spatial(layer, c['padding']),
          },
        });
        const out = addActivation(layer, name, (c['activation'] as string | undefined) ?? 'linear');
        outputs.set(name, { tensor: out, rank: 4, channels: kernel.shape[0] as number });
        break;
      }
      case 'BatchNormalization': {
        const [x] = inputsOf(layer);
        const axis = c['axis'] as number;
        if (axis !== -1 && axis !== 3) unsupported(layer, `axis ${axis}`);
        const mean = weight(layer, 'moving_mean');
        const n = mean.values.length;
        const gamma =
          c['scale'] === false ? { shape: [n], values: new Float32Array(n).fill(1) } : weight(layer, 'gamma');
        const beta =
          c['center'] === false ? { shape: [n], values: new Float32Array(n) } : weight(layer, 'beta');
        const variance = weight(layer, 'moving_variance');
        for (const [key, w] of [
          ['scale', gamma],
          ['B', beta],
          ['mean', mean],
          ['var', variance],
        ] as const) {
          initializers.push(floatTensor(`${name}/${key}`, [n], w.values));
        }
        nodes.push({
          op: 'BatchNormalization',
          name,
          inputs: [x!.tensor, `${name}/scale`, `${name}/B`, `${name}/mean`, `${name}/var`],
          outputs: [name],
          attributes: { epsilon: { kind: 'float', value: (c['epsilon'] as number | undefined) ?? 1e-3 } },
        });
        outputs.set(name, { ...x!, tensor: name });
        break;
      }
      case 'ReLU': {
        const [x] = inputsOf(layer);
        if (
          ((c['negative_slope'] as number | undefined) ?? 0) !== 0 ||
          ((c['threshold'] as number | undefined) ?? 0) !== 0
        ) {
          unsupported(layer, 'negative_slope/threshold other than 0');
        }
        const max = c['max_value'] as number | null | undefined;
        if (max === null || max === undefined) {
          nodes.push({ op: 'Relu', name, inputs: [x!.tensor], outputs: [name] });
        } else {
          initializers.push(
            floatTensor(`${name}/min`, [], Float32Array.of(0)),
            floatTensor(`${name}/max`, [], Float32Array.of(max)),
          );
          nodes.push({
            op: 'Clip',
            name,
            inputs: [x!.tensor, `${name}/min`, `${name}/max`],
            outputs: [name],
          });
        }
        outputs.set(name, { ...x!, tensor: name });
        break;
      }
      case 'Activation': {
        const [x] = inputsOf(layer);
        outputs.set(name, { ...x!, tensor: addActivation(layer, x!.tensor, c['activation'] as string) });
        break;
      }
      case 'Add': {
        const xs = inputsOf(layer);
        let acc = xs[0]!.tensor;
        xs.slice(1).forEach((x, i) => {
          const out = i === xs.length - 2 ? name : `${name}/${i}`;
          nodes.push({ op: 'Add', name: out, inputs: [acc, x.tensor], outputs: [out] });
          acc = out;
        });
        outputs.set(name, { ...xs[0]!, tensor: acc });
        break;
      }
      case 'Concatenate': {
        const xs = inputsOf(layer);
        const axis = c['axis'] as number;
        if (axis !== -1 && axis !== 3) unsupported(layer, `concatenation axis ${axis}`);
        nodes.push({
          op: 'Concat',
          name,
          inputs: xs.map((x) => x.tensor),
          outputs: [name],
          attributes: { axis: { kind: 'int', value: 1 } },
        });
        outputs.set(name, { tensor: name, rank: 4, channels: xs.reduce((s, x) => s + x.channels, 0) });
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const [x] = inputsOf(layer);
        const attributes = {
          kernel_shape: ints(c['pool_size'] as number[]),
          strides: ints(c['strides'] as number[]),
          ...spatial(layer, c['padding']),
        };
        // Keras "same" average pooling ignores the padded cells, as count_include_pad=0 (the default) does.
        nodes.push({
          op: layer.class_name === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool',
          name,
          inputs: [x!.tensor],
          outputs: [name],
          attributes,
        });
        outputs.set(name, { ...x!, tensor: name });
        break;
      }
      case 'GlobalAveragePooling2D': {
        const [x] = inputsOf(layer);
        nodes.push({
          op: 'GlobalAveragePool',
          name: `${name}/pool`,
          inputs: [x!.tensor],
          outputs: [`${name}/pool`],
        });
        nodes.push({
          op: 'Flatten',
          name,
          inputs: [`${name}/pool`],
          outputs: [name],
          attributes: { axis: { kind: 'int', value: 1 } },
        });
        outputs.set(name, { tensor: name, rank: 2, channels: x!.channels });
        break;
      }
      case 'Flatten': {
        const [x] = inputsOf(layer);
        // Keras flattens channels-last: go back to NHWC first so the Dense weights line up.
        let input = x!.tensor;
        if (x!.rank === 4) {
          nodes.push({
            op: 'Transpose',
            name: `${name}/nhwc`,
            inputs: [input],
            outputs: [`${name}/nhwc`],
            attributes: { perm: ints([0, 2, 3, 1]) },
          });
          input = `${name}/nhwc`;
        }
        nodes.push({
          op: 'Flatten',
          name,
          inputs: [input],
          outputs: [name],
          attributes: { axis: { kind: 'int', value: 1 } },
        });
        outputs.set(name, { tensor: name, rank: 2, channels: 0 });
        break;
      }
      case 'Dense': {
        const [x] = inputsOf(layer);
        if (x!.rank !== 2) unsupported(layer, 'Dense on a feature map (add a Flatten)');
        const k = weight(layer, 'kernel');
        initializers.push(floatTensor(`${name}/W`, k.shape, k.values));
        const inputs = [x!.tensor, `${name}/W`];
        if (c['use_bias'] !== false) {
          const b = weight(layer, 'bias');
          initializers.push(floatTensor(`${name}/B`, b.shape, b.values));
          inputs.push(`${name}/B`);
        }
        nodes.push({ op: 'Gemm', name, inputs, outputs: [name] });
        lastUnits = c['units'] as number;
        outputs.set(name, {
          tensor: addActivation(layer, name, (c['activation'] as string | undefined) ?? 'linear'),
          rank: 2,
          channels: lastUnits,
        });
        break;
      }
      case 'Dropout': {
        const [x] = inputsOf(layer);
        outputs.set(name, x!);
        break;
      }
      default:
        unsupported(layer, 'layer type not implemented');
    }
  }

  const outputLayer = model.output_layers[0]?.[0];
  const final = outputLayer === undefined ? undefined : outputs.get(outputLayer);
  if (inputShape === undefined || final === undefined || final.rank !== 2) {
    throw new ContinuumError(
      'APP_MODEL_UNSUPPORTED',
      'The Keras model must have one image input and one flat classification output.',
    );
  }
  nodes.push({ op: 'Identity', name: OUTPUT_NAME, inputs: [final.tensor], outputs: [OUTPUT_NAME] });
  const graph: GraphInit = {
    name: options.graphName,
    nodes,
    initializers,
    inputs: [{ name: INPUT_NAME, elemType: TensorType.FLOAT, shape: ['batch', ...inputShape] }],
    outputs: [{ name: OUTPUT_NAME, elemType: TensorType.FLOAT, shape: ['batch', final.channels] }],
  };
  return { bytes: encodeModel(graph, options.producer), inputShape, outputSize: final.channels };
}
