import { startApi, type ApiServer } from "../../api/server.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";

export interface ApiResponse {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of many shapes, asserted field by field
}

/** A real HTTP client against an in-process API on a random port. */
export class ApiClient {
  private constructor(
    private readonly server: ApiServer,
    readonly baseUrl: string,
  ) {}

  static async start(platform: Platform, services: Services): Promise<ApiClient> {
    const server = await startApi(platform, services, 0);
    return new ApiClient(server, `http://127.0.0.1:${server.port}`);
  }

  /** Sends a request; `body` is JSON-encoded unless it is already a string (raw, for malformed input). */
  async call(method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let payload: string | undefined;
    if (options.body !== undefined) {
      headers["content-type"] = "application/json";
      payload = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  async close(): Promise<void> {
    await this.server.close();
  }
}
