/**
 * A minimal protobuf writer for the subset of onnx.proto the converter emits (ModelProto, GraphProto,
 * NodeProto, AttributeProto, TensorProto, ValueInfoProto). Hand-written so building the model needs
 * no protobuf dependency; field numbers are those of onnx/onnx.proto (IR version 8).
 */

class Writer {
  private chunks: Uint8Array[] = [];
  private size = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      out.push(byte);
    } while (v !== 0n);
    this.push(Uint8Array.from(out));
  }

  tag(field: number, wireType: 0 | 1 | 2 | 5): void {
    this.varint((field << 3) | wireType);
  }

  intField(field: number, value: number | bigint): void {
    this.tag(field, 0);
    this.varint(value);
  }

  floatField(field: number, value: number): void {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
  }

  bytesField(field: number, bytes: Uint8Array): void {
    this.tag(field, 2);
    this.varint(bytes.length);
    this.push(bytes);
  }

  stringField(field: number, value: string): void {
    this.bytesField(field, new TextEncoder().encode(value));
  }

  messageField(field: number, build: (w: Writer) => void): void {
    const inner = new Writer();
    build(inner);
    this.bytesField(field, inner.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}

export const TensorType = { FLOAT: 1, INT64: 7 } as const;

export interface TensorInit {
  name: string;
  dims: number[];
  type: (typeof TensorType)[keyof typeof TensorType];
  /** Little-endian raw bytes (Float32Array / BigInt64Array buffers). */
  raw: Uint8Array;
}

export type AttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: number[] };

export interface NodeInit {
  op: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, AttributeValue>;
}

export interface ValueInfo {
  name: string;
  elemType: number;
  /** A string is a symbolic dimension (`batch`). */
  shape: (number | string)[];
}

export interface GraphInit {
  name: string;
  nodes: NodeInit[];
  initializers: TensorInit[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, ints: 7 } as const;

function writeTensor(w: Writer, t: TensorInit): void {
  for (const d of t.dims) w.intField(1, d);
  w.intField(2, t.type);
  w.stringField(8, t.name);
  w.bytesField(9, t.raw);
}

function writeValueInfo(w: Writer, v: ValueInfo): void {
  w.stringField(1, v.name);
  w.messageField(2, (type) =>
    type.messageField(1, (tensor) => {
      tensor.intField(1, v.elemType);
      tensor.messageField(2, (shape) => {
        for (const d of v.shape) {
          shape.messageField(1, (dim) =>
            typeof d === 'number' ? dim.intField(1, d) : dim.stringField(2, d),
          );
        }
      });
    }),
  );
}

function writeNode(w: Writer, n: NodeInit): void {
  for (const i of n.inputs) w.stringField(1, i);
  for (const o of n.outputs) w.stringField(2, o);
  w.stringField(3, n.name);
  w.stringField(4, n.op);
  for (const [name, attr] of Object.entries(n.attributes ?? {})) {
    w.messageField(5, (a) => {
      a.stringField(1, name);
      if (attr.kind === 'float') a.floatField(2, attr.value);
      else if (attr.kind === 'int') a.intField(3, attr.value);
      else if (attr.kind === 'string') a.stringField(4, attr.value);
      else for (const v of attr.value) a.intField(8, v);
      a.intField(20, ATTRIBUTE_TYPE[attr.kind]);
    });
  }
}

/** Serialises a ModelProto with opset 13 of the default domain. */
export function encodeModel(graph: GraphInit, producer: string, opset = 13): Uint8Array {
  const w = new Writer();
  w.intField(1, 8); // ir_version
  w.stringField(2, producer);
  w.messageField(7, (g) => {
    for (const n of graph.nodes) g.messageField(1, (nw) => writeNode(nw, n));
    g.stringField(2, graph.name);
    for (const t of graph.initializers) g.messageField(5, (tw) => writeTensor(tw, t));
    for (const i of graph.inputs) g.messageField(11, (vw) => writeValueInfo(vw, i));
    for (const o of graph.outputs) g.messageField(12, (vw) => writeValueInfo(vw, o));
  });
  w.messageField(8, (op) => {
    op.stringField(1, '');
    op.intField(2, opset);
  });
  return w.finish();
}
