import { BSON, Long, type Document } from 'bson';
import { badValue } from './mongo-error.js';

/** Wire protocol opcodes the server understands. */
export const OpCode = { REPLY: 1, QUERY: 2004, MSG: 2013, COMPRESSED: 2012 } as const;

const MSG_CHECKSUM_PRESENT = 1 << 0;
const MSG_MORE_TO_COME = 1 << 1;

/** Deserialization keeps numeric wrappers so Int32, Double and Long round-trip exactly. */
const DESERIALIZE_OPTIONS = { promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: false } as const;

/** A parsed request: the command document (with OP_MSG document sequences folded in). */
export interface WireRequest {
  requestId: number;
  opCode: number;
  command: Document;
  /** The client asked for no reply (OP_MSG moreToCome, e.g. unacknowledged writes). */
  noReply: boolean;
  /** For OP_QUERY: the database taken from `<db>.$cmd`. */
  legacyDb?: string;
}

/** Reads a complete message from a buffer that holds exactly one message. */
export function parseMessage(buf: Buffer): WireRequest {
  const requestId = buf.readInt32LE(4);
  const opCode = buf.readInt32LE(12);
  if (opCode === OpCode.MSG) return parseOpMsg(buf, requestId);
  if (opCode === OpCode.QUERY) return parseOpQuery(buf, requestId);
  throw badValue(`unsupported wire protocol opcode ${opCode}`);
}

/** Per parsed command: the size of the largest BSON document the message carried (see `documentSizeBound`). */
const SIZE_BOUNDS = new WeakMap<Document, number>();

/**
 * An upper bound, in bytes, on the BSON size of any document inside a command parsed
 * from the wire: its body's size (every document nested in it is smaller) or the
 * largest document of its OP_MSG sequences. Undefined for commands built in process.
 */
export function documentSizeBound(command: Document): number | undefined {
  return SIZE_BOUNDS.get(command);
}

function readDoc(buf: Buffer, offset: number): [Document, number] {
  const size = buf.readInt32LE(offset);
  const doc = BSON.deserialize(buf.subarray(offset, offset + size), DESERIALIZE_OPTIONS);
  return [doc, offset + size];
}

function parseOpMsg(buf: Buffer, requestId: number): WireRequest {
  const flags = buf.readUInt32LE(16);
  // The optional CRC-32C trailer is tolerated but not verified: the transport is loopback TCP.
  const end = flags & MSG_CHECKSUM_PRESENT ? buf.length - 4 : buf.length;
  let offset = 20;
  let command: Document | undefined;
  const sequences: [string, Document[]][] = [];
  let largest = 0;
  while (offset < end) {
    const kind = buf.readUInt8(offset);
    offset += 1;
    if (kind === 0) {
      largest = Math.max(largest, buf.readInt32LE(offset));
      [command, offset] = readDoc(buf, offset);
    } else if (kind === 1) {
      const sectionEnd = offset + buf.readInt32LE(offset);
      const nameEnd = buf.indexOf(0, offset + 4);
      const name = buf.toString('utf8', offset + 4, nameEnd);
      const docs: Document[] = [];
      let pos = nameEnd + 1;
      while (pos < sectionEnd) {
        let doc: Document;
        largest = Math.max(largest, buf.readInt32LE(pos));
        [doc, pos] = readDoc(buf, pos);
        docs.push(doc);
      }
      sequences.push([name, docs]);
      offset = sectionEnd;
    } else {
      throw badValue(`unknown OP_MSG section kind ${kind}`);
    }
  }
  if (!command) throw badValue('OP_MSG has no body section');
  for (const [name, docs] of sequences) command[name] = docs;
  SIZE_BOUNDS.set(command, largest);
  return { requestId, opCode: OpCode.MSG, command, noReply: (flags & MSG_MORE_TO_COME) !== 0 };
}

function parseOpQuery(buf: Buffer, requestId: number): WireRequest {
  const nameEnd = buf.indexOf(0, 20);
  const collection = buf.toString('utf8', 20, nameEnd);
  const [query] = readDoc(buf, nameEnd + 1 + 8);
  // Legacy commands may wrap the command as {$query: {...}, $readPreference: ...}.
  const command = query.$query && typeof query.$query === 'object' ? (query.$query as Document) : query;
  const legacyDb = collection.endsWith('.$cmd') ? collection.slice(0, -5) : collection.split('.')[0];
  return { requestId, opCode: OpCode.QUERY, command, noReply: false, legacyDb };
}

let nextResponseId = 1;

/** Builds an OP_MSG reply (flags 0, a single body section). */
export function encodeOpMsg(responseTo: number, reply: Document): Buffer {
  const body = BSON.serialize(reply);
  const header = Buffer.alloc(21);
  header.writeInt32LE(21 + body.length, 0);
  header.writeInt32LE(nextResponseId++, 4);
  header.writeInt32LE(responseTo, 8);
  header.writeInt32LE(OpCode.MSG, 12);
  header.writeUInt32LE(0, 16);
  header.writeUInt8(0, 20);
  return Buffer.concat([header, body]);
}

/** Builds an OP_REPLY carrying one document (the answer to a legacy OP_QUERY command). */
export function encodeOpReply(responseTo: number, reply: Document): Buffer {
  const body = BSON.serialize(reply);
  const header = Buffer.alloc(36);
  header.writeInt32LE(36 + body.length, 0);
  header.writeInt32LE(nextResponseId++, 4);
  header.writeInt32LE(responseTo, 8);
  header.writeInt32LE(OpCode.REPLY, 12);
  header.writeInt32LE(0, 16); // responseFlags
  header.writeBigInt64LE(Long.ZERO.toBigInt(), 20); // cursorID
  header.writeInt32LE(0, 28); // startingFrom
  header.writeInt32LE(1, 32); // numberReturned
  return Buffer.concat([header, body]);
}
