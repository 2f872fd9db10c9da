import http from "node:http";

/** A tus 1.0 client over plain sockets, for the resumable-upload tests. */

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One tus request over a plain socket. */
export function tusRequest(url: string, method: string, headers: Record<string, string>, body?: Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers: { "tus-resumable": "1.0.0", ...headers } }, (response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
    });
    request.on("error", reject);
    request.end(body);
  });
}

/**
 * Starts a PATCH that announces the whole body but sends only `part`;
 * `drop()` then cuts the connection; `ended` resolves when the server answers
 * or closes it.
 */
export function partialPatch(url: string, headers: Record<string, string>, part: Buffer): { drop(): void; ended: Promise<string> } {
  const request = http.request(url, { method: "PATCH", headers: { "tus-resumable": "1.0.0", ...headers } });
  const ended = new Promise<string>((resolve) => {
    request.on("response", (response) => {
      response.resume();
      resolve(`answered ${response.statusCode}`);
    });
    request.on("close", () => resolve("closed"));
  });
  request.on("error", () => undefined);
  request.write(part);
  return { drop: () => request.destroy(), ended };
}

export const metadata = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString("base64")}`)
    .join(",");
