/** What a test sees of an HTTP response: status, headers and the parsed JSON body. */
export interface ApiResponse<T = any> { // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of many shapes, asserted field by field
  status: number;
  headers: Headers;
  body: T;
}

export interface HttpCallOptions {
  token?: string | undefined;
  /** JSON-encoded unless already a string (sent raw, for malformed-input tests). */
  body?: unknown;
  headers?: Record<string, string>;
}

/** Calls a route of the API at `baseUrl` over real HTTP. */
export async function httpCall<T = any>(baseUrl: string, method: string, path: string, options: HttpCallOptions = {}): Promise<ApiResponse<T>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let payload: string | undefined;
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    payload = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
}
