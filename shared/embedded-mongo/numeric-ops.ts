import { Decimal128, Double, Int32, Long } from 'bson';
import { bsonTag, toNumber } from './bson-order.js';

type NumKind = 0 | 1 | 2 | 3; // int, long, double, decimal

function kind(v: unknown): NumKind {
  switch (bsonTag(v)) {
    case 'Int32': return 0;
    case 'Long': return 1;
    case 'Decimal128': return 3;
    case 'Double': return 2;
    default: return typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 2 ** 31 ? 0 : 2;
  }
}

const toBig = (v: unknown): bigint => (v instanceof Long ? v.toBigInt() : BigInt(Math.trunc(toNumber(v))));

function fromBig(n: bigint, allowInt: boolean): Int32 | Long {
  if (allowInt && n >= -2147483648n && n <= 2147483647n) return new Int32(Number(n));
  return Long.fromBigInt(BigInt.asIntN(64, n));
}

/**
 * Adds or multiplies numbers with MongoDB's result typing: the wider operand type wins,
 * and an int32 result that overflows becomes a long.
 */
export function arith(op: 'add' | 'mul', a: unknown, b: unknown): unknown {
  const k = Math.max(kind(a), kind(b)) as NumKind;
  if (k <= 1) {
    const x = toBig(a);
    const y = toBig(b);
    return fromBig(op === 'add' ? x + y : x * y, k === 0);
  }
  const r = op === 'add' ? toNumber(a) + toNumber(b) : toNumber(a) * toNumber(b);
  return k === 2 ? new Double(r) : Decimal128.fromString(String(r));
}

/** Zero of the same numeric type, for `$mul` on a missing field. */
export function zeroLike(v: unknown): unknown {
  const k = kind(v);
  return k === 0 ? new Int32(0) : k === 1 ? Long.ZERO : k === 2 ? new Double(0) : Decimal128.fromString('0');
}
