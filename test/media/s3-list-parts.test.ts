import assert from "node:assert/strict";
import { AbortMultipartUploadCommand, CreateMultipartUploadCommand, ListPartsCommand, S3Client, UploadPartCommand } from "@aws-sdk/client-s3";
import { startListPartsProxy, type ListPartsProxy } from "../helpers/s3-list-parts-proxy.js";
import { startS3Server, type TestS3Server } from "../helpers/s3-server.js";

describe("test S3 server: ListParts answered by the proxy in front of s3rver, as the SDK reads it", function () {
  this.timeout(30_000);
  let s3: TestS3Server;
  let proxy: ListPartsProxy;
  let client: S3Client;

  before(async () => {
    s3 = await startS3Server();
    proxy = await startListPartsProxy(s3.endpoint);
    client = new S3Client({
      endpoint: proxy.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
  });
  after(async () => {
    client.destroy();
    await proxy.close();
    await s3.stop();
  });

  it("lists the uploaded parts with s3rver's ETags and their sizes, page by page, and NoSuchUpload once aborted", async () => {
    const Key = "tus/some/upload";
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key }));
    assert.ok(UploadId);
    const empty = await client.send(new ListPartsCommand({ Bucket: s3.bucket, Key, UploadId }));
    assert.deepEqual(empty.Parts ?? [], []);
    assert.equal(empty.IsTruncated, false);
    const etags: string[] = [];
    for (const [PartNumber, size] of [[3, 30], [1, 10], [2, 20]] as const) {
      const { ETag } = await client.send(new UploadPartCommand({ Bucket: s3.bucket, Key, UploadId, PartNumber, Body: Buffer.alloc(size, PartNumber) }));
      assert.ok(ETag);
      etags[PartNumber] = ETag;
    }
    const all = await client.send(new ListPartsCommand({ Bucket: s3.bucket, Key, UploadId }));
    assert.deepEqual(all.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag]), [[1, 10, etags[1]], [2, 20, etags[2]], [3, 30, etags[3]]]);
    assert.ok(all.Parts?.every((p) => p.LastModified instanceof Date));
    assert.equal(all.Key, Key);
    assert.equal(all.UploadId, UploadId);

    const first = await client.send(new ListPartsCommand({ Bucket: s3.bucket, Key, UploadId, MaxParts: 2 }));
    assert.deepEqual(first.Parts?.map((p) => p.PartNumber), [1, 2]);
    assert.equal(first.IsTruncated, true);
    assert.equal(first.NextPartNumberMarker, "2");
    const second = await client.send(new ListPartsCommand({ Bucket: s3.bucket, Key, UploadId, MaxParts: 2, PartNumberMarker: first.NextPartNumberMarker }));
    assert.deepEqual(second.Parts?.map((p) => p.PartNumber), [3]);
    assert.equal(second.IsTruncated, false);

    await client.send(new AbortMultipartUploadCommand({ Bucket: s3.bucket, Key, UploadId }));
    assert.equal(proxy.parts.has(UploadId), false);
    await assert.rejects(client.send(new ListPartsCommand({ Bucket: s3.bucket, Key, UploadId })), { name: "NoSuchUpload" });
    await assert.rejects(client.send(new ListPartsCommand({ Bucket: s3.bucket, Key, UploadId: "never-created" })), { name: "NoSuchUpload" });
  });
});
