import http from "node:http";
import type { AddressInfo } from "node:net";

/** A part of a multipart upload as the proxy saw s3rver accept it. */
export interface SeenPart {
  partNumber: number;
  etag: string;
  size: number;
  lastModified: Date;
}

export interface ListPartsProxy {
  endpoint: string;
  /** Parts of each open multipart upload, by upload id (completed or aborted uploads are gone). */
  parts: Map<string, Map<number, SeenPart>>;
  close(): Promise<void>;
}

const XML_NS = "http://s3.amazonaws.com/doc/2006-03-01/";
const escapeXml = (text: string): string => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * An HTTP proxy in front of s3rver (path-style requests) that adds what
 * s3rver lacks: `ListParts` (`GET /<bucket>/<key>?uploadId=…`), which
 * @tus/s3-store calls on every HEAD and PATCH. Every other request is
 * forwarded as it is; the proxy watches CreateMultipartUpload (the upload
 * ids), UploadPart (number, ETag from s3rver's answer, size counted on the
 * way through, time) and CompleteMultipartUpload (the upload is gone:
 * ListParts then answers `NoSuchUpload`, as S3 does).
 * ListParts pages with `part-number-marker` and `max-parts` (1000 at most).
 * s3rver lacks AbortMultipartUpload too (`DELETE …?uploadId`): the proxy answers it.
 */
export async function startListPartsProxy(upstream: string): Promise<ListPartsProxy> {
  const target = new URL(upstream);
  const parts = new Map<string, Map<number, SeenPart>>();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://proxy");
    const uploadId = url.searchParams.get("uploadId");
    if (req.method === "GET" && uploadId !== null) return listParts(url, uploadId, res);
    if (req.method === "DELETE" && uploadId !== null) return abort(uploadId, req, res);
    let size = 0;
    const forwarded = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (upstreamRes) => {
        const status = upstreamRes.statusCode ?? 502;
        const chunks: Buffer[] = [];
        upstreamRes.on("data", (chunk: Buffer) => chunks.push(chunk));
        upstreamRes.on("end", () => {
          const body = Buffer.concat(chunks);
          if (status < 300) observe(req.method ?? "", url, uploadId, upstreamRes.headers, body, size);
          res.writeHead(status, upstreamRes.headers);
          res.end(body);
        });
        upstreamRes.on("error", () => res.destroy());
      },
    );
    forwarded.on("error", () => res.destroy());
    req.on("data", (chunk: Buffer) => (size += chunk.length));
    req.on("aborted", () => forwarded.destroy());
    req.pipe(forwarded);
  });

  function observe(method: string, url: URL, uploadId: string | null, headers: http.IncomingHttpHeaders, body: Buffer, size: number): void {
    if (method === "POST" && url.searchParams.has("uploads")) {
      const created = /<UploadId>([^<]+)<\/UploadId>/.exec(body.toString("utf8"))?.[1];
      if (created) parts.set(created, new Map());
      return;
    }
    if (uploadId === null) return;
    const partNumber = Number(url.searchParams.get("partNumber"));
    if (method === "PUT" && Number.isInteger(partNumber) && partNumber > 0) {
      const etag = String(headers.etag ?? "");
      parts.get(uploadId)?.set(partNumber, { partNumber, etag, size, lastModified: new Date() });
      return;
    }
    // CompleteMultipartUpload: the upload no longer exists.
    if (method === "POST") parts.delete(uploadId);
  }

  /** s3rver has no AbortMultipartUpload either (405): the upload is forgotten here; its stored parts go with s3rver's directory. */
  function abort(uploadId: string, req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    if (!parts.delete(uploadId)) return noSuchUpload(uploadId, res);
    res.writeHead(204);
    res.end();
  }

  function noSuchUpload(uploadId: string, res: http.ServerResponse): void {
    res.writeHead(404, { "content-type": "application/xml" });
    res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message><UploadId>${escapeXml(uploadId)}</UploadId></Error>`);
  }

  function listParts(url: URL, uploadId: string, res: http.ServerResponse): void {
    const [, bucket = "", ...keyParts] = url.pathname.split("/");
    const key = decodeURIComponent(keyParts.join("/"));
    const upload = parts.get(uploadId);
    if (!upload) return noSuchUpload(uploadId, res);
    const marker = Number(url.searchParams.get("part-number-marker") ?? 0) || 0;
    const maxParts = Math.min(1000, Math.max(0, Number(url.searchParams.get("max-parts") ?? 1000) || 1000));
    const after = [...upload.values()].filter((part) => part.partNumber > marker).sort((a, b) => a.partNumber - b.partNumber);
    const page = after.slice(0, maxParts);
    const truncated = after.length > page.length;
    const next = page.length > 0 ? page[page.length - 1]!.partNumber : marker;
    const xml = [
      `<?xml version="1.0" encoding="UTF-8"?>`,
      `<ListPartsResult xmlns="${XML_NS}">`,
      `<Bucket>${escapeXml(bucket)}</Bucket><Key>${escapeXml(key)}</Key><UploadId>${escapeXml(uploadId)}</UploadId>`,
      `<PartNumberMarker>${marker}</PartNumberMarker><NextPartNumberMarker>${next}</NextPartNumberMarker>`,
      `<MaxParts>${maxParts}</MaxParts><IsTruncated>${truncated}</IsTruncated>`,
      ...page.map((part) => `<Part><PartNumber>${part.partNumber}</PartNumber><LastModified>${part.lastModified.toISOString()}</LastModified><ETag>${escapeXml(part.etag)}</ETag><Size>${part.size}</Size></Part>`),
      `<StorageClass>STANDARD</StorageClass>`,
      `</ListPartsResult>`,
    ].join("");
    res.writeHead(200, { "content-type": "application/xml" });
    res.end(xml);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    parts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
