import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { BSON, Long, type Document } from 'mongodb';
import { rejection, useMongo } from './mongo-harness.js';

/** CRC-32C (Castagnoli), the OP_MSG checksum. */
function crc32c(buf: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Sends one raw message and resolves with the reply's opCode and first document. */
function roundTrip(host: string, port: number, message: Buffer): Promise<{ opCode: number; doc: Document }> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, host);
    let data = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (data.length < 4 || data.length < data.readInt32LE(0)) return;
      const opCode = data.readInt32LE(12);
      const docStart = opCode === 1 ? 36 : 21;
      socket.end();
      resolve({ opCode, doc: BSON.deserialize(data.subarray(docStart, data.readInt32LE(0))) });
    });
    socket.write(message);
  });
}

function header(length: number, requestId: number, opCode: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(requestId, 4);
  h.writeInt32LE(0, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

function opQuery(ns: string, command: Document): Buffer {
  const body = Buffer.concat([Buffer.alloc(4), Buffer.from(`${ns}\0`), Buffer.from([0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]), Buffer.from(BSON.serialize(command))]);
  return Buffer.concat([header(16 + body.length, 7, 2004), body]);
}

function opMsgWithChecksum(command: Document, sequence?: [string, Document[]]): Buffer {
  const parts: Buffer[] = [Buffer.from([1, 0, 0, 0]), Buffer.from([0]), Buffer.from(BSON.serialize(command))];
  if (sequence) {
    const docs = Buffer.concat(sequence[1].map((d) => Buffer.from(BSON.serialize(d))));
    const name = Buffer.from(`${sequence[0]}\0`);
    const size = Buffer.alloc(4);
    size.writeInt32LE(4 + name.length + docs.length, 0);
    parts.push(Buffer.from([1]), size, name, docs);
  }
  const body = Buffer.concat(parts);
  const head = header(16 + body.length + 4, 9, 2013);
  const withoutCrc = Buffer.concat([head, body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32c(withoutCrc), 0);
  return Buffer.concat([withoutCrc, crc]);
}

describe('embedded mongo: wire protocol and server commands', () => {
  const h = useMongo('wire');
  const hostPort = (): [string, number] => {
    const u = new URL(h.uri.replace(/^mongodb:\/\//, 'http://').split(',')[0] as string);
    return [u.hostname, Number(u.port || 27017)];
  };

  it('hello reports a writable standalone with sessions, wire versions and size limits (manual: hello)', async () => {
    const r = await h.client.db('admin').command({ hello: 1 });
    assert.equal(r.isWritablePrimary, true);
    assert.equal(r.setName, undefined, 'a standalone has no replica set name');
    assert.equal(r.maxBsonObjectSize, 16777216);
    assert.equal(r.maxMessageSizeBytes, 48000000);
    assert.equal(r.maxWriteBatchSize, 100000);
    assert.equal(r.logicalSessionTimeoutMinutes, 30);
    assert.ok(r.maxWireVersion >= 21);
    assert.ok(r.localTime instanceof Date);
    assert.equal(typeof r.connectionId, 'number');
    const legacy = await h.client.db('admin').command({ isMaster: 1 });
    assert.equal(legacy.ismaster, true);
  });

  it('answers a legacy OP_QUERY handshake with OP_REPLY (manual: Legacy Opcodes, OP_QUERY)', async () => {
    const [host, port] = hostPort();
    const { opCode, doc } = await roundTrip(host, port, opQuery('admin.$cmd', { isMaster: 1, helloOk: true, client: { driver: { name: 'raw', version: '0' } } }));
    assert.equal(opCode, 1);
    assert.equal(doc.ok, 1);
    assert.equal(doc.ismaster, true);
    assert.equal(doc.helloOk, true);
  });

  it('accepts OP_MSG with a checksum and a document-sequence section (manual: OP_MSG sections and flags)', async () => {
    const [host, port] = hostPort();
    const db = h.db.databaseName;
    const ins = await roundTrip(host, port, opMsgWithChecksum({ insert: 'rawmsg', $db: db }, ['documents', [{ _id: 1 }, { _id: 2 }]]));
    assert.equal(ins.opCode, 2013);
    assert.equal(ins.doc.ok, 1);
    assert.equal(ins.doc.n, 2);
    const found = await h.coll('rawmsg').find({ _id: { $in: [1, 2] } }).toArray();
    assert.equal(found.length, 2);
  });

  it('ping, buildInfo and listDatabases (manual: ping, buildInfo, listDatabases)', async () => {
    assert.equal((await h.client.db('admin').command({ ping: 1 })).ok, 1);
    const info = await h.client.db('admin').command({ buildInfo: 1 });
    assert.match(info.version, /^\d+\.\d+/);
    assert.ok(Array.isArray(info.versionArray));
    await h.coll('present').insertOne({ x: 1 });
    const dbs = await h.client.db('admin').admin().listDatabases();
    assert.ok(dbs.databases.some((d) => d.name === h.db.databaseName));
  });

  it('an unknown command fails with CommandNotFound 59 (manual: Error Codes)', async () => {
    const err = await rejection(() => h.db.command({ frobnicate: 1 }));
    assert.equal(err.code, 59);
    assert.equal(err.codeName, 'CommandNotFound');
  });

  it('create (with validator), listCollections, drop and dropDatabase (manual: create, listCollections, drop, dropDatabase)', async () => {
    await h.db.createCollection('made', { validator: { $jsonSchema: { required: ['name'] } } });
    const info = (await h.db.listCollections({ name: 'made' }, { nameOnly: false }).toArray())[0];
    assert.equal(info?.type, 'collection');
    assert.deepEqual(info?.options?.validator, { $jsonSchema: { required: ['name'] } });
    const exists = await rejection(() => h.db.createCollection('made'));
    assert.equal(exists.code, 48, 'NamespaceExists');
    assert.equal(await h.db.collection('made').drop(), true);
    assert.equal((await h.db.listCollections({ name: 'made' }).toArray()).length, 0);
    const other = h.client.db(`${h.db.databaseName}_drop`);
    await other.collection('x').insertOne({ a: 1 });
    await other.dropDatabase();
    const names = (await h.client.db('admin').admin().listDatabases()).databases.map((d) => d.name);
    assert.ok(!names.includes(`${h.db.databaseName}_drop`));
  });

  it('refuses multi-document transactions with IllegalOperation 20 as a standalone does (manual: Transactions, production considerations)', async () => {
    const c = h.coll('txn');
    await c.createIndex({ a: 1 });
    const raw = await rejection(() => h.db.command({ insert: 'txn', documents: [{ a: 1 }], txnNumber: Long.fromNumber(1), autocommit: false, startTransaction: true }));
    assert.equal(raw.code, 20);
    assert.match(raw.message, /Transaction numbers are only allowed on a replica set member or mongos/);
    const session = h.client.startSession();
    try {
      const err = await rejection(() => session.withTransaction(async () => {
        await c.insertOne({ a: 2 }, { session });
      }));
      assert.match(err.message, /Transaction numbers are only allowed|does not support retryable writes/);
    } finally {
      await session.endSession();
    }
    assert.equal(await c.countDocuments({ a: { $in: [1, 2] } }), 0, 'nothing was written');
  });

  it('sessions without transactions work and endSessions is accepted (manual: Client Sessions, endSessions)', async () => {
    const c = h.coll('sess');
    const session = h.client.startSession();
    await c.insertOne({ _id: 's', v: 1 }, { session });
    assert.equal((await c.findOne({ _id: 's' }, { session }))?.v, 1);
    await session.endSession();
    assert.equal((await h.client.db('admin').command({ endSessions: [] })).ok, 1);
  });

  it('each command is atomic across many concurrent connections (manual: Atomicity, $inc)', async () => {
    const c = h.coll('counter');
    await c.insertOne({ _id: 'seq', n: 0 });
    const clients = await Promise.all(Array.from({ length: 8 }, () => h.newClient()));
    const seen = await Promise.all(clients.map(async (client) => {
      const coll = client.db(h.db.databaseName).collection<{ _id: string; n: number }>('counter');
      const got: number[] = [];
      for (let i = 0; i < 25; i++) {
        const r = await coll.findOneAndUpdate({ _id: 'seq' }, { $inc: { n: 1 } }, { returnDocument: 'after' });
        got.push(r?.n ?? -1);
      }
      return got;
    }));
    const all = seen.flat().sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: 200 }, (_, i) => i + 1), 'every increment is seen exactly once');
  });
});
